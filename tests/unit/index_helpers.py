"""Helpers for the index lifecycle tests, kept light: spawned processes import this module.

No pytest and no database here, so a worker process starts quickly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import time
import traceback
from pathlib import Path

from directory import catalogue as cat
from directory import search
from directory import vocabulary as vocab
from directory.config import DEFAULT_DATA_DIR
from tests.conftest import FIXTURE_CATALOGUE

TIMEOUT = 60  # seconds; a healthy rebuild takes well under one


def eventually(check, timeout=TIMEOUT, interval=0.02):
    """Call `check` until it returns something truthy without raising IndexUnavailable."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except search.IndexUnavailable:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"still not done after {timeout}s")
        time.sleep(interval)


def ids(index: search.SearchIndex, text: str, **kwargs) -> list[str]:
    return [h.id for h in index.run(search.Query(text, page_size=100, **kwargs)).hits]


def edited(catalogue: cat.Catalogue, **changes) -> cat.Catalogue:
    """The catalogue with one listing changed, as an editor on the site would change it."""
    scheme_id = changes.pop("scheme_id", "csp-mentoring")
    scheme = catalogue.schemes[scheme_id].model_copy(update=changes)
    return dataclasses.replace(catalogue, schemes={**catalogue.schemes, scheme_id: scheme})


KALEIDOSCOPE = {"name": "Chartered Society of Physiotherapy kaleidoscope mentoring"}


def catch_up_in_a_process(root, version, edit, barrier, events, results):
    """Run in a spawned process: catch up to `version` and report what it reads."""
    try:
        logging.disable(logging.CRITICAL)
        vocabulary = vocab.load(DEFAULT_DATA_DIR / "vocabulary.yaml")
        catalogue = cat.load(FIXTURE_CATALOGUE, vocabulary)
        if edit:
            catalogue = edited(catalogue, **KALEIDOSCOPE)
        real_lock = search.IndexStore.write_lock
        real_build, real_update = search.IndexStore.build, search.IndexStore.update

        @contextlib.contextmanager
        def write_lock(store, wait=True):
            with real_lock(store, wait) as held:
                if held:
                    events.put(("acquire", os.getpid(), time.monotonic_ns()))
                try:
                    yield held
                finally:
                    if held:
                        events.put(("release", os.getpid(), time.monotonic_ns()))

        def build(store, *args, **kwargs):
            events.put(("build", os.getpid(), time.monotonic_ns()))
            return real_build(store, *args, **kwargs)

        def update(store, *args, **kwargs):
            events.put(("update", os.getpid(), time.monotonic_ns()))
            return real_update(store, *args, **kwargs)

        search.IndexStore.write_lock = write_lock
        search.IndexStore.build, search.IndexStore.update = build, update
        manager = search.IndexManager(Path(root))
        barrier.wait(timeout=TIMEOUT)
        index = eventually(lambda: (i := manager.get(catalogue, version)).version == version and i)
        eventually(lambda: not manager._building.is_set())
        index = manager.get(catalogue, version)
        results.put(
            {
                "path": str(index.path),
                "version": index.version,
                "physio": ids(index, "physio"),
                "kaleidoscope": ids(index, "kaleidoscope"),
            }
        )
    except BaseException:
        results.put({"error": traceback.format_exc()})
