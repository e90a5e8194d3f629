// The hot kernels of the aggregate engine: the scalar samplers one draw at a time, each from a freshly opened
// stream (so a figure includes opening the stream), and the batch samplers the engine's stages call.
#include <benchmark/benchmark.h>

#include "cxrisk/sampling.h"
#include "sampling/lane_kernels.h"
#include "sampling/lanes.h"

#include <vector>

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

// The batch samplers as the aggregate engine's stages call them: BATCH independent draws per call, each from
// its own stream, with the same mean (the first argument); the streams differ call to call. The second
// argument picks the kernel set (0 the baseline, then AVX2 and AVX-512 where the processor has them): the
// numbers are the same, the speed is not. Items are single draws, so items per second compare with the scalar
// figures above.
constexpr std::size_t BATCH = 480;
// The batch samplers' working lists, as a trial runner holds them.
BatchScratch scratch;

template <class Call>
void run_batch(benchmark::State& state, Call call) {
  const auto sets = lane_kernel_sets();
  const auto set = static_cast<std::size_t>(state.range(1));
  if (set >= sets.size()) {
    state.SkipWithError("kernel set not available on this processor");
    return;
  }
  state.SetLabel(sets[set].first);
  use_lane_kernels(sets[set].second);
  std::vector<std::uint64_t> seed(BATCH);
  std::uint64_t calls = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < BATCH; ++i) seed[i] = Stream::seed_of(0x5eed, calls * BATCH + i);
    ++calls;
    call(seed.data());
  }
  use_lane_kernels(nullptr);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(BATCH));
}

void BM_binomial_batch(benchmark::State& state) {
  std::vector<std::int64_t> n(BATCH, static_cast<std::int64_t>(static_cast<double>(state.range(0)) / 0.3)),
      out(BATCH);
  std::vector<double> p(BATCH, 0.3);
  run_batch(state, [&](const std::uint64_t* seed) {
    binomial_batch(BATCH, seed, n.data(), p.data(), out.data(), scratch);
    benchmark::DoNotOptimize(out.data());
  });
}
void BM_poisson_batch(benchmark::State& state) {
  std::vector<double> mean(BATCH, static_cast<double>(state.range(0)));
  std::vector<std::int64_t> out(BATCH);
  run_batch(state, [&](const std::uint64_t* seed) {
    poisson_batch(BATCH, seed, mean.data(), out.data(), scratch);
    benchmark::DoNotOptimize(out.data());
  });
}
void BM_gamma_sum_batch(benchmark::State& state) {
  ValueDraw value;
  value.shape = ValueShape::gamma;
  value.mean = 60;
  value.cv = 1.0;
  value.prepare();
  std::vector<const ValueDraw*> values(BATCH, &value);
  std::vector<std::int64_t> n(BATCH, state.range(0));
  std::vector<double> out(BATCH);
  run_batch(state, [&](const std::uint64_t* seed) {
    value_sum_batch(BATCH, seed, values.data(), n.data(), out.data(), scratch);
    benchmark::DoNotOptimize(out.data());
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
void batch_args(benchmark::internal::Benchmark* b, std::initializer_list<std::int64_t> means) {
  for (std::int64_t set = 0; set < 3; ++set)
    for (std::int64_t mean : means) b->Args({mean, set});
}
BENCHMARK(BM_binomial_batch)->Apply([](auto* b) {
  batch_args(b, {1, 5, 20, 60, 300, 3000, 30000, 1000000});
});
BENCHMARK(BM_poisson_batch)->Apply([](auto* b) { batch_args(b, {1, 5, 20, 60, 300, 3000, 30000}); });
BENCHMARK(BM_gamma_sum_batch)->Apply([](auto* b) { batch_args(b, {1, 5, 20, 60, 300, 3000, 30000}); });

}  // namespace

BENCHMARK_MAIN();
