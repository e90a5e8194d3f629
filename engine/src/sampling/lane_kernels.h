// The kernels of the lane-parallel samplers (lanes.cpp): straight-line code over LANES draws that the
// compiler turns into SIMD code. lane_kernels.inc is compiled once per x86-64 instruction-set level
// (lane_kernels_v4.cpp for AVX-512, _v3 for AVX2, _base for the baseline) and lanes.cpp picks the best the
// processor has when the library is first used (or the set CXRISK_LANE_KERNELS names). Floating-point
// contraction is off for the whole library
// (-ffp-contract=off), so a lane computes exactly the operations the scalar sampler does, whatever the
// instruction set: the choice changes the speed, never the numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "lanes.h"

namespace cxrisk {

/// The draws the inversion kernels take at a time: two vectors of lanes, whose independent chains of
/// multiplications overlap.
inline constexpr int INVERT_LANES = 2 * LANES;

// What a fast path leaves for each lane: its draw done, or to be made by the lanes' inversion (INVERT), or
// past the first test (SCALAR: by the rejection loop in lanes where there is one, else by the scalar sampler
// from the start of the draw's stream).
enum : std::int64_t { SCALAR = 0, DONE = 1, INVERT = 2 };

// The lanes of BTRD's rejection loop (binomial_btrd past its first, cheap test), for draws that failed that
// test: each slot holds one draw, with the constants of its (n, p) and its place in its stream. A round is
// one pass of the scalar loop for every slot; a slot that accepts is emptied, and the driver refills it.
struct BtrdSlots {
  std::int64_t live[LANES], n[LANES], m[LANES], next[LANES], flip[LANES], out[LANES], fresh[LANES];
  std::uint64_t seed[LANES];
  double p[LANES], dn[LANES], npq[LANES], a[LANES], b[LANES], c[LANES], vr[LANES], inv_vr[LANES], urvr[LANES],
      alpha[LANES], r[LANES], nr[LANES], v[LANES];
};

// The lanes of PTRD's rejection loop (poisson_ptrd past its first, cheap test), likewise: a slot starts
// again at the first iteration, whose cheap test it fails again.
struct PtrdSlots {
  std::int64_t live[LANES], next[LANES], out[LANES], fresh[LANES];
  std::uint64_t seed[LANES];
  double mu[LANES], a[LANES], b[LANES], vr[LANES], inv_alpha[LANES], log_mu[LANES];
};

// The lanes of Marsaglia and Tsang's gamma loop (draw_gamma past its first squeeze), likewise from the start
// of the stream. A normal the ziggurat does not take from its rectangle sends the slot to the scalar sampler
// (scalar set, no longer live); an accepted slot leaves d v^3 in out and in next the word after the loop's.
struct GammaSlots {
  std::int64_t live[LANES], next[LANES], fresh[LANES], scalar[LANES];
  std::uint64_t seed[LANES];
  double shape[LANES], d[LANES], c[LANES], out[LANES];
};

/// The kernels of one instruction-set level.
struct LaneKernels {
  /// Stream seeds from their sums h + b (Stream::seed_of), in place: seed[i] = mix64(seed[i]) for i < count.
  void (*mix_seeds)(std::uint64_t* seed, std::size_t count);
  /// BTRD's first region (draw_binomial -> binomial_btrd), or a trivial case, for every lane; a lane with a
  /// mean below 10 is marked INVERT, one that fails the test SCALAR.
  void (*binomial_fast)(const std::uint64_t* seed, const std::int64_t* n, const double* p, std::int64_t* out,
                        std::int64_t* done);
  /// Sequential inversion for the lanes marked INVERT (INVERT_LANES of them); a lane the scalar loop would
  /// restart is marked SCALAR.
  void (*binomial_invert)(const std::uint64_t* seed, const std::int64_t* n, const double* p,
                          std::int64_t* out, std::int64_t* done);
  /// PTRD's first region (draw_poisson -> poisson_ptrd), or a zero mean.
  void (*poisson_fast)(const std::uint64_t* seed, const double* mean, std::int64_t* out, std::int64_t* done);
  /// Sequential inversion (draw_poisson -> poisson_inversion) over INVERT_LANES.
  void (*poisson_invert)(const std::uint64_t* seed, const double* mean, std::int64_t* out,
                         std::int64_t* done);
  /// Marsaglia-Tsang's squeeze with the ziggurat's rectangle, or a zero count.
  void (*gamma_sum_fast)(const std::uint64_t* seed, const double* shape, const std::int64_t* eligible,
                         double* out, std::int64_t* done);
  /// power_of_uniform(u[l], shape[l]) for every lane (the factor of a gamma shape below 1).
  void (*powers_of_uniform)(const double* u, const double* shape, double* out);
  // The rejection loops (null where the instruction set makes them slower than the scalar samplers).
  /// The constants of BTRD's loop for the slots just filled.
  void (*btrd_setup)(BtrdSlots& s);
  /// One pass of BTRD's loop for every live slot.
  void (*btrd_round)(BtrdSlots& s);
  /// The constants of PTRD's loop for the slots just filled.
  void (*ptrd_setup)(PtrdSlots& s);
  /// One pass of PTRD's loop for every live slot.
  void (*ptrd_round)(PtrdSlots& s);
  /// The constants of the gamma loop for the slots just filled.
  void (*gamma_setup)(GammaSlots& s);
  /// One pass of the gamma loop for every live slot.
  void (*gamma_round)(GammaSlots& s);
};

namespace isa_v4 {
extern const LaneKernels kernels;
}
namespace isa_v3 {
extern const LaneKernels kernels;
}
namespace isa_base {
extern const LaneKernels kernels;
}

/// The kernels for this processor (chosen once), or those set by use_lane_kernels.
const LaneKernels& lane_kernels();

/// Makes lane_kernels() return `kernels` (nullptr: the processor's choice again), for tests and benchmarks
/// that compare instruction sets; not to be called while other threads draw.
void use_lane_kernels(const LaneKernels* kernels);

/// The kernel sets built into the library that this processor can run, by name ("x86-64-v4", ...), the
/// baseline first.
std::vector<std::pair<const char*, const LaneKernels*>> lane_kernel_sets();

}  // namespace cxrisk
