#!/usr/bin/env bash
# Rewrites the generated part of docs/scenario.md from the parameter registry (`cxrisk reference`), after a
# change to the registry. A test fails until this has been run.
#   scripts/update_reference.sh
set -euo pipefail
cd "$(dirname "$0")/.."
/usr/bin/python3 - "$(build/engine/cxrisk reference)" <<'PY'
import re, sys
from pathlib import Path
page = Path("docs/scenario.md")
text = page.read_text()
begin = text.index("<!-- BEGIN REFERENCE")
begin = text.index("\n", begin) + 1
end = text.index("<!-- END REFERENCE -->")
page.write_text(text[:begin] + sys.argv[1] + "\n" + text[end:])
PY
echo "rewrote the reference in docs/scenario.md" >&2
