"""The core (catalogue, rules, search, store, service, ...) works without Flask: importing it
must not import Flask, so the command line and tests use it without a web app."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = [
    "directory",
    "directory.catalogue",
    "directory.rules",
    "directory.outcomes",
    "directory.vocabulary",
    "directory.search",
    "directory.store",
    "directory.service",
    "directory.editing",
    "directory.in_words",
    "directory.text",
    "directory.hsds",
    "directory.quiz",
    "directory.journey",
]


@pytest.mark.parametrize("module", CORE)
def test_importing_a_core_module_does_not_import_flask(module):
    probe = f"import sys, {module}; print('flask' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False", f"{module} imports Flask"
