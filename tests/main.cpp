// The test runner: Catch2's, except that a run in which a test was skipped (test::skip: something this
// machine lacks) and none failed exits 77, which ctest reports as skipped rather than passed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "helpers.h"

int main(int argc, char* argv[]) {
  const int failed = Catch::Session().run(argc, argv);
  return failed == 0 && cxrisk::test::skipped() ? 77 : failed;
}
