// The hot kernels of the aggregate engine, one draw at a time, each from a freshly opened stream as in the
// engine (so a figure includes opening the stream).
#include <benchmark/benchmark.h>

#include "cxrisk/sampling.h"
#include "lanes.h"

namespace {

using namespace cxrisk;

template <class Draw>
void run(benchmark::State& state, Draw draw) {
  std::uint64_t i = 0;
  for (auto _ : state) {
    Stream s(0x5eed, ++i, 7);
    benchmark::DoNotOptimize(draw(s));
  }
}

void BM_stream_uniform(benchmark::State& st) {
  run(st, [](Stream& s) { return s.uniform(); });
}
void BM_normal(benchmark::State& st) {
  run(st, [](Stream& s) { return draw_normal(s); });
}
void BM_binomial_btrd(benchmark::State& st) {
  run(st, [](Stream& s) { return draw_binomial(s, 5000000, 0.004); });
}
void BM_binomial_inversion(benchmark::State& st) {
  run(st, [](Stream& s) { return draw_binomial(s, 60, 0.1); });
}
void BM_poisson_ptrd(benchmark::State& st) {
  run(st, [](Stream& s) { return draw_poisson(s, 5000.0); });
}
void BM_poisson_inversion(benchmark::State& st) {
  run(st, [](Stream& s) { return draw_poisson(s, 4.0); });
}
void BM_gamma_large_shape(benchmark::State& st) {
  run(st, [](Stream& s) { return draw_gamma(s, 20000.0); });
}
void BM_gamma_small_shape(benchmark::State& st) {
  run(st, [](Stream& s) { return draw_gamma(s, 0.6); });
}

// The lane-parallel samplers as the aggregate engine calls them: eight trials' draws per call, each lane with
// its own stream; the mean (the argument) is the same in every lane, the streams differ call to call. Items
// are single draws, so items per second compare with the scalar figures above. `call(s)` makes one call for
// the lanes' streams s.
template <class Call>
void run_lanes(benchmark::State& state, std::uint64_t address, Call call) {
  LaneStreams s{0x5eed, address, {}};
  std::uint64_t calls = 0;
  for (auto _ : state) {
    for (int l = 0; l < LANES; ++l) s.trial[l] = calls * LANES + static_cast<std::uint64_t>(l);
    ++calls;
    call(s);
  }
  state.SetItemsProcessed(state.iterations() * LANES);
}

void BM_binomial_lanes(benchmark::State& state) {
  Lanes<std::int64_t> n{}, out{};
  Lanes<double> p{};
  n.fill(static_cast<std::int64_t>(static_cast<double>(state.range(0)) / 0.3));
  p.fill(0.3);
  run_lanes(state, 3, [&](const LaneStreams& s) {
    binomial_lanes(s, n, p, out, LANES);
    benchmark::DoNotOptimize(out);
  });
}
// The same, with each call's counts depending on the previous call's draws (the same distribution of n), as
// the chain's steps depend on each other: whether a call waits on the one before it.
void BM_binomial_lanes_dependent(benchmark::State& state) {
  const auto n0 = static_cast<std::int64_t>(static_cast<double>(state.range(0)) / 0.3);
  Lanes<std::int64_t> n{}, out{};
  Lanes<double> p{};
  n.fill(n0);
  p.fill(0.3);
  run_lanes(state, 3, [&](const LaneStreams& s) {
    binomial_lanes(s, n, p, out, LANES);
    for (int l = 0; l < LANES; ++l) n[l] = n0 + (out[l] & 1);
  });
}
void BM_poisson_lanes(benchmark::State& state) {
  Lanes<double> mean{};
  mean.fill(static_cast<double>(state.range(0)));
  Lanes<std::int64_t> out{};
  run_lanes(state, 4, [&](const LaneStreams& s) {
    poisson_lanes(s, mean, out, LANES);
    benchmark::DoNotOptimize(out);
  });
}
void BM_gamma_sum_lanes(benchmark::State& state) {
  ValueDraw value;
  value.shape = ValueShape::gamma;
  value.mean = 60;
  value.cv = 1.0;
  value.prepare();
  Lanes<const ValueDraw*> values{};
  values.fill(&value);
  Lanes<std::int64_t> n{};
  n.fill(state.range(0));
  Lanes<double> out{};
  run_lanes(state, 5, [&](const LaneStreams& s) {
    value_sum_lanes(s, values, n, out, LANES);
    benchmark::DoNotOptimize(out);
  });
}

BENCHMARK(BM_stream_uniform);
BENCHMARK(BM_normal);
BENCHMARK(BM_binomial_btrd);
BENCHMARK(BM_binomial_inversion);
BENCHMARK(BM_poisson_ptrd);
BENCHMARK(BM_poisson_inversion);
BENCHMARK(BM_gamma_large_shape);
BENCHMARK(BM_gamma_small_shape);
BENCHMARK(BM_binomial_lanes)->Arg(1)->Arg(5)->Arg(30)->Arg(300)->Arg(10000)->Arg(1000000);
BENCHMARK(BM_binomial_lanes_dependent)->Arg(1)->Arg(300)->Arg(1000000);
BENCHMARK(BM_poisson_lanes)->Arg(1)->Arg(5)->Arg(30)->Arg(300)->Arg(10000);
BENCHMARK(BM_gamma_sum_lanes)->Arg(1)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
