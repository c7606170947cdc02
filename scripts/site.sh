#!/usr/bin/env bash
# Set up everything on a fresh machine, import the catalogue and
# run the site on http://127.0.0.1:${PORT:-5000}/ (Ctrl-C to stop).
# With --setup-only, stop after setting up (production then runs `directory serve`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-common.sh

ensure_python_env
ensure_frontend

log "upgrading the database schema"
.venv/bin/directory db upgrade
log "importing data/schemes.yaml"
.venv/bin/directory import
if [ "${1:-}" = "--setup-only" ]; then exit 0; fi
log "starting the site on http://127.0.0.1:${PORT:-5000}/"
exec .venv/bin/flask --app directory run --host 127.0.0.1 --port "${PORT:-5000}"
