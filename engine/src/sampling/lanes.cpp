#include "lanes.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string_view>
#include <vector>

#include "lane_kernels.h"

namespace cxrisk {

namespace {
const LaneKernels* forced_kernels = nullptr;

// The draw census, on when the environment variable CXRISK_DRAW_CENSUS is set: how many draws each batch
// sampler makes, by mean (a binomial's n min(p, 1 - p), a Poisson's mean, a value sum's count), printed to
// standard error at exit. benchmarks/run.sh weighs the samplers' cost per draw with it, to say how much of
// a trial the draws alone take. Off, it costs a test of a flag per batch.
class DrawCensus {
 public:
  enum Sampler { BINOMIAL = 0, POISSON = 1, VALUE_SUM = 2 };
  // Class 0: a mean of 0 (a trivial draw); then means below each bound in turn, and the rest.
  static constexpr double BOUNDS[] = {1, 10, 30, 100, 1e3, 1e4};
  static constexpr int CLASSES = std::size(BOUNDS) + 2;

  bool on() const { return on_; }
  template <class MeanOf>
  void add(Sampler sampler, std::size_t count, MeanOf mean_of) {
    std::int64_t local[CLASSES] = {};
    for (std::size_t i = 0; i < count; ++i) {
      const double mean = mean_of(i);
      int c = mean > 0 ? 1 : 0;
      for (double bound : BOUNDS) c += mean >= bound;
      ++local[c];
    }
    for (int c = 0; c < CLASSES; ++c) counts_[sampler][c].fetch_add(local[c], std::memory_order_relaxed);
  }
  ~DrawCensus() {
    if (!on_) return;
    std::fputs("cxrisk draw census, draws by mean: 0, then below", stderr);
    for (double bound : BOUNDS) std::fprintf(stderr, " %g", bound);
    std::fputs(", and above\n", stderr);
    static constexpr const char* NAMES[] = {"binomial", "poisson", "value_sum"};
    for (int k = 0; k < 3; ++k) {
      std::fprintf(stderr, "cxrisk draw census: %s", NAMES[k]);
      for (int c = 0; c < CLASSES; ++c)
        std::fprintf(stderr, " %lld", static_cast<long long>(counts_[k][c].load(std::memory_order_relaxed)));
      std::fputc('\n', stderr);
    }
  }

 private:
  bool on_ = std::getenv("CXRISK_DRAW_CENSUS") != nullptr;
  std::atomic<std::int64_t> counts_[3][CLASSES] = {};
};
DrawCensus census;
}  // namespace

std::vector<std::pair<const char*, const LaneKernels*>> lane_kernel_sets() {
  std::vector<std::pair<const char*, const LaneKernels*>> sets{{"baseline", &isa_base::kernels}};
#if defined(CXRISK_LANE_ISAS)
  __builtin_cpu_init();
#if defined(__clang__)
  // Clang (14) knows no level names here: the features of each level that it can ask about (no processor has
  // these without the level's others).
  const bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                  __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
  const bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
                  __builtin_cpu_supports("avx512vl");
#else
  const bool v3 = __builtin_cpu_supports("x86-64-v3"), v4 = __builtin_cpu_supports("x86-64-v4");
#endif
  if (v3) sets.emplace_back("x86-64-v3", &isa_v3::kernels);
  if (v4) sets.emplace_back("x86-64-v4", &isa_v4::kernels);
#endif
  return sets;
}

const LaneKernels& lane_kernels() {
  // The best set this processor runs, or the one named by CXRISK_LANE_KERNELS (to compare them; the numbers
  // are the same with any).
  static const LaneKernels* chosen = [] {
    const auto sets = lane_kernel_sets();
    if (const char* name = std::getenv("CXRISK_LANE_KERNELS"))
      for (const auto& [set, kernels] : sets)
        if (std::string_view(set) == name) return kernels;
    return sets.back().second;
  }();
  return forced_kernels ? *forced_kernels : *chosen;
}

void use_lane_kernels(const LaneKernels* kernels) {
  forced_kernels = kernels;
}

namespace {

// The stream formulas are Stream's own, so a lane draws exactly what the scalar sampler would.
inline std::uint64_t word(std::uint64_t seed, std::uint64_t i) {
  return Stream::word(seed, i);
}
inline double uniform_of(std::uint64_t w) {
  return Stream::uniform_of(w);
}

// The arguments of LANES draws, copied so that a kernel can read whole lanes: the batch's last, partial run
// (padded with draws that are trivially zero) or draws gathered from anywhere in it.
// Not initialised: whoever fills one sets every lane a kernel reads, padding included.
template <int W = LANES>
struct Gathered {
  std::uint64_t seed[W];
  std::int64_t n[W];
  double x[W];
  std::int64_t out[W];
  double sum[W];
  std::int64_t done[W];
  std::uint32_t at[W];
};

// Indices into a batch of the draws left for a later pass, by what is left: inversion, BTRD's loop, or the
// scalar sampler, in the caller's scratch lists.
struct Pending {
  enum { INVERSION = 0, LOOP = 1, SCALAR_DRAW = 2 };
  std::uint32_t* list[3];
  std::size_t size[3] = {};

