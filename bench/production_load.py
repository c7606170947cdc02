"""Issue #8's load run: the site as in production, on PostgreSQL, with a hub lead editing.

    .venv/bin/python bench/production_load.py        (from the repository root)

What it does, in one run of about 6 minutes:

  * a throwaway PostgreSQL cluster (as the system tests make one: initdb into a
    temporary folder, its own port; fsync off, since it holds nothing worth keeping)
    and `directory import` of the 10,000 synthetic schemes (bench/generate.py);
  * `directory serve` with its production defaults (WORKERS workers, one per core, x
    THREADS threads, 2 each), preloaded, access logs on;
  * wrk, 16 connections, DURATION seconds (default 30, at most 60) of a mix of
    1,000 URLs: 60% search and browse pages, 20% checker results, 10% scheme
    pages, 10% search API, after WARMUP seconds of the same load;
  * meanwhile a hub lead, signed in through the real form, saves an edit to one
    of their organisation's listings every EDIT_EVERY seconds (default 3): a new
    word in its summary. A hub lead's edit is a pending change, so a curator
    (also signed in) approves it at once, which publishes it. The script then polls
    the search API on the same site until the listing is found by that word, and
    records how long that took from the approval.
  * then the same mix open loop (bench/open_loop.py): sent at fixed rates,
    OPEN_RATES (default 25 and 50 a second), DURATION seconds each, the hub lead
    still editing, latency counted from when each request was due;
  * then, edits stopped, each kind of URL in the mix alone for 8 s (req/s and server
    CPU per request).

Results: bench/results/load-<UTC time>/summary.json (and the raw wrk output),
printed as a table. Nothing is left running. Settings come from the environment:
DURATION, WARMUP, EDIT_EVERY, CONNECTIONS (16), SCHEMES (10000), WORKERS, OPEN_RATES.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import open_loop as open_loop_load  # noqa: E402
from queries import QUERIES, app_url, people  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from directory import serve  # noqa: E402
from tests.system.editing import open_edit_form, save  # noqa: E402
from tests.system.support import (  # noqa: E402
    DIRECTORY,
    PASSWORD,
    Browser,
    PostgresCluster,
    Site,
    add_curator,
    csrf_token,
)

DURATION = int(os.environ.get("DURATION", 30))
WARMUP = int(os.environ.get("WARMUP", 10))
EDIT_EVERY = float(os.environ.get("EDIT_EVERY", 3))
CONNECTIONS = int(os.environ.get("CONNECTIONS", 16))
SCHEMES = int(os.environ.get("SCHEMES", 10_000))
WORKERS = int(os.environ.get("WORKERS", serve.default_workers()))
THREADS = serve.options()["threads"]  # as `directory serve` reads it: $THREADS or its default
# Open-loop rates, requests a second. A busy September hour might bring 5,000 people
# making some 15 requests each: about 21 a second. 25 is that; 50 is twice it.
OPEN_RATES = [float(r) for r in os.environ.get("OPEN_RATES", "25,50").split(",") if r]
VISIBLE_WITHIN = 5.0  # the goal: every edit found by search within 5 seconds
HUB_LEAD = "lead@example.org"


def main() -> None:
    if DURATION > 60:
        sys.exit("DURATION is at most 60 seconds")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench/results" / f"load-{stamp}"
    out.mkdir(parents=True)
    catalogue_file = ROOT / "bench/data/synthetic.yaml"
    run([sys.executable, "bench/generate.py", "--schemes", str(SCHEMES), "-o", catalogue_file])

    cluster = PostgresCluster().create()
    cluster.start()
    site = None
    try:
        database_url = cluster.create_database("directory")
        site = Site(database_url, workers=WORKERS)
        started = time.monotonic()
        run([DIRECTORY, "import", str(catalogue_file)], env=site.environment())
        import_seconds = time.monotonic() - started
        started = time.monotonic()
        site.start()  # migrations, index build and catalogue load happen before it answers
        start_seconds = time.monotonic() - started

        organisation, own_listings, all_listings, organisations = catalogue_ids(database_url)
        add_hub_lead(site, organisation)
        add_curator(site)
        urls = out / "urls-mixed.txt"
        urls.write_text("\n".join(mixed_urls(all_listings, organisations)) + "\n")

        wrk(site.base, urls, WARMUP)  # warm caches and templates; results thrown away
        load, edits = while_editing(
            site,
            own_listings,
            lambda: wrk(site.base, urls, DURATION, latency=True, save_to=out / "wrk-mixed.txt"),
        )
        paths = urls.read_text().split()
        open_loop = {}
        for rate in OPEN_RATES:
            result, more = while_editing(
                site, own_listings, lambda r=rate: open_loop_load.run(site.base, paths, r, DURATION)
            )
            open_loop[rate] = {**result, "edits": summarise_edits(more)}
        memory = workers_memory(site)
        per_kind = cost_per_kind(site, urls.read_text().split(), out)
        server_log = site.log()
        errors_in_log = [line for line in server_log.splitlines() if "Traceback" in line]
        if errors_in_log:  # keep what went wrong: the host's folder goes with it
            (out / "server-errors.txt").write_text(tracebacks(server_log))
    finally:
        if site is not None:
            site.stop()
        cluster.destroy()

    summary = summarise(load, edits, memory, import_seconds, start_seconds, errors_in_log)
    summary["open_loop"] = open_loop
    summary["goals"]["open_loop_p99_under_150_ms"] = {
        rate: r["latency_ms"]["p99"] < 150 and r["errors"] == 0 for rate, r in open_loop.items()
    }
    summary["per_kind"] = per_kind
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    (out / "edits.json").write_text(json.dumps(edits, indent=1))
    print(markdown(summary, out))


def tracebacks(log: str) -> str:
    """Each traceback in a server log, with the line before it (what was being done)."""
    lines, found, inside = log.splitlines(), [], False
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            found += ["", *lines[max(0, i - 1) : i]]
            inside = True
        if inside:
            found.append(line)
            inside = line.startswith((" ", "Traceback")) or not line.strip()
    return "\n".join(found) + "\n"


def run(command: list, **kwargs) -> None:
    subprocess.run([str(part) for part in command], check=True, cwd=ROOT, **kwargs)


def catalogue_ids(database_url: str):
    """The organisation with the most listings (the hub lead's), its listings, all listings."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("select id, provider_id from scheme order by id")).all()
    engine.dispose()
    by_provider: dict[str, list[str]] = {}
    for scheme_id, provider in rows:
        by_provider.setdefault(provider, []).append(scheme_id)
    organisation = max(by_provider, key=lambda p: len(by_provider[p]))
    return organisation, by_provider[organisation], [r[0] for r in rows], sorted(by_provider)


def add_hub_lead(site: Site, organisation: str) -> None:
    """A hub lead for one organisation, invited with `directory users add`, password set."""
    result = site.command("users", "add", HUB_LEAD, "--name", "Lee", "--organisation", organisation)
    assert result.returncode == 0, result.stderr
    path = urlsplit(result.stdout.strip().splitlines()[-1]).path
    browser = Browser(site)
    page = browser.get(path)
    response = browser.post(
        path, [("csrf_token", csrf_token(page.text)), ("password", PASSWORD), ("confirm", PASSWORD)]
    )
    assert response.status == 302, response.text[:300]


def mixed_urls(listings: list[str], organisations: list[str], count: int = 1000) -> list[str]:
    """60% search and browse pages, 20% checker results, 10% scheme pages, 10% API."""
    from directory import vocabulary as vocab

    vocabulary = vocab.load(ROOT / "data/vocabulary.yaml")
    rng = random.Random(8)
    browse = [f"/browse/professions/{slug}" for slug in vocabulary.slugs("professions")]
    browse += [f"/mentoring-types/{slug}" for slug in vocabulary.slugs("mentoring_types")]
    browse += [f"/browse/providers/{org}" for org in rng.sample(organisations, 20)]
    browse += ["/browse", "/"]
    searches = [app_url("/search", q) for q in QUERIES]
    checker = ["/check/results?" + urlencode(person) for person in people(vocabulary)]
    api = [app_url("/api/v1/schemes", q) for q in QUERIES]

    def take(pool: list[str], share: float) -> list[str]:
        n = round(count * share)
        return [pool[i % len(pool)] for i in range(n)]

    urls = (
        take(searches, 0.45)
        + take(browse, 0.15)
        + take(checker, 0.20)
        + take([f"/schemes/{i}" for i in rng.sample(listings, 100)], 0.10)
        + take(api, 0.10)
    )
    rng.shuffle(urls)
    return urls


def wrk(base: str, urls: Path, seconds: int, latency: bool = False, save_to=None) -> dict:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s"]
    command += ["--latency"] if latency else []
    command += ["-s", "bench/wrk.lua", base, "--", str(urls)]
    output = subprocess.run(command, check=True, cwd=ROOT, capture_output=True, text=True).stdout
    if save_to:
        save_to.write_text(output)
    return json.loads(output.strip().splitlines()[-1])


def marker(n: int) -> str:
    """A word no listing contains, different for each edit: zedit + n in letters."""
    return "zedit" + "".join(chr(ord("a") + int(d)) for d in f"{n:04d}")


def while_editing(site: Site, listings: list[str], load):
    """Run `load()` while a hub lead edits (edit_loop); its result and the edits made."""
    edits: list[dict] = []
    stop = threading.Event()
    editor = threading.Thread(target=edit_loop, args=(site, listings, stop, edits))
    editor.start()
    try:
        result = load()
    finally:
        stop.set()
        editor.join()
    return result, edits


def edit_loop(site: Site, listings: list[str], stop: threading.Event, edits: list[dict]) -> None:
    lead, curator = Browser(site), Browser(site)
    lead.sign_in(HUB_LEAD)
    curator.sign_in("cara@example.org")  # add_curator's account
    n = 0
    while not stop.is_set():
        began = time.monotonic()
        scheme_id, word = listings[n % len(listings)], marker(n)
        form = open_edit_form(lead, scheme_id)
        proposed = save(lead, scheme_id, form, summary=f"{form['summary']} {word}")
        edit = {"scheme": scheme_id, "word": word, "status": proposed.status}
        edit["save_ms"] = round(1000 * (time.monotonic() - began), 1)
        edit["visible_after_s"] = None
        change = re.search(r"/editor/changes/(\d+)$", proposed.headers.get("Location", ""))
        if proposed.status == 302 and change:
            approved = approve(curator, int(change.group(1)))
            published = time.monotonic()
            edit["status"] = approved.status
            if approved.status == 302:
                edit["visible_after_s"] = seconds_until_found(lead, scheme_id, word, published)
        edits.append(edit)
        n += 1
        stop.wait(max(0.0, EDIT_EVERY - (time.monotonic() - began)))


def approve(curator: Browser, change_id: int):
    page = curator.get(f"/editor/changes/{change_id}")
    path = f"/editor/changes/{change_id}/approve"
    return curator.post(path, [("csrf_token", csrf_token(page.text)), ("comment", "")])


def seconds_until_found(browser: Browser, scheme_id: str, word: str, saved: float):
    """Poll search for the new word until it finds the listing (None after 30 s)."""
    while time.monotonic() - saved < 30:
        found = browser.get("/api/v1/schemes?" + urlencode({"q": word}))
        if found.status == 200 and any(
            hit["id"] == scheme_id for hit in json.loads(found.text)["results"]
        ):
            return round(time.monotonic() - saved, 2)
        time.sleep(0.05)
    return None


KINDS = {  # URL prefix -> what it is, for the cost of each kind of page on its own
    "/search": "search page",
    "/check/results": "checker results",
    "/browse/professions/": "profession browse page",
    "/browse/providers/": "provider page",
    "/schemes/": "scheme page",
    "/api/v1/schemes": "search API",
}


def cost_per_kind(site: Site, urls: list[str], out: Path, seconds: int = 8) -> dict:
    """Each kind of URL in the mix loaded on its own (no edits): req/s and server CPU each."""
    found = {}
    for prefix, kind in KINDS.items():
        urls_file = out / f"urls-{prefix.strip('/').replace('/', '-')}.txt"
        urls_file.write_text("\n".join(u for u in urls if u.startswith(prefix)) + "\n")
        wrk(site.base, urls_file, 3)  # warm: the last edit left cold caches behind
        before = server_cpu_seconds(site)
        result = wrk(site.base, urls_file, seconds, latency=True)
        cpu = server_cpu_seconds(site) - before
        found[kind] = {
            "rps": result["rps"],
            "median_ms": result["latency_ms"]["p50"],
            "p99_ms": result["latency_ms"]["p99"],
            "server_cpu_ms_per_request": round(1000 * cpu / max(result["requests"], 1), 1),
        }
    return found


def server_cpu_seconds(site: Site) -> float:
    """CPU time used so far by the gunicorn master and its workers."""
    ticks = 0
    for pid in [site.process.pid, *site.workers_pids()]:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def workers_memory(site: Site) -> list[dict]:
    found = []
    for pid in sorted(site.workers_pids()):
        rss = next(
            int(line.split()[1])
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
        pss = next(
            int(line.split()[1])
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            if line.startswith("Pss:")
        )
        found.append({"pid": pid, "rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1)})
    return found


def summarise_edits(edits: list[dict]) -> dict:
    lags = [e["visible_after_s"] for e in edits if e["visible_after_s"] is not None]
    refused = [e for e in edits if e["status"] != 302]
    return {
        "edits": len(edits),
        "edits_refused": len(refused),
        "edit_visible_median_s": statistics.median(lags) if lags else None,
        "edit_visible_max_s": max(lags) if lags else None,
        "edits_never_visible": len(edits) - len(refused) - len(lags),
        "save_median_ms": statistics.median(e["save_ms"] for e in edits) if edits else None,
        "all_visible_within_5_s": bool(edits)
        and len(lags) == len(edits)
        and max(lags) <= VISIBLE_WITHIN,
    }


def summarise(load, edits, memory, import_seconds, start_seconds, errors_in_log) -> dict:
    latency = load["latency_ms"]
    errors = sum(load["errors"].values())
    edited = summarise_edits(edits)
    return {
        "schemes": SCHEMES,
        "workers": WORKERS,
        "threads": THREADS,
        "duration_s": DURATION,
        "connections": CONNECTIONS,
        "import_seconds": round(import_seconds, 1),
        "start_seconds": round(start_seconds, 1),
        "load": load,
        **edited,
        "workers_memory": memory,
        "tracebacks_in_server_log": len(errors_in_log),
        "goals": {
            "zero_errors": errors == 0 and not edited["edits_refused"] and not errors_in_log,
            "p99_under_150_ms": latency["p99"] < 150,
            "every_edit_visible_within_5_s": edited["all_visible_within_5_s"],
        },
    }


def markdown(s: dict, out: Path) -> str:
    load, lat = s["load"], s["load"]["latency_ms"]

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    memory = ", ".join(f"{m['pss_mb']} ({m['rss_mb']})" for m in s["workers_memory"])
    return "\n".join(
        [
            f"{out.name}: {s['schemes']} schemes on PostgreSQL, `directory serve` {s['workers']} "
            f"workers x {s['threads']} "
            f"threads, wrk {s['connections']} connections for {s['duration_s']} s "
            f"(import {s['import_seconds']} s, start {s['start_seconds']} s)",
            "",
            "| measure | figure | goal | result |",
            "|---|---:|---|---|",
            f"| requests (mixed) | {load['requests']} in {load['duration_s']} s, "
            f"{load['rps']} req/s | | |",
            f"| latency median / p90 / p99 / max | {lat['p50']} / {lat['p90']} / {lat['p99']} / "
            f"{lat['max']} ms | p99 < 150 ms | {verdict(s['goals']['p99_under_150_ms'])} |",
            f"| errors (wrk), refused edits, tracebacks in the server log | "
            f"{sum(load['errors'].values())}, {s['edits_refused']}, "
            f"{s['tracebacks_in_server_log']} | zero | {verdict(s['goals']['zero_errors'])} |",
            f"| hub-lead edits proposed and approved; proposal median | {s['edits']}; "
            f"{s['save_median_ms']} ms | | |",
            f"| edit found by search after approval (median / max) | "
            f"{s['edit_visible_median_s']} / "
            f"{s['edit_visible_max_s']} s; never: {s['edits_never_visible']} | every edit "
            f"within 5 s | {verdict(s['goals']['every_edit_visible_within_5_s'])} |",
            f"| memory per worker after the run, PSS (RSS) | {memory} MB | | |",
            "",
            "Open loop: the same mix sent at a fixed rate (a request every 1/rate s, latency "
            "from when it was due), with the hub lead editing as above:",
            "",
            "| rate | requests | median / p90 / p99 / max ms | errors | edits found by search "
            "(median / max s) | p99 < 150 ms |",
            "|---:|---:|---|---:|---|---|",
            *[
                f"| {rate} req/s | {r['requests']} | {r['latency_ms']['p50']} / "
                f"{r['latency_ms']['p90']} / {r['latency_ms']['p99']} / {r['latency_ms']['max']} "
                f"| {r['errors']} | {r['edits']['edits']} edits: "
                f"{r['edits']['edit_visible_median_s']} / {r['edits']['edit_visible_max_s']} | "
                f"{verdict(s['goals']['open_loop_p99_under_150_ms'][rate])} |"
                for rate, r in s.get("open_loop", {}).items()
            ],
            "",
            "Each kind of page on its own, 16 connections, no edits:",
            "",
            "| kind | req/s | median ms | p99 ms | server CPU ms per request |",
            "|---|---:|---:|---:|---:|",
            *[
                f"| {kind} | {k['rps']} | {k['median_ms']} | {k['p99_ms']} | "
                f"{k['server_cpu_ms_per_request']} |"
                for kind, k in s.get("per_kind", {}).items()
            ],
        ]
    )


if __name__ == "__main__":
    main()
