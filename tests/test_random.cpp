#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "cxrisk/random.h"

using namespace cxrisk;

TEST_CASE("Philox4x32-10 matches the Random123 known-answer vectors", "[random]") {
  // tests/kat_vectors of Random123 (Salmon et al.): counter, key, expected output.
  CHECK(philox4x32_10({0, 0, 0, 0}, {0, 0}) ==
        std::array<std::uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        std::array<std::uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        std::array<std::uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("A stream skipped ahead equals the stream drawn in sequence", "[random]") {
  Stream sequential(12345, 1, 2, 3);
  std::vector<std::uint64_t> words;
  for (int i = 0; i < 101; ++i) words.push_back(sequential());
  for (std::uint64_t index : {0u, 1u, 2u, 7u, 50u, 99u, 100u}) {
    Stream jumped(12345, 1, 2, 3);
    jumped.seek(index);
    CHECK(jumped() == words[index]);
  }
}

TEST_CASE("A stream is a pure function of its key and counter", "[random]") {
  Stream a(99, 4, 5, 6), b(99, 4, 5, 6), c(99, 4, 5, 7), d(98, 4, 5, 6);
  const auto x = a(), y = b(), z = c(), w = d();
  CHECK(x == y);
  CHECK(x != z);
  CHECK(x != w);
  CHECK(keyed_uniform(7, 11, 0) == keyed_uniform(7, 11, 0));
  CHECK(keyed_uniform(7, 11, 0) != keyed_uniform(7, 12, 0));
  CHECK(key_combine(1, "a") != key_combine(1, "b"));
  CHECK(key_combine(key_combine(1, "a"), "b") != key_combine(key_combine(1, "b"), "a"));
}

TEST_CASE("Uniforms are in (0, 1) and uniform (chi-square over 100 bins)", "[random][statistical]") {
  constexpr int BINS = 100, N = 1000000;
  std::vector<int> count(BINS);
  Stream s(2026, 0, 0, 0);
  for (int i = 0; i < N; ++i) {
    const double u = s.uniform();
    REQUIRE(u > 0);
    REQUIRE(u < 1);
    ++count[static_cast<int>(u * BINS)];
  }
  double chi2 = 0;
  const double expected = static_cast<double>(N) / BINS;
  for (int c : count) chi2 += (c - expected) * (c - expected) / expected;
  // 99 degrees of freedom: mean 99, sd 14; 99 + 4.5 sd = 162.
  CHECK(chi2 < 162);
  // Neighbouring keyed uniforms (trial t and t + 1) are uncorrelated.
  double sxy = 0, sx = 0, sy = 0;
  for (int t = 0; t < N; ++t) {
    const double x = keyed_uniform(77, t), y = keyed_uniform(77, t + 1);
    sxy += x * y;
    sx += x;
    sy += y;
  }
  const double cov = sxy / N - (sx / N) * (sy / N);
  // The sample covariance of independent U(0,1) pairs has sd 1/12/sqrt(N).
  CHECK(std::abs(cov) < 4.5 / 12 / std::sqrt(static_cast<double>(N)));
}
