"""Where a worker's memory goes: tracemalloc over create_app() and a few searches.

    .venv/bin/python bench/memory_profile.py OUT_DIR
        (env DATABASE_URL, INSTANCE_PATH as for the app)

Prints and writes OUT_DIR/memory-profile.json: the process's RSS after start-up
and after the searches, the Python heap traced by tracemalloc, and the lines
that allocated the most of what is still alive, grouped by source line.
"""

from __future__ import annotations

import json
import linecache
import logging
import sys
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from queries import QUERIES  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> None:
    out = Path(sys.argv[1])
    baseline = rss_mb()
    tracemalloc.start(1)
    from directory import create_app, search

    app = create_app({"BUILD_INDEX": True, "AUTO_IMPORT": False, "TESTING": True})
    logging.getLogger().setLevel(logging.WARNING)
    directory = app.extensions["directory"]
    after_start = rss_mb()
    for q in QUERIES[:40]:
        directory.search(search.Query(q.text, q.filter_dict, q.sort, q.page))
    after_search = rss_mb()
    snapshot = tracemalloc.take_snapshot()
    traced, peak = tracemalloc.get_traced_memory()
    stats = snapshot.statistics("lineno")
    top = []
    for stat in stats[:25]:
        frame = stat.traceback[0]
        where = frame.filename
        for root in ("/directory/", "/site-packages/"):
            if root in where:
                where = where.split(root, 1)[1]
                break
        top.append(
            {
                "mb": round(stat.size / 1024 / 1024, 1),
                "blocks": stat.count,
                "where": f"{where}:{frame.lineno}",
                "code": linecache.getline(frame.filename, frame.lineno).strip(),
            }
        )
    report = {
        "rss_mb_interpreter_only": baseline,
        "rss_mb_after_create_app": after_start,
        "rss_mb_after_40_searches": after_search,
        "python_heap_traced_mb": round(traced / 1024 / 1024, 1),
        "python_heap_peak_mb": round(peak / 1024 / 1024, 1),
        "top_allocations_alive": top,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "memory-profile.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    directory.close()


if __name__ == "__main__":
    main()
