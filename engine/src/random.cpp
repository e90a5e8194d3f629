#include "cxrisk/random.h"

namespace cxrisk {

namespace {
// Multipliers and key-schedule (Weyl) constants of Philox4x32 from the SC 2011 paper.
constexpr std::uint32_t PHILOX_M0 = 0xD2511F53;
constexpr std::uint32_t PHILOX_M1 = 0xCD9E8D57;
constexpr std::uint32_t PHILOX_W0 = 0x9E3779B9;
constexpr std::uint32_t PHILOX_W1 = 0xBB67AE85;
}  // namespace

std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> c, std::array<std::uint32_t, 2> k) {
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(PHILOX_M0) * c[0];
    const std::uint64_t p1 = static_cast<std::uint64_t>(PHILOX_M1) * c[2];
    const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
    k[0] += PHILOX_W0;
    k[1] += PHILOX_W1;
  }
  return c;
}

}  // namespace cxrisk
