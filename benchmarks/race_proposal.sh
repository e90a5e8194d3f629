#!/usr/bin/env bash
# Races the lifetime-pooling proposal (docs/proposal-lifetime-pooling.md) against main and the numpy baseline
# on benchmarks/retailer.yaml, so that the proposal's figures can be reproduced with one command.
#
#   benchmarks/race_proposal.sh [--rounds N] [--trials N]
#
# Builds two engines from the committed tree (git HEAD) in a temporary folder: main as it is, and main with
# docs/proposal-lifetime-pooling.patch applied. Then runs ROUNDS rounds (default 5) of TRIALS trials (default
# 20,000); in each round main on all cores, the proposal on all cores and the numpy baseline run in turn, and the
# best (shortest) time of each counts, as in benchmarks/run.sh. The baseline's means are checked against each
# engine's before a ratio is printed. main must give the benchmark's usual JSON and the proposal other values
# from the same counts; the script prints both JSONs' md5 and the largest relative difference of their total
# means, as a check that each build is what it says.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=5
TRIALS=20000
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --trials) TRIALS=$2; shift 2 ;;
    *) echo "usage: benchmarks/race_proposal.sh [--rounds N] [--trials N]" >&2; exit 2 ;;
  esac
done

PY=/usr/bin/python3
SCENARIO=benchmarks/retailer.yaml
PATCH=docs/proposal-lifetime-pooling.patch
CORES=$(nproc)
scripts/install_packages.sh build-essential cmake git libeigen3-dev libboost-dev libyaml-cpp-dev libcli11-dev \
  nlohmann-json3-dev libfmt-dev python3-numpy python3-yaml bc
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

build() { # build NAME [PATCH]: the committed tree, with PATCH applied if given, built in WORK/NAME
  local name=$1 src=$WORK/$1-src
  mkdir -p "$src"
  git archive HEAD | tar -x -C "$src"
  if [ -n "${2:-}" ]; then (cd "$src" && git apply "$OLDPWD/$2"); fi
  cmake -S "$src" -B "$WORK/$name" -DCMAKE_BUILD_TYPE=Release -DCXRISK_TESTS=OFF -DCXRISK_PYTHON=OFF >/dev/null
  cmake --build "$WORK/$name" -j"$CORES" --target cxrisk >/dev/null
}
# shellcheck source=benchmarks/timing.sh
source benchmarks/timing.sh
check() { # check JSON: the numpy baseline's means against an engine's (exits when they disagree)
  local out
  out=$($PY benchmarks/baseline_numpy.py $SCENARIO --trials "$TRIALS" --check "$1" 2>&1)
  echo "$out" | grep -q "agree" || { echo "$out"; exit 1; }
  echo "$out" | grep "agree"
}

echo "# The lifetime-pooling proposal raced against main and numpy"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "commit: $(git rev-parse --short HEAD); $TRIALS trials, $ROUNDS rounds, best of each"
build main
build proposal "$PATCH"
MAIN=$WORK/main/engine/cxrisk
PROP=$WORK/proposal/engine/cxrisk
$MAIN run $SCENARIO --trials "$TRIALS" --json >"$WORK/main.json"
$PROP run $SCENARIO --trials "$TRIALS" --json >"$WORK/proposal.json"
echo "md5 of the JSON: main $(md5sum <"$WORK/main.json" | cut -c1-8), proposal $(md5sum <"$WORK/proposal.json" | cut -c1-8)"
$PY - "$WORK/main.json" "$WORK/proposal.json" <<'PY'
import json, sys
a, b = (json.load(open(f))["metrics"] for f in sys.argv[1:])
gap = max(abs(b[m]["mean"] - a[m]["mean"]) / abs(a[m]["mean"]) for m in a if a[m]["mean"])
print(f"largest relative difference of the total means, proposal against main: {gap:.2e}")
PY
echo -n "main:     "; check "$WORK/main.json"
echo -n "proposal: "; check "$WORK/proposal.json"

tm=""; tp=""; tn=""
for ((r = 1; r <= ROUNDS; r++)); do
  tm=$(best "$tm" "$(seconds "$MAIN" run $SCENARIO --trials "$TRIALS" --threads "$CORES")")
  tp=$(best "$tp" "$(seconds "$PROP" run $SCENARIO --trials "$TRIALS" --threads "$CORES")")
  out=$($PY benchmarks/baseline_numpy.py $SCENARIO --trials "$TRIALS")
  tn=$(best "$tn" "$(echo "$out" | sed -n 's/.* in \([0-9.]*\) s .*/\1/p')")
done
printf "%-28s %8.2f s  %9.1f trials/s  %5.1fx numpy\n" "main, $CORES threads" "$tm" \
  "$(echo "$TRIALS / $tm" | bc -l)" "$(echo "$tn / $tm" | bc -l)"
printf "%-28s %8.2f s  %9.1f trials/s  %5.1fx numpy\n" "proposal, $CORES threads" "$tp" \
  "$(echo "$TRIALS / $tp" | bc -l)" "$(echo "$tn / $tp" | bc -l)"
printf "%-28s %8.2f s  %9.1f trials/s\n" "numpy baseline" "$tn" "$(echo "$TRIALS / $tn" | bc -l)"
printf "proposal against main: %.2fx the speed\n" "$(echo "$tm / $tp" | bc -l)"
