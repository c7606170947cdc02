#!/usr/bin/env bash
# Lighthouse (mobile, the default) on the five pages of issue #19: home, search, a listing,
# a checker question and results. Starts the site under `directory serve` on the real
# catalogue, runs each page RUNS times and writes bench/results/lighthouse-<UTC time>/
# (each report's JSON and summary.md: the median of each figure). Prints the table that
# bench/README.md keeps. Needs `npm ci` (Lighthouse is a devDependency) and Chromium.
#
#   bench/lighthouse.sh                 # from the repository root, in a fresh shell
#   RUNS=1 PORT=5150 ONLY="home results" bench/lighthouse.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-5150}"
RUNS="${RUNS:-3}"
BASE="http://127.0.0.1:${PORT}"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
OUT="bench/results/lighthouse-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"

PAGES=(
  "home|/"
  "search|/search?q=physiotherapy"
  "listing|/schemes/csp-mentoring"
  "question|/check/profession?role=mentee"
  "results|/check/results?role=mentee&profession=occupational-therapist&stage=qualified&member_of=rcot"
)

.venv/bin/directory db upgrade >/dev/null
.venv/bin/directory import >/dev/null
.venv/bin/directory serve --bind "127.0.0.1:${PORT}" --workers 2 >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs -o /dev/null "$BASE/" && break; sleep 0.2; done

for entry in "${PAGES[@]}"; do
  name="${entry%%|*}"
  path="${entry#*|}"
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
  curl -fs -o /dev/null "$BASE$path"  # warm the caches once, as a visitor after the first would
  for run in $(seq "$RUNS"); do
    # Lighthouse now and then fails to record a trace (NO_NAVSTART): one more try, then give up
    for attempt in 1 2; do
      npx --no-install lighthouse "$BASE$path" --quiet --output=json \
        --output-path="$OUT/$name-$run.json" \
        --only-categories=performance,accessibility,best-practices \
        --chrome-flags="--headless=new --no-sandbox" >/dev/null 2>>"$OUT/lighthouse.log" && break
      [ "$attempt" = 2 ] && exit 1
    done
  done
done

.venv/bin/python bench/lighthouse_summary.py "$OUT" | tee "$OUT/summary.md"
