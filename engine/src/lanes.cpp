#include "lanes.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "inversion.h"
#include "ziggurat.h"

// Each fast path is compiled three times and picked at load time for the processor: AVX-512 (x86-64-v4),
// AVX2 (x86-64-v3), and baseline x86-64. The loops over the lanes are plain arithmetic, which GCC vectorises.
// Floating-point contraction is off for the whole library (-ffp-contract=off), so a lane computes exactly the
// operations the scalar sampler does, whatever the instruction set.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CXRISK_LANE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CXRISK_LANE_CLONES
#endif

namespace cxrisk {

namespace {

// The stream formulas are Stream's own, so a lane draws exactly what the scalar sampler would.
inline std::uint64_t word(std::uint64_t seed, std::uint64_t i) {
  return Stream::word(seed, i);
}
inline double uniform_of(std::uint64_t w) {
  return Stream::uniform_of(w);
}

// The loops below are kept straight-line code, so that the compiler vectorises them: flags combine with & and
// | (C++'s && and || are branches), conditional values are plain ?: of computed values, and flags are 64-bit
// like the numbers beside them, so that one vector holds the eight lanes of each.

CXRISK_LANE_CLONES
void seeds_of(std::uint64_t h, const std::uint64_t* trial, std::uint64_t* seed) {
  for (int l = 0; l < LANES; ++l) seed[l] = Stream::seed_of(h, trial[l]);
}

// What a fast path leaves for each lane: its draw done, or to be made by the lanes' inversion, or by the
// scalar sampler from the start of the lane's stream.
enum : std::int64_t { SCALAR = 0, DONE = 1, INVERT = 2 };

// BTRD's first region (draw_binomial -> binomial_btrd), or a trivial case, for every lane; a lane with a
// mean below 10 is marked for the inversion.
CXRISK_LANE_CLONES
void binomial_fast(const std::uint64_t* seed, const std::int64_t* n, const double* p, std::int64_t* out,
                   std::int64_t* done) {
  for (int l = 0; l < LANES; ++l) {
    const double pl = p[l], dn = static_cast<double>(n[l]);
    const bool trivial = (n[l] <= 0) | !(pl > 0) | (pl >= 1);
    const bool flip = pl > 0.5;
    const double pp = flip ? 1 - pl : pl;
    const bool btrd = !trivial & !(dn * pp < INVERSION_MEAN_MAX);
    const double npq = dn * pp * (1 - pp), spq = std::sqrt(btrd ? npq : 1.0);
    const double b = 1.15 + 2.53 * spq, inv_b = 1 / b;
    const double a = -0.0873 + 0.0248 * b + 0.01 * pp, c = dn * pp + 0.5;
    const double vr = 0.92 - 4.2 * inv_b, inv_vr = 1 / vr, urvr = 0.86 * vr;
    const double v = uniform_of(word(seed[l], 0));
    const double u = v * inv_vr - 0.43;
    const bool accept = btrd & (v <= urvr);
    const double k = std::floor((2 * a / (0.5 - std::abs(u)) + b) * u + c);
    const auto x = static_cast<std::int64_t>(accept ? k : 0.0);
    const std::int64_t drawn = flip ? n[l] - x : x;
    const std::int64_t fixed = (n[l] <= 0) | !(pl > 0) ? std::int64_t{0} : n[l];
    out[l] = trivial ? fixed : drawn;
    done[l] = (trivial | accept) ? DONE : (btrd ? SCALAR : INVERT);
  }
}

// Steps the sequential-inversion searches of all lanes together, as the scalar samplers' loops step one: at
// step x a running lane takes f from u and multiplies f by factor(l, x); it stops at u <= f (inside the
// support) with the draw value(l, x), or is marked SCALAR where the scalar loop would draw again (x past the
// support, or f below 1e-300). Lanes still running after INVERSION_STEPS go to the scalar sampler too; the
// others marked INVERT are done.
template <class Factor, class InSupport, class Value>
inline void invert_steps(double* u, double* f, std::int64_t* running, std::int64_t* out, std::int64_t* done,
                         Factor factor, InSupport in_support, Value value) {
  std::int64_t any = 0;
  for (int l = 0; l < LANES; ++l) any |= running[l];
  for (int x = 1; x < INVERSION_STEPS && any; ++x) {
    any = 0;
    for (int l = 0; l < LANES; ++l) {
      const bool run = running[l] != 0;
      const bool inside = in_support(l, x);
      const double ul = u[l] - f[l];
      const double fl = f[l] * factor(l, x);
      const bool found = inside & (ul <= fl);
      const bool restart = (!inside | (fl < 1e-300)) & !found;
      u[l] = run ? ul : u[l];
      f[l] = run ? fl : f[l];
      out[l] = (run & found) ? value(l, x) : out[l];
      done[l] = (run & restart) ? SCALAR : done[l];
      running[l] = run & !restart & !found;
      any |= running[l];
    }
  }
  for (int l = 0; l < LANES; ++l) {
    done[l] = running[l] ? SCALAR : done[l];
    done[l] = done[l] == INVERT ? DONE : done[l];
  }
}

// Sequential inversion (draw_binomial -> binomial_inversion) for the lanes marked INVERT, all lanes stepping
// through x = 1, 2, ... together; a lane whose search the scalar sampler would restart (or that is still
// searching after INVERSION_STEPS) is marked SCALAR.
CXRISK_LANE_CLONES
void binomial_invert(const std::uint64_t* seed, const std::int64_t* n, const double* p, std::int64_t* out,
                     std::int64_t* done) {
  double f[LANES], u[LANES], a[LANES], ratio[LANES], x2[LANES];
  std::int64_t running[LANES], bits[LANES];
  std::int64_t any_bits = 0;
  for (int l = 0; l < LANES; ++l) {
    const bool invert = done[l] == INVERT;
    const double pl = p[l], pp = pl > 0.5 ? 1 - pl : pl, q = 1 - pp;
    ratio[l] = pp / q;
    a[l] = (static_cast<double>(n[l]) + 1) * ratio[l];
    x2[l] = q;
    f[l] = 1;
    bits[l] = invert ? n[l] : 0;
    any_bits |= bits[l];
  }
  // f = q^n by binary powering, as power() does it (a multiplication by 1 is exact, so multiplying every
  // lane at every bit changes nothing). Written with vector types: GCC does not vectorise this loop itself.
  using VD = double __attribute__((vector_size(8 * LANES)));
  using VI = std::int64_t __attribute__((vector_size(8 * LANES)));
  VD vf, vx;
  VI vb;
  std::memcpy(&vf, f, sizeof vf);
  std::memcpy(&vx, x2, sizeof vx);
  std::memcpy(&vb, bits, sizeof vb);
  const VD one = VD{} + 1.0;
  for (std::uint64_t rest = static_cast<std::uint64_t>(any_bits); rest != 0; rest >>= 1) {
    vf = vf * ((vb & 1) != 0 ? vx : one);
    vx = vx * vx;
    vb >>= 1;
  }
  std::memcpy(f, &vf, sizeof vf);
  for (int l = 0; l < LANES; ++l) {
    u[l] = uniform_of(word(seed[l], 0));
    running[l] = (done[l] == INVERT) & (u[l] > f[l]);
    out[l] = done[l] == INVERT ? (p[l] > 0.5 ? n[l] : 0) : out[l];
  }
  invert_steps(
      u, f, running, out, done,
      [&](int l, int x) { return a[l] * RECIPROCAL[static_cast<std::size_t>(x)] - ratio[l]; },
      [&](int l, int x) { return x <= n[l]; }, [&](int l, int x) { return p[l] > 0.5 ? n[l] - x : x; });
}

// PTRD's first region (draw_poisson -> poisson_ptrd), or a zero mean.
CXRISK_LANE_CLONES
void poisson_fast(const std::uint64_t* seed, const double* mean, std::int64_t* out, std::int64_t* done) {
  for (int l = 0; l < LANES; ++l) {
    const double mu = mean[l];
    const bool zero = !(mu > 0);
    const bool ptrd = !zero & !(mu < INVERSION_MEAN_MAX);
    const double smu = std::sqrt(ptrd ? mu : 10.0), b = 0.931 + 2.53 * smu, a = -0.059 + 0.02483 * b;
    const double vr = 0.9277 - 3.6224 / (b - 2);
    const double u = uniform_of(word(seed[l], 0)) - 0.5, v = uniform_of(word(seed[l], 1));
    const double us = 0.5 - std::abs(u);
    const bool accept = ptrd & (us >= 0.07) & (v <= vr);
    const double kf = std::floor((2 * a / us + b) * u + mu + 0.43);
    out[l] = static_cast<std::int64_t>(accept ? kf : 0.0);
    done[l] = (zero | accept) ? DONE : (ptrd ? SCALAR : INVERT);
  }
}

// Sequential inversion (draw_poisson -> poisson_inversion) for the lanes marked INVERT, stepping together as
// binomial_invert does; p0 holds exp(-mean), computed by the caller as the scalar sampler computes it.
CXRISK_LANE_CLONES
void poisson_invert(const std::uint64_t* seed, const double* mean, const double* p0, std::int64_t* out,
                    std::int64_t* done) {
  double f[LANES], u[LANES];
  std::int64_t running[LANES];
  for (int l = 0; l < LANES; ++l) {
    f[l] = p0[l];
    u[l] = uniform_of(word(seed[l], 0));
    running[l] = (done[l] == INVERT) & (u[l] > f[l]);
    out[l] = done[l] == INVERT ? 0 : out[l];
  }
  invert_steps(
      u, f, running, out, done,
      [&](int l, int k) { return mean[l] * RECIPROCAL[static_cast<std::size_t>(k)]; },
      [](int, int) { return true; }, [](int, int k) { return std::int64_t{k}; });
}

// Marsaglia-Tsang's squeeze with the ziggurat's rectangle (draw_gamma as ValueDraw::sum calls it; a shape
// below 1 is drawn with shape + 1, and the caller applies the power of the next uniform), or a zero count.
CXRISK_LANE_CLONES
void gamma_sum_fast(const std::uint64_t* seed, const double* shape, const std::int64_t* eligible,
                    double* __restrict out, std::int64_t* __restrict done) {
  const double* zx = ZIGGURAT.x.data();
  const double* zratio = ZIGGURAT.ratio.data();
  for (int l = 0; l < LANES; ++l) {
    const bool fast = eligible[l] != 0;
    const double a = !fast ? 1.0 : shape[l] < 1 ? shape[l] + 1 : shape[l];
    const double d = a - 1.0 / 3, c = 1 / std::sqrt(9 * d);
    const std::uint64_t w = word(seed[l], 0), i = w & 0x7f;
    const double un = (static_cast<double>(w >> 12) + 0.5) * 0x1.0p-51 - 1;
    const bool rectangle = std::abs(un) < zratio[i];
    const double x = un * zx[i];
    double v = 1 + c * x;
    const bool positive = v > 0;
    v = v * v * v;
    const double u = uniform_of(word(seed[l], 1)), x2 = x * x;
    const bool accept = fast & rectangle & positive & (u < 1 - 0.0331 * x2 * x2);
    out[l] = d * v;
    done[l] = accept;
  }
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
  thread_local std::vector<std::uint32_t> lists[2];
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

}  // namespace

Lanes<std::uint64_t> seeds_of(const LaneStreams& s) {
  Lanes<std::uint64_t> seeds;
  seeds_of(mix64(s.key ^ s.address), s.trial.data(), seeds.data());
  return seeds;
}

void binomial_batch(std::size_t count, const std::uint64_t* seed, const std::int64_t* n, const double* p,
                    std::int64_t* out) {
  std::vector<std::uint32_t>& invert = pending(0);
  std::vector<std::uint32_t>& scalar = pending(1);
  const auto load = [&](Gathered& g, int l, std::uint32_t i) {
    const bool real = i != UINT32_MAX;
    g.seed[l] = real ? seed[i] : 0;
    g.n[l] = real ? n[i] : 0;
    g.x[l] = real ? p[i] : 0;
  };
  by_lanes(count, nullptr, load, [&](Gathered& g, const std::uint32_t* at, int lanes) {
    binomial_fast(g.seed, g.n, g.x, g.out, g.done);
    for (int l = 0; l < lanes; ++l) {
      out[at[l]] = g.out[l];
      if (g.done[l] == INVERT) invert.push_back(at[l]);
      if (g.done[l] == SCALAR) scalar.push_back(at[l]);
    }
  });
  by_lanes(invert.size(), invert.data(), load, [&](Gathered& g, const std::uint32_t* at, int lanes) {
    for (int l = 0; l < LANES; ++l) g.done[l] = l < lanes ? INVERT : DONE;
    binomial_invert(g.seed, g.n, g.x, g.out, g.done);
    for (int l = 0; l < lanes; ++l) {
      out[at[l]] = g.out[l];
      if (g.done[l] == SCALAR) scalar.push_back(at[l]);
    }
  });
  for (std::uint32_t i : scalar) {
    Stream stream = Stream::with_seed(seed[i]);
    out[i] = draw_binomial(stream, n[i], p[i]);
  }
}

void poisson_batch(std::size_t count, const std::uint64_t* seed, const double* mean, std::int64_t* out) {
  std::vector<std::uint32_t>& invert = pending(0);
  std::vector<std::uint32_t>& scalar = pending(1);
  const auto load = [&](Gathered& g, int l, std::uint32_t i) {
    const bool real = i != UINT32_MAX;
    g.seed[l] = real ? seed[i] : 0;
    g.x[l] = real ? mean[i] : 0;
  };
  by_lanes(count, nullptr, load, [&](Gathered& g, const std::uint32_t* at, int lanes) {
    poisson_fast(g.seed, g.x, g.out, g.done);
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
    poisson_invert(g.seed, g.x, p0, g.out, g.done);
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
    gamma_sum_fast(g.seed, g.x, g.n, g.sum, g.done);
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
