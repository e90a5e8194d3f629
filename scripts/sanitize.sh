#!/usr/bin/env bash
# Builds cxrisk with AddressSanitizer and UndefinedBehaviorSanitizer in ./build-sanitize and runs every test
# there: the C++ tests with leak detection, the CLI and Python tests without it (their MPI runs end with Open
# MPI's own unreleased allocations, which are not cxrisk's), the Python module with the sanitizers'
# runtimes preloaded. Any report fails the run (-fno-sanitize-recover). Takes about 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null

flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython_EXECUTABLE=/usr/bin/python3 \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags" >/dev/null
cmake --build build-sanitize -j"$(nproc)"

export UBSAN_OPTIONS=print_stacktrace=1
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-sanitize --output-on-failure -j2 -E '^(cli|python)$'
ASAN_OPTIONS=detect_leaks=0 ctest --test-dir build-sanitize --output-on-failure -R '^cli$'
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" ASAN_OPTIONS=detect_leaks=0 \
  ctest --test-dir build-sanitize --output-on-failure -R '^python$'
echo "sanitize: every test passed under AddressSanitizer and UndefinedBehaviorSanitizer"
