# Shared set-up steps for scripts/site.sh, scripts/test.sh and .ci/run. Each step is
# idempotent and quick when there is nothing to do. Sourced, not run.

log() { printf '== %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

# A virtualenv in .venv with the package and, for "test", the test tools.
ensure_python_env() {
    local extra="${1:-}"
    if [ ! -x .venv/bin/python ]; then
        log "creating .venv"
        python3 -m venv .venv
    fi
    local stamp=".venv/.installed-${extra:-base}"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        log "installing Python packages${extra:+ [$extra]}"
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet -e ".${extra:+[$extra]}"
        touch "$stamp"
    fi
}

# govuk-frontend compiled with sass into static/dist (see README: Front end).
ensure_frontend() {
    [ -f package.json ] || return 0
    if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
        log "installing npm packages"
        npm ci --no-audit --no-fund --loglevel=error
    fi
    log "building front-end assets"
    npm run --silent build
}

# The tests use PostgreSQL at 127.0.0.1:5432 (TEST_POSTGRES_URL to change it).
ensure_postgres() {
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        log "starting PostgreSQL"
        as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    fi
    pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || log "PostgreSQL is not running: its tests will be skipped (or fail under CI)"
}

# Browser tests drive Debian's Chromium; Playwright's own browser download does not work here.
ensure_chromium() {
    if [ -x /usr/bin/chromium ]; then return 0; fi
    log "installing Chromium from Debian"
    if ! { as_root apt-get update -qq && as_root apt-get install -y -qq chromium >/dev/null; }; then
        log "could not install Chromium: browser tests will be skipped (or fail under CI)"
    fi
}
