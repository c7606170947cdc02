"""Issue #18: an edit is found by search on every host within 2 s, at 10,000 listings.

    .venv/bin/python bench/edit_visibility.py      (from the repository root; about 4
                                                    minutes; needs PostgreSQL's programs)

What it does:

  * a throwaway PostgreSQL cluster (as the system tests make one) and `directory
    import` of the synthetic listings (bench/data/synthetic.yaml; generated with
    bench/generate.py if missing);
  * two hosts, each `directory serve` with WORKERS workers (default 2) and its own
    instance folder, sharing that database (as tests/system/test_multi_host.py);
  * a curator signed in on the first host saves EDITS edits (default 10), EVERY seconds
    apart (default 3), each a new word in a different listing's summary (a curator's
    save publishes at once);
  * after each save, CONNECTIONS keep-alive connections to each host (default 4: each
    stays with the worker that accepted it, so every worker is very likely polled) ask
    the search API for the new word every 50 ms until it finds the listing.

An edit's time is from the save's response to the last connection of the slower host
finding it. Prints the times and writes them to bench/results/edits-<UTC time>.json.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from tests.system.editing import open_edit_form, save  # noqa: E402
from tests.system.support import (  # noqa: E402
    DIRECTORY,
    Browser,
    PostgresCluster,
    Site,
    add_curator,
)

SCHEMES = int(os.environ.get("SCHEMES", 10_000))
WORKERS = int(os.environ.get("WORKERS", 2))
EDITS = int(os.environ.get("EDITS", 10))
EVERY = float(os.environ.get("EVERY", 3))
CONNECTIONS = int(os.environ.get("CONNECTIONS", 4))
GOAL = 2.0  # seconds: issue #18
GIVE_UP = 30.0


def main() -> None:
    catalogue_file = ROOT / "bench/data/synthetic.yaml"
    if not catalogue_file.exists():
        command = [sys.executable, "bench/generate.py", "--schemes", str(SCHEMES)]
        subprocess.run([*command, "-o", str(catalogue_file)], check=True, cwd=ROOT)
    cluster = PostgresCluster().create()
    cluster.start()
    hosts: list[Site] = []
    try:
        database_url = cluster.create_database("directory")
        first = Site(database_url, workers=WORKERS)
        imported = subprocess.run(
            [DIRECTORY, "import", str(catalogue_file)], env=first.environment(), cwd=ROOT
        )
        assert imported.returncode == 0
        for _ in range(2):
            hosts.append(Site(database_url, workers=WORKERS))
            started = time.monotonic()
            hosts[-1].start()
            print(f"host {len(hosts)} ready in {time.monotonic() - started:.1f} s", flush=True)
        curator = Browser(hosts[0])
        curator.sign_in(add_curator(hosts[0]))
        listings = sample_listings(database_url, EDITS)
        times = [edit_once(curator, hosts, scheme_id, n) for n, scheme_id in enumerate(listings)]
    finally:
        for host in hosts:
            host.stop()
        cluster.destroy()
    report(times)


def sample_listings(database_url: str, count: int) -> list[str]:
    """`count` listings spread over the catalogue."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        ids = [row[0] for row in connection.execute(text("select id from scheme order by id"))]
    engine.dispose()
    return [ids[n * 7919 % len(ids)] for n in range(count)]


def edit_once(curator: Browser, hosts: list[Site], scheme_id: str, n: int) -> dict:
    began = time.monotonic()
    word = "zedit" + "".join(chr(ord("a") + int(d)) for d in f"{n:04d}")
    # Connections open (and warm) before the save, as visitors' would be.
    pollers = [[Poller(host) for _ in range(CONNECTIONS)] for host in hosts]
    for poller in (p for host in pollers for p in host):
        assert not poller.finds(scheme_id, word)
    form = open_edit_form(curator, scheme_id)
    response = save(curator, scheme_id, form, summary=f"{form['summary']} {word}")
    assert response.status == 302, response.text[:300]
    saved = time.monotonic()
    threads = [
        threading.Thread(target=p.wait_until_found, args=(scheme_id, word, saved))
        for host in pollers
        for p in host
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    per_host = [
        None if any(p.found_after is None for p in host) else max(p.found_after for p in host)
        for host in pollers
    ]
    for poller in (p for host in pollers for p in host):
        poller.close()
    slowest = None if None in per_host else max(per_host)
    print(f"edit {n + 1}: {scheme_id}: hosts {per_host} s", flush=True)
    time.sleep(max(0.0, EVERY - (time.monotonic() - began)))
    return {"scheme": scheme_id, "per_host_s": per_host, "every_host_s": slowest}


class Poller:
    """One keep-alive connection to a host, asking its search API for a word."""

    def __init__(self, host: Site):
        self.host = host
        self.connection = http.client.HTTPConnection("127.0.0.1", host.port, timeout=30)
        self.found_after: float | None = None

    def finds(self, scheme_id: str, word: str) -> bool:
        path = "/api/v1/schemes?" + urlencode({"q": word})
        try:
            self.connection.request("GET", path)
            response = self.connection.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError):  # closed by the server: reconnect
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.host.port, timeout=30)
            return False
        hits = json.loads(body)["results"] if response.status == 200 else []
        return any(hit["id"] == scheme_id for hit in hits)

    def wait_until_found(self, scheme_id: str, word: str, saved: float) -> None:
        while time.monotonic() - saved < GIVE_UP:
            if self.finds(scheme_id, word):
                self.found_after = round(time.monotonic() - saved, 3)
                return
            time.sleep(0.05)

    def close(self) -> None:
        self.connection.close()


def report(times: list[dict]) -> None:
    found = [t["every_host_s"] for t in times if t["every_host_s"] is not None]
    summary = {
        "schemes": SCHEMES,
        "hosts": 2,
        "workers_per_host": WORKERS,
        "connections_per_host": CONNECTIONS,
        "edits": len(times),
        "found_on_every_host": len(found),
        "median_s": round(statistics.median(found), 3) if found else None,
        "max_s": max(found) if found else None,
        "goal_s": GOAL,
        "pass": len(found) == len(times) and bool(found) and max(found) < GOAL,
        "loadavg_1min_after": float(Path("/proc/loadavg").read_text().split()[0]),
        "times": times,
    }
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench/results" / f"edits-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: v for k, v in summary.items() if k != "times"}))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
