#!/usr/bin/env bash
# Rewrites the golden results the tests compare against, from the build in ./build. Run it only when a
# deliberate change changes the random streams or the samplers (so every number moves), and say so in the
# commit and in CHANGELOG.md; a test never rewrites its own reference.
#   scripts/regenerate_golden.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build/engine/cxrisk run scenarios/telecom.yaml --trials 3000 --seed 20261123 --json \
  | /usr/bin/python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin), indent=2))' \
  > tests/data/golden/telecom_3000_20261123.json
echo "rewrote tests/data/golden/telecom_3000_20261123.json" >&2
