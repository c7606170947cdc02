#!/usr/bin/env bash
# The whole benchmark in one command (issue #4), from the repository root:
#
#   bench/run.sh
#
# generate 10,000 synthetic schemes -> import into a fresh SQLite database (timed)
# -> build the search index cold (timed) -> load the site, the API, Datasette and
# a trivial Flask view with wrk -> in-process timings and profiles -> one summary.
# Results go to bench/results/run-<UTC time>/ (summary.md, summary.json, raw
# files); bench/results/latest points at the newest. Takes about 9 minutes on an
# idle 2-core machine (12-15 on a busy one: the import and index build dominate). Needs the app's .venv (see README.md) and wrk; Datasette and py-spy
# are installed into bench/.venv-datasette on first use.
#
# Settings (environment): DURATION seconds per load run (default 30, at most 60),
# WARMUP seconds of the same load before the first run on each server (10), SCHEMES (10000),
# CONNECTIONS (16), THREADS (wrk threads, 2), WORKERS (gunicorn workers, 2),
# WORKER_THREADS (threads per gunicorn worker, 2: `directory serve`'s defaults on 2 cores).

set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-30}
WARMUP=${WARMUP:-10}
SCHEMES=${SCHEMES:-10000}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-2}
WORKER_THREADS=${WORKER_THREADS:-2}
APP_PORT=${APP_PORT:-18701}
DATASETTE_PORT=${DATASETTE_PORT:-18702}
HELLO_PORT=${HELLO_PORT:-18703}
if ((DURATION > 60)); then echo "DURATION is at most 60 seconds" >&2; exit 2; fi

PY=.venv/bin/python
DS_VENV=bench/.venv-datasette
DATA=bench/data
INSTANCE=$PWD/$DATA/instance
RUN=bench/results/run-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN" "$DATA"
ln -sfn "$(basename "$RUN")" bench/results/latest

# Tools -------------------------------------------------------------------------------------
[[ -x $PY ]] || { echo "no .venv: run the set-up in bench/README.md first" >&2; exit 1; }
[[ -x $(command -v wrk) ]] || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
if [[ ! -x $DS_VENV/bin/datasette ]]; then
  python3 -m venv "$DS_VENV"
  "$DS_VENV/bin/pip" install -q -r bench/requirements-datasette.txt
fi

SERVER_PID=""
stop_server() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
trap stop_server EXIT

log() { printf '\n== %s\n' "$*"; }
now() { date +%s.%N; }
export DATABASE_URL="sqlite:///$INSTANCE/directory.sqlite3" INSTANCE_PATH=$INSTANCE LOG_LEVEL=WARNING

wait_ready() {  # URL: wait up to 120 s for 200; prints seconds waited
  local started; started=$(now)
  for _ in $(seq 1 600); do
    if curl -sf -o /dev/null "$1"; then
      python3 -c "print(round($(now) - $started, 2))"
      return 0
    fi
    sleep 0.2
  done
  echo "server at $1 did not start" >&2
  return 1
}

warm() {  # BASE URLS: the same load for WARMUP seconds, results thrown away (lazy readers,
          # caches, templates), once per server
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 30s -s bench/wrk.lua "$1" -- "$2" \
    > /dev/null
}

load() {  # NAME BASE URLS: one wrk run of DURATION seconds
  local name=$1 base=$2 urls=$3 before
  log "load: $name ($DURATION s, $CONNECTIONS connections)"
  before=$(server_cpu)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 30s --latency \
    -s bench/wrk.lua "$base" -- "$urls" > "$RUN/wrk-$name.txt"
  # How much CPU the server got, and how busy the machine was (other work shares it).
  echo "{\"server_cpu_seconds\": $(( $(server_cpu) - before ))e-2, \"loadavg_1min_after\": \
$(cut -d' ' -f1 /proc/loadavg)}" > "$RUN/cpu-$name.json"
  tail -n 1 "$RUN/wrk-$name.txt" | tee "$RUN/wrk-$name.json"
  drain "$base"
}

