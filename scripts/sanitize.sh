#!/usr/bin/env bash
# Builds cxrisk with AddressSanitizer and UndefinedBehaviorSanitizer in ./build-sanitize and runs every test
# there: the C++ tests with leak detection, the CLI and Python tests without it (their MPI runs end with Open
# MPI's own unreleased allocations, which are not cxrisk's), the Python module with the sanitizers'
# runtimes preloaded. Any report fails the run (-fno-sanitize-recover). Then builds the engine with
# ThreadSanitizer in ./build-tsan and runs the C++ tests (threads, shared tables built on demand, in-memory
# "processes") and multi-threaded run, compare, sweep, batch, sensitivity, compare --voi and a designed,
# correlated run to a precision; any data race fails the run.
# Takes about 35 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null

cmake --preset sanitize >/dev/null
cmake --build build-sanitize -j"$(nproc)"

export UBSAN_OPTIONS=print_stacktrace=1
# The coverage test (10,000 single-threaded runs of a small scenario) checks statistics, not memory: the
# rest of the suite runs the same code. The install test builds a consumer without the sanitizers runtimes.
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-sanitize --output-on-failure -j2 -E '^(cli|python|install|The 95% intervals.*)$'
ASAN_OPTIONS=detect_leaks=0 ctest --test-dir build-sanitize --output-on-failure -R '^cli$'
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" ASAN_OPTIONS=detect_leaks=0 \
  ctest --test-dir build-sanitize --output-on-failure -R '^python$'
echo "sanitize: every test passed under AddressSanitizer and UndefinedBehaviorSanitizer"

cmake --preset tsan >/dev/null
cmake --build build-tsan -j"$(nproc)" --target cxrisk cxrisk_tests cxrisk_fuzz_replay
export TSAN_OPTIONS=halt_on_error=1
# The coverage test's single-threaded runs, and the 90 runs of the replicate standard error's test, would take
# most of an hour here; the threads they use are the engine's, which the other tests run too.
ctest --test-dir build-tsan --output-on-failure -j2 -E '^(cli|python|install|The 95% intervals.*|A designed run reports.*)$'
exe=build-tsan/engine/cxrisk
$exe run scenarios/telecom.yaml --trials 2000 --threads 2 >/dev/null
$exe compare scenarios/telecom.yaml scenarios/telecom_prevention.yaml --trials 1000 --threads 2 >/dev/null
$exe sweep scenarios/telecom.yaml --vary "problems.billing_error.complaint_rate=0.2:0.8:0.3" --trials 300 \
  --threads 2 >/dev/null
$exe batch scenarios --trials 300 --threads 2 >/dev/null
$exe sensitivity scenarios/saas_b2b.yaml --trials 500 --design 128 --threads 2 >/dev/null
$exe compare scenarios/telecom.yaml scenarios/telecom_prevention.yaml --trials 1000 --voi --threads 2 >/dev/null
$exe run scenarios/telecom_correlated.yaml --sampling sobol --precision total_cost:mean:0.5% --threads 2 >/dev/null
echo "sanitize: the C++ tests and threaded commands ran without a data race under ThreadSanitizer"
