#!/usr/bin/env bash
# Installs the library (component `development`) from a build tree into a fresh prefix, builds the consumer
# program against it with find_package(cxrisk), and checks that it gives the numbers of the build tree's own
# command line.
#   check_install.sh BUILD_DIR CXRISK_EXE SCENARIO
set -euo pipefail
build=$1 exe=$2 scenario=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" --component development >/dev/null
cmake -S "$(dirname "$0")/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" -j2 >/dev/null
got=$("$work/build/consumer" "$scenario")
want=$("$exe" run "$scenario" --trials 2000 --threads 1 --json | /usr/bin/python3 -c '
import json, subprocess, sys
run = json.load(sys.stdin)
print(repr(run["metrics"]["total_cost"]["mean"]))')
lost=$("$exe" expect "$scenario" --json | /usr/bin/python3 -c '
import json, sys
print(repr(json.load(sys.stdin)["metrics"]["customers_lost"]["mean"]))')
/usr/bin/python3 - "$got" "$want" "$lost" <<'PY'
import sys
got = [float(x) for x in sys.argv[1].split()]
want, lost = float(sys.argv[2]), float(sys.argv[3])
assert abs(got[0] - want) <= 1e-9 * abs(want), (got, want)
assert abs(got[1] - lost) <= 1e-9 * abs(lost), (got, lost)
print("installed library:", got)
PY
