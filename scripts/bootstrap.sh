#!/usr/bin/env bash
# Installs what cxrisk needs from Debian's packages (only what is missing), then configures and builds it
# in ./build. Safe to run again: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install_packages.sh \
  build-essential cmake \
  libeigen3-dev libboost-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libfmt-dev \
  catch2 python3-pytest \
  pybind11-dev python3-dev python3-numpy python3-pandas python3-yaml \
  libopenmpi-dev openmpi-bin \
  pkg-config libxlsxwriter-dev \
  chromium fonts-ipafont-gothic python3-openpyxl python3-websocket

# The release preset (CMakePresets.json): Debian's Python (the python3 on PATH may be another one, without
# numpy) and warnings as errors.
cmake --preset release >/dev/null
cmake --build build -j"$(nproc)"
