// The hot kernels of the aggregate engine, one draw at a time, each from a freshly opened stream as in the
// engine (so a figure includes opening the stream).
#include <benchmark/benchmark.h>

#include "cxrisk/sampling.h"

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

BENCHMARK(BM_stream_uniform);
BENCHMARK(BM_normal);
BENCHMARK(BM_binomial_btrd);
BENCHMARK(BM_binomial_inversion);
BENCHMARK(BM_poisson_ptrd);
BENCHMARK(BM_poisson_inversion);
BENCHMARK(BM_gamma_large_shape);
BENCHMARK(BM_gamma_small_shape);

}  // namespace

BENCHMARK_MAIN();
