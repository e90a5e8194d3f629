#include "lanes.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "lane_kernels.h"

namespace cxrisk {

const LaneKernels& lane_kernels() {
  static const LaneKernels& chosen = []() -> const LaneKernels& {
#if defined(CXRISK_LANE_ISAS) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return isa_v4::kernels;
    if (__builtin_cpu_supports("x86-64-v3")) return isa_v3::kernels;
#endif
    return isa_base::kernels;
  }();
  return chosen;
}

namespace {

// The stream formulas are Stream's own, so a lane draws exactly what the scalar sampler would.
inline std::uint64_t word(std::uint64_t seed, std::uint64_t i) {
  return Stream::word(seed, i);
}
inline double uniform_of(std::uint64_t w) {
  return Stream::uniform_of(w);
}

// The arguments of LANES draws of a batch, copied so that a fast path can read whole lanes: either a run of
// the batch (the last one padded with draws that are trivially zero) or draws gathered from anywhere in it.
struct Gathered {
  std::uint64_t seed[LANES];
  std::int64_t n[LANES];
  double x[LANES];
  const ValueDraw* value[LANES];
  std::int64_t out[LANES];
  double sum[LANES];
  std::int64_t done[LANES];
};

// Indices into the batch of the draws left for a later pass; reused, so that a batch allocates nothing once
// the thread has seen its largest one.
std::vector<std::uint32_t>& pending(int which) {
  thread_local std::vector<std::uint32_t> lists[3];
  lists[which].clear();
  return lists[which];
}

// Runs `pass` over the draws at index[0..count) (or 0..count when index is null), LANES at a time.
template <class Load, class Pass>
void by_lanes(std::size_t count, const std::uint32_t* index, Load load, Pass pass) {
  Gathered g;
  for (std::size_t i = 0; i < count; i += LANES) {
    const int lanes = static_cast<int>(std::min<std::size_t>(LANES, count - i));
    std::uint32_t at[LANES];
    for (int l = 0; l < LANES; ++l) {
      at[l] = l < lanes ? (index ? index[i + static_cast<std::size_t>(l)] : static_cast<std::uint32_t>(i) + l)
                        : UINT32_MAX;
      load(g, l, at[l]);
    }
    pass(g, at, lanes);
  }
}

// BTRD's loop for the draws at index[0..) that failed its first test, LANES at a time: a slot whose draw
// is accepted takes the next draw, so the lanes stay full until the last few draws.
void btrd_lanes(const std::vector<std::uint32_t>& index, const std::uint64_t* seed, const std::int64_t* n,
                const double* p, std::int64_t* out) {
  if (index.empty()) return;
  const LaneKernels& K = lane_kernels();
  BtrdSlots s{};
  std::uint32_t at[LANES];
  std::size_t taken = 0;
  const auto load = [&](int l) {
    const bool real = taken < index.size();
    const std::uint32_t i = real ? index[taken++] : 0;
    const double pl = real ? p[i] : 0.25;
    at[l] = real ? i : UINT32_MAX;
    s.seed[l] = real ? seed[i] : 0;
    s.n[l] = real ? n[i] : 100;
    s.dn[l] = static_cast<double>(s.n[l]);
    s.flip[l] = pl > 0.5;
    s.p[l] = pl > 0.5 ? 1 - pl : pl;
    s.live[l] = real;
    s.fresh[l] = 1;
  };
  for (int l = 0; l < LANES; ++l) load(l);
  bool live = true, fresh = true;
  while (live) {
    if (fresh) K.btrd_setup(s);
    K.btrd_round(s);
    live = fresh = false;
    for (int l = 0; l < LANES; ++l) {
      if (at[l] != UINT32_MAX && !s.live[l]) {
        out[at[l]] = s.out[l];
        if (taken < index.size()) {
          load(l);
          fresh = true;
        } else {
          at[l] = UINT32_MAX;
        }
      }
      live |= s.live[l] != 0;
    }
  }
}

}  // namespace

Lanes<std::uint64_t> seeds_of(const LaneStreams& s) {
  Lanes<std::uint64_t> seeds;
  lane_kernels().seeds_of(mix64(s.key ^ s.address), s.trial.data(), seeds.data());
  return seeds;
}

void binomial_batch(std::size_t count, const std::uint64_t* seed, const std::int64_t* n, const double* p,
                    std::int64_t* out) {
  const LaneKernels& K = lane_kernels();
  std::vector<std::uint32_t>& invert = pending(0);
  std::vector<std::uint32_t>& scalar = pending(1);
  std::vector<std::uint32_t>& btrd = pending(2);
  const auto load = [&](Gathered& g, int l, std::uint32_t i) {
    const bool real = i != UINT32_MAX;
    g.seed[l] = real ? seed[i] : 0;
    g.n[l] = real ? n[i] : 0;
    g.x[l] = real ? p[i] : 0;
  };
  by_lanes(count, nullptr, load, [&](Gathered& g, const std::uint32_t* at, int lanes) {
    K.binomial_fast(g.seed, g.n, g.x, g.out, g.done);
    for (int l = 0; l < lanes; ++l) {
      out[at[l]] = g.out[l];
      if (g.done[l] == INVERT) invert.push_back(at[l]);
      if (g.done[l] == SCALAR) btrd.push_back(at[l]);
    }
  });
  by_lanes(invert.size(), invert.data(), load, [&](Gathered& g, const std::uint32_t* at, int lanes) {
    for (int l = 0; l < LANES; ++l) g.done[l] = l < lanes ? INVERT : DONE;
    K.binomial_invert(g.seed, g.n, g.x, g.out, g.done);
    for (int l = 0; l < lanes; ++l) {
      out[at[l]] = g.out[l];
      if (g.done[l] == SCALAR) scalar.push_back(at[l]);
    }
  });
  btrd_lanes(btrd, seed, n, p, out);
  for (std::uint32_t i : scalar) {
    Stream stream = Stream::with_seed(seed[i]);
    out[i] = draw_binomial(stream, n[i], p[i]);
  }
}

void poisson_batch(std::size_t count, const std::uint64_t* seed, const double* mean, std::int64_t* out) {
  const LaneKernels& K = lane_kernels();
  std::vector<std::uint32_t>& invert = pending(0);
  std::vector<std::uint32_t>& scalar = pending(1);
  const auto load = [&](Gathered& g, int l, std::uint32_t i) {
    const bool real = i != UINT32_MAX;
    g.seed[l] = real ? seed[i] : 0;
    g.x[l] = real ? mean[i] : 0;
  };
  by_lanes(count, nullptr, load, [&](Gathered& g, const std::uint32_t* at, int lanes) {
    K.poisson_fast(g.seed, g.x, g.out, g.done);
    for (int l = 0; l < lanes; ++l) {
      out[at[l]] = g.out[l];
      if (g.done[l] == INVERT) invert.push_back(at[l]);
      if (g.done[l] == SCALAR) scalar.push_back(at[l]);
    }
  });
  by_lanes(invert.size(), invert.data(), load, [&](Gathered& g, const std::uint32_t* at, int lanes) {
    double p0[LANES];
    for (int l = 0; l < LANES; ++l) {
      g.done[l] = l < lanes ? INVERT : DONE;
      p0[l] = l < lanes ? std::exp(-g.x[l]) : 1.0;
    }
    K.poisson_invert(g.seed, g.x, p0, g.out, g.done);
    for (int l = 0; l < lanes; ++l) {
      out[at[l]] = g.out[l];
      if (g.done[l] == SCALAR) scalar.push_back(at[l]);
    }
  });
  for (std::uint32_t i : scalar) {
    Stream stream = Stream::with_seed(seed[i]);
    out[i] = draw_poisson(stream, mean[i]);
  }
}

void value_sum_batch(std::size_t count, const std::uint64_t* seed, const ValueDraw* const* value,
                     const std::int64_t* n, double* out) {
  const LaneKernels& K = lane_kernels();
  std::vector<std::uint32_t>& scalar = pending(1);
  const auto load = [&](Gathered& g, int l, std::uint32_t i) {
    const bool real = i != UINT32_MAX;
    g.seed[l] = real ? seed[i] : 0;
    g.value[l] = real ? value[i] : nullptr;
    const bool eligible = real && n[i] > 0 && value[i]->shape == ValueShape::gamma;
    g.n[l] = eligible;
    g.x[l] = eligible ? static_cast<double>(n[i]) * value[i]->gamma_shape : 0;
  };
  by_lanes(count, nullptr, load, [&](Gathered& g, const std::uint32_t* at, int lanes) {
    K.gamma_sum_fast(g.seed, g.x, g.n, g.sum, g.done);
    for (int l = 0; l < lanes; ++l) {
      const std::uint32_t i = at[l];
      if (g.done[l]) {
        // A shape below 1 (one customer of a value cv above 1) was drawn as Gamma(shape + 1) U^(1 / shape).
        const double shape = g.x[l], sum = g.sum[l];
        const double gamma = shape < 1 ? sum * std::pow(uniform_of(word(g.seed[l], 2)), 1 / shape) : sum;
        out[i] = g.value[l]->gamma_scale * gamma;
      } else if (n[i] <= 0) {
        out[i] = 0;
      } else {
        scalar.push_back(i);
      }
    }
  });
  for (std::uint32_t i : scalar) {
    Stream stream = Stream::with_seed(seed[i]);
    out[i] = value[i]->sum(stream, n[i]);
  }
}

void binomial_lanes(const LaneStreams& s, const Lanes<std::int64_t>& n, const Lanes<double>& p,
                    Lanes<std::int64_t>& out, int lanes) {
  const Lanes<std::uint64_t> seeds = seeds_of(s);
  binomial_batch(static_cast<std::size_t>(lanes), seeds.data(), n.data(), p.data(), out.data());
}

void poisson_lanes(const LaneStreams& s, const Lanes<double>& mean, Lanes<std::int64_t>& out, int lanes) {
  const Lanes<std::uint64_t> seeds = seeds_of(s);
  poisson_batch(static_cast<std::size_t>(lanes), seeds.data(), mean.data(), out.data());
}

void value_sum_lanes(const LaneStreams& s, const Lanes<const ValueDraw*>& value, const Lanes<std::int64_t>& n,
                     Lanes<double>& out, int lanes) {
  const Lanes<std::uint64_t> seeds = seeds_of(s);
  value_sum_batch(static_cast<std::size_t>(lanes), seeds.data(), value.data(), n.data(), out.data());
}

}  // namespace cxrisk