  Pending(std::size_t count, BatchScratch& scratch) {
    for (int k = 0; k < 3; ++k) {
      std::vector<std::uint32_t>& lists = scratch.pending[k];
      if (lists.size() < count + 1) lists.resize(count + 1);
      list[k] = lists.data();
    }
  }
  void add(int which, std::uint32_t i) { list[which][size[which]++] = i; }
  // Files draw i by its fast path's code (INVERT, or SCALAR to the list `if_scalar`), without a branch.
  void file(std::uint32_t i, std::int64_t done, int if_scalar) {
    list[INVERSION][size[INVERSION]] = i;
    size[INVERSION] += done == INVERT;
    list[if_scalar][size[if_scalar]] = i;
    size[if_scalar] += done == SCALAR;
  }
};

// Runs a fast path over a contiguous batch: whole runs of LANES straight from the arrays, the last one
// through a padded copy. call(g, i, lanes) runs the kernel on draws i.. (from the arrays when g is null).
template <class Call>
void over_batch(std::size_t count, Call call) {
  const std::size_t whole = count - count % LANES;
  for (std::size_t i = 0; i < whole; i += LANES) call(nullptr, i, LANES);
  if (whole < count) {
    Gathered<> g;
    call(&g, whole, static_cast<int>(count - whole));
  }
}

// Runs a count sampler's first test, kernel(seed, n, x, out, done) (n null for the Poisson), over a
// contiguous batch through over_batch, and files every draw by its code (a draw past the first test to
// `loop`).
template <class Kernel>
void first_tests(std::size_t count, const std::uint64_t* seed, const std::int64_t* n, const double* x,
                 std::int64_t* out, Pending& pending, int loop, Kernel kernel) {
  over_batch(count, [&](Gathered<>* g, std::size_t i, int lanes) {
    std::int64_t done[LANES];
    if (g) {
      for (int l = 0; l < LANES; ++l) {
        g->seed[l] = l < lanes ? seed[i + l] : 0;
        g->n[l] = l < lanes && n ? n[i + l] : 0;
        g->x[l] = l < lanes ? x[i + l] : 0;
      }
      kernel(g->seed, g->n, g->x, g->out, done);
      for (int l = 0; l < lanes; ++l) out[i + l] = g->out[l];
    } else {
      kernel(seed + i, n ? n + i : nullptr, x + i, out + i, done);
    }
    for (int l = 0; l < lanes; ++l) pending.file(static_cast<std::uint32_t>(i + l), done[l], loop);
  });
}

// Runs `pass` over the draws at index[0..count), W at a time, gathered by load(g, lane, i) (i is
// UINT32_MAX for the padding of the last run).
template <int W, class Load, class Pass>
void gathered(std::size_t count, const std::uint32_t* index, Load load, Pass pass) {
  Gathered<W> g;
  for (std::size_t i = 0; i < count; i += W) {
    const int lanes = static_cast<int>(std::min<std::size_t>(W, count - i));
    for (int l = 0; l < W; ++l) {
      g.at[l] = l < lanes ? index[i + static_cast<std::size_t>(l)] : UINT32_MAX;
      load(g, l, g.at[l]);
    }
    pass(g, lanes);
  }
}

// A rejection loop (BTRD's or PTRD's) for the draws at index[0..count) that failed its first test, LANES at a
// time: a slot whose draw is accepted takes the next draw, so the lanes stay full until the last few.
// load(s, l, i) fills slot l with draw i (or, for i = UINT32_MAX, with a harmless dead draw); finish(s, l, i)
// takes the result of draw i from slot l.
template <class Slots, class Load, class Finish>
void rejection_lanes(const std::uint32_t* index, std::size_t count, void (*setup)(Slots&),
                     void (*round)(Slots&), Load load, Finish finish) {
  if (count == 0) return;
  Slots s;  // every field a kernel reads is set by fill() or by setup()
  std::uint32_t at[LANES];
  std::size_t taken = 0;
  unsigned occupied = 0;  // bit l: slot l holds a draw
  const auto fill = [&](int l) {
    const bool real = taken < count;
    at[l] = real ? index[taken++] : UINT32_MAX;
    load(s, l, at[l]);
    s.live[l] = real;
    s.fresh[l] = 1;
    s.out[l] = 0;
    occupied |= static_cast<unsigned>(real) << l;
  };
  for (int l = 0; l < LANES; ++l) fill(l);
  bool fresh = true;
  while (occupied != 0) {
    if (fresh) setup(s);
    round(s);
    fresh = false;
    unsigned finished = 0;
    for (int l = 0; l < LANES; ++l) finished |= static_cast<unsigned>(s.live[l] == 0) << l;
    for (finished &= occupied; finished != 0; finished &= finished - 1) {
      const int l = std::countr_zero(finished);
      finish(s, l, at[l]);
      occupied &= ~(1u << l);
      if (taken < count) {
        fill(l);
        fresh = true;
      }
    }
  }
}

}  // namespace

void mix_seeds(std::uint64_t* seed, std::size_t count) {
  lane_kernels().mix_seeds(seed, count);
}

void binomial_batch(std::size_t count, const std::uint64_t* seed, const std::int64_t* n, const double* p,
                    std::int64_t* out, BatchScratch& scratch) {
  if (census.on())
    census.add(DrawCensus::BINOMIAL, count,
               [&](std::size_t i) { return static_cast<double>(n[i]) * std::min(p[i], 1 - p[i]); });
  const LaneKernels& K = lane_kernels();
  Pending pending(count, scratch);
  // Draws that fail the first test: the lanes' rejection loop where this processor has one.
  const int loop = K.btrd_round ? Pending::LOOP : Pending::SCALAR_DRAW;
  first_tests(count, seed, n, p, out, pending, loop,
              [&](const std::uint64_t* sd, const std::int64_t* nn, const double* pp, std::int64_t* o,
                  std::int64_t* d) { K.binomial_fast(sd, nn, pp, o, d); });
  const auto load = [&](auto& g, int l, std::uint32_t i) {
    const bool real = i != UINT32_MAX;
    g.seed[l] = real ? seed[i] : 0;
    g.n[l] = real ? n[i] : 0;
    g.x[l] = real ? p[i] : 0;
    g.done[l] = real ? INVERT : DONE;
  };
  gathered<INVERT_LANES>(pending.size[Pending::INVERSION], pending.list[Pending::INVERSION], load,
                         [&](Gathered<INVERT_LANES>& g, int lanes) {
                           K.binomial_invert(g.seed, g.n, g.x, g.out, g.done);
                           for (int l = 0; l < lanes; ++l) {
                             out[g.at[l]] = g.out[l];
                             if (g.done[l] == SCALAR) pending.add(Pending::SCALAR_DRAW, g.at[l]);
                           }
                         });
  rejection_lanes<BtrdSlots>(
      pending.list[Pending::LOOP], pending.size[Pending::LOOP], K.btrd_setup, K.btrd_round,
      [&](BtrdSlots& s, int l, std::uint32_t i) {
        const bool real = i != UINT32_MAX;
        const double pl = real ? p[i] : 0.25;
        s.seed[l] = real ? seed[i] : 0;
        s.n[l] = real ? n[i] : 100;
        s.dn[l] = static_cast<double>(s.n[l]);
        s.flip[l] = pl > 0.5;
        s.p[l] = pl > 0.5 ? 1 - pl : pl;
      },
      [&](const BtrdSlots& s, int l, std::uint32_t i) { out[i] = s.out[l]; });
  for (std::size_t k = 0; k < pending.size[Pending::SCALAR_DRAW]; ++k) {
    const std::uint32_t i = pending.list[Pending::SCALAR_DRAW][k];
    Stream stream = Stream::with_seed(seed[i]);
    out[i] = draw_binomial(stream, n[i], p[i]);
  }
}

void poisson_batch(std::size_t count, const std::uint64_t* seed, const double* mean, std::int64_t* out,
                   BatchScratch& scratch) {
  if (census.on()) census.add(DrawCensus::POISSON, count, [&](std::size_t i) { return mean[i]; });
  const LaneKernels& K = lane_kernels();
  Pending pending(count, scratch);
  // Draws that fail the first test: the lanes' rejection loop where this processor has one.
  const int loop = K.ptrd_round ? Pending::LOOP : Pending::SCALAR_DRAW;
  first_tests(count, seed, nullptr, mean, out, pending, loop,
              [&](const std::uint64_t* sd, const std::int64_t*, const double* mu, std::int64_t* o,
                  std::int64_t* d) { K.poisson_fast(sd, mu, o, d); });
  const auto load = [&](auto& g, int l, std::uint32_t i) {
    const bool real = i != UINT32_MAX;
    g.seed[l] = real ? seed[i] : 0;
    g.x[l] = real ? mean[i] : 0;
    g.done[l] = real ? INVERT : DONE;
  };
  gathered<INVERT_LANES>(pending.size[Pending::INVERSION], pending.list[Pending::INVERSION], load,
                         [&](Gathered<INVERT_LANES>& g, int lanes) {
                           K.poisson_invert(g.seed, g.x, g.out, g.done);
                           for (int l = 0; l < lanes; ++l) {
                             out[g.at[l]] = g.out[l];
                             if (g.done[l] == SCALAR) pending.add(Pending::SCALAR_DRAW, g.at[l]);
                           }
                         });
  rejection_lanes<PtrdSlots>(
      pending.list[Pending::LOOP], pending.size[Pending::LOOP], K.ptrd_setup, K.ptrd_round,
      [&](PtrdSlots& s, int l, std::uint32_t i) {
        s.seed[l] = i != UINT32_MAX ? seed[i] : 0;
        s.mu[l] = i != UINT32_MAX ? mean[i] : 100;
      },
      [&](const PtrdSlots& s, int l, std::uint32_t i) { out[i] = s.out[l]; });
  for (std::size_t k = 0; k < pending.size[Pending::SCALAR_DRAW]; ++k) {
    const std::uint32_t i = pending.list[Pending::SCALAR_DRAW][k];
    Stream stream = Stream::with_seed(seed[i]);
    out[i] = draw_poisson(stream, mean[i]);
  }
}

void value_sum_batch(std::size_t count, const std::uint64_t* seed, const ValueDraw* const* value,
                     const std::int64_t* n, double* out, BatchScratch& scratch) {
  if (census.on())
    census.add(DrawCensus::VALUE_SUM, count, [&](std::size_t i) { return static_cast<double>(n[i]); });
  const LaneKernels& K = lane_kernels();
  Pending pending(count, scratch);
  // Draws of a shape below 1 (one customer of a value cv above 1), drawn as Gamma(shape + 1) U^(1 / shape):
  // the Gamma(shape + 1) draw and the word of U, finished together at the end.
  using Power = BatchScratch::Power;
  std::vector<Power>& powers = scratch.powers;
  powers.clear();
  const auto finish = [&](std::size_t at, double shape, double sum, std::uint64_t word_of_u) {
    if (shape < 1)
      powers.push_back({static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(word_of_u), sum});
    else
      out[at] = value[at]->gamma_scale * sum;
  };
  // Draws that fail the first test: the lanes' rejection loop where this processor has one.
  const int loop = K.gamma_round ? Pending::LOOP : Pending::SCALAR_DRAW;
  over_batch(count, [&](Gathered<>*, std::size_t i, int lanes) {
    Gathered<> g;
    for (int l = 0; l < LANES; ++l) {
      const bool eligible = l < lanes && n[i + l] > 0 && value[i + l]->shape == ValueShape::gamma;
      g.seed[l] = l < lanes ? seed[i + l] : 0;
      g.n[l] = eligible;
      g.x[l] = eligible ? static_cast<double>(n[i + l]) * value[i + l]->gamma_shape : 0;
    }
    K.gamma_sum_fast(g.seed, g.x, g.n, g.sum, g.done);
    for (int l = 0; l < lanes; ++l) {
      const std::size_t at = i + l;
      if (g.done[l])
        finish(at, g.x[l], g.sum[l], 2);
      else if (n[at] <= 0)
        out[at] = 0;
      else
        pending.add(g.n[l] ? loop : Pending::SCALAR_DRAW, static_cast<std::uint32_t>(at));
    }
  });
  rejection_lanes<GammaSlots>(
      pending.list[Pending::LOOP], pending.size[Pending::LOOP], K.gamma_setup, K.gamma_round,
      [&](GammaSlots& s, int l, std::uint32_t i) {
        const bool real = i != UINT32_MAX;
        s.seed[l] = real ? seed[i] : 0;
        s.shape[l] = real ? static_cast<double>(n[i]) * value[i]->gamma_shape : 2;
      },
      [&](const GammaSlots& s, int l, std::uint32_t i) {
        if (s.scalar[l])
          pending.add(Pending::SCALAR_DRAW, i);
        else
          finish(i, s.shape[l], s.out[l], static_cast<std::uint64_t>(s.next[l]));
      });
  for (std::size_t k = 0; k < powers.size(); k += LANES) {
    double u[LANES], shape[LANES], factor[LANES];
    for (int l = 0; l < LANES; ++l) {
      const bool real = k + l < powers.size();
      const Power& p = powers[real ? k + l : k];
      u[l] = uniform_of(word(seed[p.at], p.word));
      shape[l] = real ? static_cast<double>(n[p.at]) * value[p.at]->gamma_shape : 0.5;
    }
    K.powers_of_uniform(u, shape, factor);
    for (int l = 0; l < LANES && k + l < powers.size(); ++l) {
      const Power& p = powers[k + l];
      out[p.at] = value[p.at]->gamma_scale * (p.gamma * factor[l]);
    }
  }
  for (std::size_t k = 0; k < pending.size[Pending::SCALAR_DRAW]; ++k) {
    const std::uint32_t i = pending.list[Pending::SCALAR_DRAW][k];
    Stream stream = Stream::with_seed(seed[i]);
    out[i] = value[i]->sum(stream, n[i]);
  }
}

}  // namespace cxrisk
