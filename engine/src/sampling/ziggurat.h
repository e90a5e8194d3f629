// The tables of the ziggurat normal sampler, shared by the scalar sampler and the lane-parallel one.
#pragma once

#include <array>

namespace cxrisk {

/// The ziggurat of Marsaglia and Tsang ("The ziggurat method for generating random variables", J. Stat.
/// Software 5, 2000) with 128 layers of equal area, in Doornik's formulation ("An improved ziggurat method to
/// generate normal random samples", 2005): one 64-bit word gives the layer (its low 7 bits) and a signed
/// uniform (its high 52 bits); about 99% of draws return after one comparison.
struct Ziggurat {
  static constexpr double R = 3.442619855899;       // start of the tail
  static constexpr double V = 9.91256303526217e-3;  // area of each layer
  std::array<double, 129> x{};                      // layer edges, x[0] the tail's equivalent width
  std::array<double, 128> ratio{};                  // x[i + 1] / x[i]: inside this, accept at once
  Ziggurat();
};

extern const Ziggurat ZIGGURAT;

}  // namespace cxrisk
