"""Time a cold search-index build on the imported catalogue, phase by phase.

    .venv/bin/python bench/index_build.py  (env DATABASE_URL, INSTANCE_PATH as for the app)

The index lives in memory (RamStorage), so every build is cold. Prints one
JSON object: seconds to load the catalogue from the database into a fresh
process's cache, to build the index (wall clock, and CPU time: this process's and that
of the forked child a big catalogue is built in; on a shared machine the CPU time is the
steadier figure), and the total, which is what a fresh `create_app()` spends before it
can answer (besides imports).
"""

from __future__ import annotations

import json
import logging
import os
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
            }
        )
    )


if __name__ == "__main__":
    main()
