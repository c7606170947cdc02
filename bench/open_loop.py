"""An open-loop load: requests sent at a fixed rate, whatever the server's pace.

wrk keeps N connections busy, so it measures the most the server can do, and its
latency is N divided by that rate. People do not wait for each other: at a given
traffic, what they see is the time from when they asked to when the page came back,
including any queue. So here a scheduler releases one request every 1/rate seconds;
a pool of client threads sends them over keep-alive connections, and each request's
latency counts from its scheduled time (no "coordinated omission": a slow server
cannot slow the arrivals down and hide its queue).

    python bench/open_loop.py BASE_URL URLS_FILE RATE SECONDS     (prints JSON)

Standard library only; used by production_load.py.
"""

from __future__ import annotations

import http.client
import json
import queue
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

CLIENTS = 64  # threads, so that a slow spell queues requests here, timed, not at the server


def run(base_url: str, paths: list[str], rate: float, seconds: float) -> dict:
    """Send len = rate * seconds requests for `paths` (in turn) at `rate` a second."""
    address = urlsplit(base_url)
    pending: queue.Queue = queue.Queue()
    results: list[tuple[float, int]] = []  # (latency s, status); status 0 = failed
    lock = threading.Lock()

    def client() -> None:
        connection = None
        while (item := pending.get()) is not None:
            scheduled, path = item
            status = 0
            for _attempt in range(2):  # a keep-alive connection the server closed: once more
                try:
                    if connection is None:
                        connection = http.client.HTTPConnection(
                            address.hostname, address.port, timeout=30
                        )
                    connection.request("GET", path)
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                    break
                except (OSError, http.client.HTTPException):
                    if connection is not None:
                        connection.close()
                    connection = None
            with lock:
                results.append((time.monotonic() - scheduled, status))
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    total = round(rate * seconds)
    started = time.monotonic()
    for n in range(total):
        scheduled = started + n / rate
        time.sleep(max(0.0, scheduled - time.monotonic()))
        pending.put((scheduled, paths[n % len(paths)]))
    for _ in threads:
        pending.put(None)
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return summary(results, rate, elapsed)


def summary(results: list[tuple[float, int]], rate: float, elapsed: float) -> dict:
    latencies = sorted(latency * 1000 for latency, _ in results)

    def percentile(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 2)

    failed = sum(1 for _, status in results if not 200 <= status < 400)
    return {
        "rate": rate,
        "requests": len(results),
        "achieved_rps": round(len(results) / elapsed, 2),
        "latency_ms": {
            "p50": round(statistics.median(latencies), 2),
            "p90": percentile(0.90),
            "p99": percentile(0.99),
            "max": round(latencies[-1], 2),
        },
        "errors": failed,
    }


if __name__ == "__main__":
    base, urls_file, rate, seconds = sys.argv[1:5]
    paths = Path(urls_file).read_text().split()
    print(json.dumps(run(base, paths, float(rate), float(seconds))))