server_cpu() {  # CPU ticks (1/100 s) used so far by the server process and its workers,
                # those running and those gone (gunicorn replaces a worker after 100,000
                # or so requests; the master's cutime and cstime count the ones it reaped)
  local total p
  total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0)
  for p in $(pgrep -P "$SERVER_PID" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

drain() {  # BASE: requests still queued when wrk stops would land in the next run; wait for
           # them (a sequential request returns only once the queue ahead of it is served)
  curl -s -o /dev/null --max-time 120 "$1${DRAIN_PATH:-/}" || true
  curl -s -o /dev/null --max-time 120 "$1${DRAIN_PATH:-/}" || true
}

memory() {  # NAME PID: RSS and PSS of the process's children (workers), or of PID itself
  local name=$1 pid=$2 pids
  pids=$(pgrep -P "$pid" || true)
  [[ -n $pids ]] || pids=$pid
  for p in $pids; do
    awk -v p="$p" '/^VmRSS/ {rss=$2} END {printf "{\"pid\": %s, \"rss_kb\": %s, ", p, rss}' "/proc/$p/status"
    awk '/^Pss:/ {print "\"pss_kb\": " $2 "}"}' "/proc/$p/smaps_rollup"
  done | python3 -c "import json,sys; print(json.dumps([json.loads(l) for l in sys.stdin]))" \
    > "$RUN/memory-$name.json"
  cat "$RUN/memory-$name.json"
}

# 1. Data, import and index ----------------------------------------------------------------
log "generate $SCHEMES synthetic schemes"
$PY bench/generate.py --schemes "$SCHEMES" -o "$DATA/synthetic.yaml" | tee "$RUN/generate.txt"

log "import into a fresh SQLite database"
rm -rf "$INSTANCE"
mkdir -p "$INSTANCE"
/usr/bin/time -o "$RUN/import.json" \
  -f '{"import_seconds": %e, "import_user_cpu_seconds": %U, "import_system_cpu_seconds": %S, "import_max_rss_kb": %M}' \
  .venv/bin/directory import "$DATA/synthetic.yaml" | tee "$RUN/import.txt"
cat "$RUN/import.json"

log "build the search index cold"
/usr/bin/time -f '{"max_rss_kb": %M}' -o "$RUN/index-build-rss.json" \
  $PY bench/index_build.py | tee "$RUN/index-build.json"

log "Datasette copy of the same catalogue (flat table + FTS5)"
$PY bench/to_datasette.py "$DATA/catalogue.db" "$DATA/datasette-metadata.json"

$PY bench/queries.py --out "$RUN/urls"

# 2. The site and the API under gunicorn -----------------------------------------------------
log "start the site as in production: directory serve ($WORKERS workers x $WORKER_THREADS threads)"
APP=http://127.0.0.1:$APP_PORT
.venv/bin/directory serve --workers "$WORKERS" --threads "$WORKER_THREADS" \
  --bind "127.0.0.1:$APP_PORT" > "$RUN/gunicorn-app.log" 2>&1 &
SERVER_PID=$!
echo "{\"ready_seconds\": $(wait_ready "$APP/api/v1/taxonomy")}" | tee "$RUN/app-start.json"
warm "$APP" "$RUN/urls/urls-search-page.txt"
DRAIN_PATH=/api/v1/taxonomy drain "$APP"

export DRAIN_PATH=/api/v1/taxonomy
load search-page "$APP" "$RUN/urls/urls-search-page.txt"
# Profile one worker while the API is under load.
WORKER=$(pgrep -P "$SERVER_PID" | head -n 1)
"$DS_VENV/bin/py-spy" record -p "$WORKER" -d $((DURATION - 5)) -r 50 --format raw \
  -o "$RUN/py-spy-api.txt" > "$RUN/py-spy-record.log" 2>&1 &
SPY_PID=$!
( sleep $((DURATION / 2)); "$DS_VENV/bin/py-spy" dump -p "$WORKER" > "$RUN/py-spy-dump.txt" 2>&1 ) &
load api "$APP" "$RUN/urls/urls-api.txt"
wait "$SPY_PID" || true
load api-no-filters "$APP" "$RUN/urls/urls-api-no-filters.txt"
load api-filters-only "$APP" "$RUN/urls/urls-api-filters-only.txt"
DURATION=$((DURATION / 2)) CONNECTIONS=1 THREADS=1 \
  load api-1-connection "$APP" "$RUN/urls/urls-api.txt"
load eligibility "$APP" "$RUN/urls/urls-eligibility.txt"
load eligibility-many "$APP" "$RUN/urls/urls-eligibility-many.txt"
memory app "$SERVER_PID"
stop_server

# 3. Datasette on the same catalogue ---------------------------------------------------------
log "start Datasette (its default server: one uvicorn process)"
DS=http://127.0.0.1:$DATASETTE_PORT
# Time limits raised so every facet is counted, as the app counts every facet.
"$DS_VENV/bin/datasette" serve "$DATA/catalogue.db" -m "$DATA/datasette-metadata.json" \
  -p "$DATASETTE_PORT" --setting facet_time_limit_ms 20000 --setting sql_time_limit_ms 20000 \
  > "$RUN/datasette.log" 2>&1 &
SERVER_PID=$!
echo "{\"ready_seconds\": $(wait_ready "$DS/-/versions.json")}" | tee "$RUN/datasette-start.json"
$PY bench/queries.py --out "$RUN/urls" --resolve-next "$DS"
warm "$DS" "$RUN/urls/urls-datasette-table.txt"
DRAIN_PATH=/-/versions.json drain "$DS"
export DRAIN_PATH=/-/versions.json
load datasette-table "$DS" "$RUN/urls/urls-datasette-table.txt"
load datasette-canned "$DS" "$RUN/urls/urls-datasette-canned.txt"
# Datasette counting the same 9 facets the app counts takes seconds per request, too slow to
# load at 16 connections (no request finished in 30 s): time a few one after another instead.
log "Datasette table JSON with the 9 facets, sequentially (first 6 queries)"
head -n 6 "$RUN/urls/urls-datasette-facets.txt" | while read -r path; do
  curl -s -o /dev/null --max-time 60 -w '%{time_total}\n' "$DS$path"
done > "$RUN/datasette-facets-sequential.txt"
cat "$RUN/datasette-facets-sequential.txt"
memory datasette "$SERVER_PID"
"$DS_VENV/bin/datasette" --version > "$RUN/datasette-version.txt"
stop_server

# 4. The framework ceiling -------------------------------------------------------------------
log "start a trivial Flask view under the same gunicorn settings"
HELLO=http://127.0.0.1:$HELLO_PORT
.venv/bin/gunicorn -w "$WORKERS" -k gthread --threads "$WORKER_THREADS" \
  -b "127.0.0.1:$HELLO_PORT" --chdir bench 'hello:create_app()' \
  > "$RUN/gunicorn-hello.log" 2>&1 &
SERVER_PID=$!
wait_ready "$HELLO/" > /dev/null
WARMUP=3 warm "$HELLO" "$RUN/urls/urls-hello.txt"
export DRAIN_PATH=/
load hello "$HELLO" "$RUN/urls/urls-hello.txt"
memory hello "$SERVER_PID"
stop_server

# 5. In-process timings and profiles, then the summary ---------------------------------------
log "in-process: Directory.search(), API requests, rules.decide_all, profiles"
$PY bench/profile_search.py "$RUN" > "$RUN/inprocess.txt"
WORKERS=$WORKERS WORKER_THREADS=$WORKER_THREADS $PY bench/summarise.py "$RUN"
