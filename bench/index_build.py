"""Time a cold search-index build on the imported catalogue, phase by phase.

    .venv/bin/python bench/index_build.py  (env DATABASE_URL, INSTANCE_PATH as for the app)

The index lives in memory (RamStorage), so every build is cold. Prints one
JSON object: seconds to load the catalogue from the database into a fresh
process's cache, to build the index (wall clock, and CPU time: this process's and that
of the forked child a big catalogue is built in; on a shared machine the CPU time is the
steadier figure), and the total, which is what a fresh `create_app()` spends before it
can answer (besides imports). Then what each worker does when a listing is edited:
the index brought to the next version after one listing's summary changed, EDITS times
(default 10; medians, wall clock and CPU), as a worker catching up on an edit does.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from directory.config import Settings  # noqa: E402
from directory.service import Directory  # noqa: E402


def _children_cpu() -> float:
    """CPU seconds of the child processes waited for so far."""
    times = os.times()
    return times.children_user + times.children_system


def edits(index, catalogue, version: int) -> tuple[list[float], list[float]]:
    """Seconds (wall, CPU) to bring the index up to each of EDITS one-listing edits."""
    wall, cpu = [], []
    ids = sorted(catalogue.schemes)
    for n in range(int(os.environ.get("EDITS", 10))):
        scheme = catalogue.schemes[ids[n * 7919 % len(ids)]]
        changed = scheme.model_copy(update={"summary": f"{scheme.summary} zedit{n}"})
        catalogue = dataclasses.replace(
            catalogue, schemes={**catalogue.schemes, scheme.id: changed}
        )
        version += 1
        started, started_cpu = time.perf_counter(), time.process_time()
        index.get(catalogue, version)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.from_env()
    started = time.perf_counter()
    directory = Directory(settings.database_url, settings.data_dir)
    opened = time.perf_counter()
    catalogue, version = directory.snapshot()
    loaded = time.perf_counter()
    cpu, child = time.process_time(), _children_cpu()
    directory.index.get(catalogue, version)  # what create_app() does in the master
    built = time.perf_counter()
    cpu, child = time.process_time() - cpu, _children_cpu() - child
    edit_wall, edit_cpu = edits(directory.index, catalogue, version)
    directory.close()
    print(
        json.dumps(
            {
                "schemes": len(catalogue.schemes),
                "distinct_rules": len(
                    {id(r.rule) for s in catalogue.rules.values() for r in s.by_role.values()}
                ),
                "open_seconds": round(opened - started, 3),
                "catalogue_load_seconds": round(loaded - opened, 3),
                "index_build_seconds": round(built - loaded, 3),
                "index_build_cpu_seconds": round(cpu, 3),
                "index_build_child_cpu_seconds": round(child, 3),
                "cold_total_seconds": round(built - started, 3),
                "edit_update_seconds_median": round(statistics.median(edit_wall), 4),
                "edit_update_cpu_seconds_median": round(statistics.median(edit_cpu), 4),
                "edits": len(edit_wall),
            }
        )
    )


if __name__ == "__main__":
    main()
