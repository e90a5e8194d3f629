#!/usr/bin/env bash
# Coverage-guided fuzzing of the scenario loader, `expect` and short runs, in process, with libFuzzer under
# AddressSanitizer and UndefinedBehaviorSanitizer (tests/fuzz/fuzz_scenario.cpp says what must hold).
#
#   scripts/fuzz_loader.sh [SECONDS] [libFuzzer options...]      (default 600 seconds)
#
# Builds ./build-fuzz with Clang (installing clang and its runtimes from Debian's packages if missing), seeds
# the corpus (build-fuzz/corpus, kept between runs) with the shipped scenarios, the bad-input files and the
# seeds of tests/fuzz/seeds (sweep axes in `#vary` comment lines), and fuzzes with the schema's dictionary (tests/fuzz/scenario.dict). An input that breaks a property, crashes,
# trips a sanitizer or takes over 30 s is written to fuzz-findings/ and fails the script: reduce it, fix the
# cause, and commit it to tests/fuzz/regressions/, which `ctest` replays (test fuzz_replay).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
scripts/bootstrap.sh >/dev/null

scripts/install_packages.sh clang libclang-rt-dev

flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCXRISK_FUZZ=ON \
  -DCXRISK_TESTS=OFF -DCXRISK_PYTHON=OFF -DCXRISK_MPI=OFF -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target cxrisk_fuzz_scenario

corpus=build-fuzz/corpus
mkdir -p "$corpus" fuzz-findings
export CXRISK_FUZZ_BASE="$PWD/scenarios"
export UBSAN_OPTIONS=print_stacktrace=1
build-fuzz/tests/fuzz/cxrisk_fuzz_scenario -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
  -max_len=16384 -dict=tests/fuzz/scenario.dict -artifact_prefix=fuzz-findings/ -print_final_stats=1 "$@" \
  "$corpus" scenarios tests/data/bad tests/fuzz/seeds tests/fuzz/regressions
