#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run them all.
# Usage: scripts/test.sh [pytest arguments]     e.g. scripts/test.sh -m "not browser"
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-common.sh

ensure_python_env test
ensure_frontend
ensure_postgres
ensure_chromium

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== pytest"
.venv/bin/python -m pytest "$@"
