"""The library's layers (engine/CMakeLists.txt): each may include only what sits below it. The link lines
enforce this for libraries, but headers in /usr/include (yaml-cpp, nlohmann) are visible to every target:
this test reads the includes."""
import re
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "engine"
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)

# Public headers by the layer that defines them.
SAMPLER_HEADERS = {"cxrisk/random.h", "cxrisk/sampling.h", "cxrisk/quantity.h", "cxrisk/error.h", "cxrisk/design.h"}
IO_HEADERS = {"cxrisk/loader.h", "cxrisk/output.h", "cxrisk/batch.h", "cxrisk/session.h", "cxrisk/progress.h",
              "cxrisk/report.h"}
THIRD_PARTY_ABOVE_CORE = ("yaml-cpp/", "nlohmann/", "CLI/", "xlsxwriter")

LAYERS = {
    "samplers": ["src/sampling"],
    "core": ["src/scenario", "src/chain", "src/stats", "src/studies"],
}


def sources(folders):
    for folder in folders:
        for path in sorted((ENGINE / folder).iterdir()):
            if path.suffix in (".cpp", ".h", ".inc"):
                yield path


@pytest.mark.parametrize("path", list(sources(LAYERS["samplers"])), ids=lambda p: p.name)
def test_the_samplers_see_no_scenario(path):
    for header in INCLUDE.findall(path.read_text()):
        if header.startswith("cxrisk/"):
            assert header in SAMPLER_HEADERS, f"{path.name} includes {header}"
        assert not header.startswith(("chain/", "stats/", "studies/", "scenario/", "io/")), f"{path.name}: {header}"
        assert not header.startswith(THIRD_PARTY_ABOVE_CORE), f"{path.name} includes {header}"


@pytest.mark.parametrize("path", list(sources(LAYERS["core"])), ids=lambda p: p.name)
def test_the_core_reads_no_files(path):
    for header in INCLUDE.findall(path.read_text()):
        assert header not in IO_HEADERS, f"{path.name} includes {header}"
        assert not header.startswith(("io/", "report/")), f"{path.name} includes {header}"
        assert not header.startswith(THIRD_PARTY_ABOVE_CORE), f"{path.name} includes {header}"


def test_public_headers_of_lower_layers_stay_below():
    for header in SAMPLER_HEADERS:
        for included in INCLUDE.findall((ENGINE / "include" / header).read_text()):
            assert included not in IO_HEADERS and not included.startswith(THIRD_PARTY_ABOVE_CORE), (header, included)
