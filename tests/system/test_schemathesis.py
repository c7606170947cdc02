"""An outside checker: schemathesis fuzzes every operation that /api/v1/openapi.json
describes against a real server, with every check it has, and must find nothing.

Bounded so it costs a minute or so on two cores: a fixed seed (the same requests
in every run, so a failure can be replayed), a fixed number of examples per
operation, no example database carried between runs. A new endpoint or
parameter is fuzzed the day it lands: the run covers whatever the file describes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.system.support import Site

SCHEMATHESIS = str(Path(sys.executable).parent / "st")
SEED = 20261206
MAX_EXAMPLES = 50  # per operation and phase


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzzed")
    site = Site(f"sqlite:///{folder / 'directory.sqlite3'}", workers=2).start()
    yield site
    site.stop()


def described_operations(spec: dict) -> int:
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    return sum(len(methods & set(item)) for item in spec["paths"].values())


def test_schemathesis_finds_nothing_in_any_operation(site, tmp_path):
    # The document as the server serves it (with this catalogue's universities and
    # courses as valid values), saved to a file: read from a URL, schemathesis would
    # leave out the operation that serves the schema itself.
    with urllib.request.urlopen(f"{site.base}/api/v1/openapi.json", timeout=30) as response:
        spec = json.load(response)
    served = tmp_path / "openapi.json"
    served.write_text(json.dumps(spec))
    run = subprocess.run(
        [
            SCHEMATHESIS,
            "run",
            str(served),
            "--url",
            site.base,
            "--checks",
            "all",
            "--seed",
            str(SEED),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--workers",
            "2",
            "--generation-database",
            "none",
            "--request-timeout",
            "30",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # its reports, if any, stay out of the project
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-20000:]
    operations = described_operations(spec)
    assert re.search(rf"Selected: {operations}/{operations}\b", output), output[-3000:]
    assert re.search(rf"Tested: {operations}\b", output), output[-3000:]
