"""The search index's life on disk: built aside and swapped in, repaired, kept current.

Waits use a deadline loop (`eventually`), never a fixed sleep. The two-process
test spawns real processes on one index folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import logging
import multiprocessing
import os
import queue
import shutil
import time
from pathlib import Path

import pytest

from directory import catalogue as cat
from directory import search
from directory.config import DEFAULT_DATA_DIR
from directory.service import Directory
from tests.conftest import FIXTURE_CATALOGUE
from tests.unit import index_helpers
from tests.unit.index_helpers import KALEIDOSCOPE, TIMEOUT, edited, eventually, ids


@pytest.fixture
def root(tmp_path) -> Path:
    return tmp_path / "search-index"


@pytest.fixture
def manager(root, vocabulary) -> search.IndexManager:
    return search.IndexManager(root)


def wait_for_rebuild(manager: search.IndexManager, catalogue, version: int):
    """The index once the background rebuild has run; IndexUnavailable if it did not help."""
    with contextlib.suppress(search.IndexUnavailable):
        manager.get(catalogue, version)  # starts the rebuild if nothing is usable
    eventually(lambda: not manager._building.is_set())  # the background thread has finished
    index = manager.get(catalogue, version)
    eventually(lambda: not manager._building.is_set())
    return index


# Building aside and swapping ------------------------------------------------------------------


def test_a_build_writes_a_new_folder_aside_and_points_current_at_it(root, manager, catalogue):
    first = manager.rebuild(catalogue, 1)
    assert (root / "CURRENT").read_text() == first.name
    meta = json.loads((first / "meta.json").read_text())
    assert meta["catalogue_version"] == 1 and meta["schema_version"] == search.SCHEMA_VERSION
    # BM25's collection statistics, fixed at the build (see search.read_postings)
    assert meta["statistics"]["documents"] == len(catalogue.schemes)
    assert meta["statistics"]["average_length"]["name"] > 1
    reader = search.SearchIndex(first, catalogue.vocabulary)

    second = manager.rebuild(catalogue, 1)
    assert second != first and second.parent == first.parent
    assert (root / "CURRENT").read_text() == second.name
    assert first.is_dir(), "a reader may still be starting on the old folder"
    assert ids(reader, "physio")[0] == "csp-mentoring"  # and it still answers
    assert not list(root.glob("CURRENT.*")) and not list(root.glob("*/meta.json.*"))
    reader.close()


def test_superseded_folders_are_removed_once_no_reader_can_be_starting_on_them(
    root, manager, catalogue
):
    first = manager.rebuild(catalogue, 1)
    old = time.time() - 3600
    os.utime(first, (old, old))
    second = manager.rebuild(catalogue, 1)
    assert not first.exists()
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == [second.name]


def test_a_reader_moves_to_a_folder_another_manager_swapped_in(root, vocabulary, catalogue):
    reader = search.IndexManager(root)
    before = reader.ensure(catalogue, 1)
    after = search.IndexManager(root).rebuild(catalogue, 1)
    assert before.path != after
    assert reader.get(catalogue, 1).path == after


def test_a_new_schema_version_rebuilds_the_index(root, manager, catalogue, monkeypatch):
    before = manager.ensure(catalogue, 1).path
    monkeypatch.setattr(search, "SCHEMA_VERSION", search.SCHEMA_VERSION + 1)
    after = search.IndexManager(root).ensure(catalogue, 1)
    assert after.path != before
    assert after.meta["schema_version"] == search.SCHEMA_VERSION


# No usable index: fall back, rebuild in the background -----------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        lambda root, current: shutil.rmtree(root),
        lambda root, current: shutil.rmtree(current),
        lambda root, current: (root / "CURRENT").unlink(),
        lambda root, current: (root / "CURRENT").write_text("v9-gone"),
    ],
    ids=["whole-folder", "current-index", "CURRENT-file", "CURRENT-points-nowhere"],
)
def test_a_deleted_index_falls_back_then_a_background_rebuild_restores_it(
    root, manager, catalogue, damage
):
    built = manager.ensure(catalogue, 1)
    damage(root, built.path)
    with pytest.raises(search.IndexUnavailable):
        manager.get(catalogue, 1)
    restored = wait_for_rebuild(manager, catalogue, 1)
    assert restored.path != built.path
    assert (root / "CURRENT").read_text() == restored.path.name
    assert ids(restored, "physio")[0] == "csp-mentoring"


def _truncate(suffix: str, keep: int):
    def damage(path: Path) -> None:
        (target,) = [p for p in path.iterdir() if p.name.endswith(suffix)]
        target.write_bytes(target.read_bytes()[:keep])

    return damage


def _overwrite(suffix: str):
    def damage(path: Path) -> None:
        (target,) = [p for p in path.iterdir() if p.name.endswith(suffix)]
        target.write_bytes(b"\x00garbage" * 4)

    return damage


CORRUPTIONS = [
    pytest.param(_truncate(".seg", 100), id="truncated-segment"),
    pytest.param(_overwrite(".seg"), id="overwritten-segment"),
    pytest.param(_truncate(".toc", 20), id="truncated-toc"),
    pytest.param(_overwrite(".toc"), id="overwritten-toc"),
    pytest.param(_overwrite("meta.json"), id="garbled-meta"),
    pytest.param(lambda path: (path / "meta.json").unlink(), id="missing-meta"),
]


# Whoosh leaks the file it was reading when it meets a corrupt segment or TOC: an unclosed-file
# ResourceWarning when the garbage is collected. These tests keep nothing alive that holds the
# file (log records, tracebacks), collect garbage before they end so the warning is theirs,
# and allow only that warning, only here.
WHOOSH_LEAK = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <_io.FileIO name='[^']*(\.seg|\.toc)'"
    ":pytest.PytestUnraisableExceptionWarning"
)


@pytest.fixture
def collect_garbage():
    logging.disable(logging.CRITICAL)  # a log record would keep the whoosh error alive
    yield
    logging.disable(logging.NOTSET)
    gc.collect()


def without_leaks(action):
    """Run `action`; an IndexUnavailable becomes a plain failure once its files are released."""
    try:
        return action()
    except search.IndexUnavailable as error:
        message = f"the index was not rebuilt: {error}"
    gc.collect()
    raise AssertionError(message)


@WHOOSH_LEAK
@pytest.mark.usefixtures("collect_garbage")
@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_a_corrupt_index_is_rebuilt_in_the_background(root, vocabulary, catalogue, corrupt):
    built = search.IndexManager(root).ensure(catalogue, 1)
    built.close()
    corrupt(built.path)
    restarted = search.IndexManager(root)  # e.g. the next process to start
    restored = without_leaks(lambda: wait_for_rebuild(restarted, catalogue, 1))
    assert restored.path != built.path
    assert ids(restored, "physio")[0] == "csp-mentoring"


@WHOOSH_LEAK
@pytest.mark.usefixtures("collect_garbage")
@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_starting_up_on_a_corrupt_index_rebuilds_it(root, vocabulary, catalogue, corrupt):
    built = search.IndexManager(root).ensure(catalogue, 1)
    built.close()
    corrupt(built.path)
    restored = without_leaks(lambda: search.IndexManager(root).ensure(catalogue, 1))
    assert ids(restored, "physio")[0] == "csp-mentoring"


@WHOOSH_LEAK
@pytest.mark.usefixtures("collect_garbage")
@pytest.mark.parametrize(
    "corrupt", [c.values[0] for c in CORRUPTIONS], ids=[c.id for c in CORRUPTIONS]
)
def test_a_corrupt_index_is_rebuilt_when_the_catalogue_moves_on(
    root, vocabulary, catalogue, corrupt
):
    built = search.IndexManager(root).ensure(catalogue, 1)
    built.close()
    corrupt(built.path)
    restarted = search.IndexManager(root)
    changed = edited(catalogue, **KALEIDOSCOPE)
    restored = eventually(lambda: restarted.get(changed, 2))
    assert restored.version == 2
    assert ids(restored, "kaleidoscope") == ["csp-mentoring"]


def test_while_a_big_change_rebuilds_the_previous_index_keeps_answering(
    root, manager, catalogue, monkeypatch
):
    before = manager.ensure(catalogue, 1)
    monkeypatch.setattr(search, "INCREMENTAL_LIMIT", 0)  # any change counts as big
    changed = edited(catalogue, **KALEIDOSCOPE)
    meanwhile = manager.get(changed, 2)
    assert meanwhile.path == before.path  # not blocked, not unavailable
    after = eventually(lambda: (i := manager.get(changed, 2)).version == 2 and i)
    assert after.path != before.path  # rebuilt aside
    assert ids(after, "kaleidoscope") == ["csp-mentoring"]


# The catalogue moves on: update in place ------------------------------------------------------


class Spy:
    """Records IndexStore writes while passing them through."""

    def __init__(self, monkeypatch):
        self.updates: list[tuple[list[str], list[str]]] = []
        self.builds = 0
        real_update, real_build = search.IndexStore.update, search.IndexStore.build

        def update(store, path, catalogue, version, changed, removed):
            changed, removed = list(changed), list(removed)
            self.updates.append((sorted(changed), sorted(removed)))
            return real_update(store, path, catalogue, version, changed, removed)

        def build(store, *args, **kwargs):
            self.builds += 1
            return real_build(store, *args, **kwargs)

        monkeypatch.setattr(search.IndexStore, "update", update)
        monkeypatch.setattr(search.IndexStore, "build", build)


def test_an_edited_listing_is_updated_in_place(root, manager, catalogue, monkeypatch):
    before = manager.ensure(catalogue, 1)
    assert ids(before, "kaleidoscope") == []
    spy = Spy(monkeypatch)
    after = manager.get(edited(catalogue, **KALEIDOSCOPE), 2)
    assert (spy.builds, spy.updates) == (0, [(["csp-mentoring"], [])])
    assert after.path == before.path and after.version == 2
    assert json.loads((after.path / "meta.json").read_text())["catalogue_version"] == 2
    assert ids(after, "kaleidoscope") == ["csp-mentoring"]
    assert "csp-mentoring" in ids(after, "physio")
    assert after.run(search.Query("")).total == len(catalogue.schemes)


def test_a_removed_listing_leaves_the_index(manager, catalogue, monkeypatch):
    manager.ensure(catalogue, 1)
    spy = Spy(monkeypatch)
    schemes = {k: v for k, v in catalogue.schemes.items() if k != "bda-mentoring"}
    smaller = dataclasses.replace(catalogue, schemes=schemes)
    after = manager.get(smaller, 2)
    assert spy.updates == [([], ["bda-mentoring"])]
    assert "bda-mentoring" not in ids(after, "dietitian")
    assert after.run(search.Query("")).total == len(catalogue.schemes) - 1


def test_a_new_listing_joins_the_index_with_its_facets(manager, catalogue, vocabulary, monkeypatch):
    manager.ensure(catalogue, 1)
    spy = Spy(monkeypatch)
    new = catalogue.schemes["elizabeth-casson-trust-mentoring"].model_copy(
        update={"id": "orthoptic-buddies", "name": "Orthoptic buddies", "provider": "csp"}
    )
    rules, problems = cat.compile_scheme(new, vocabulary)
    assert problems == []
    bigger = dataclasses.replace(
        catalogue,
        schemes={**catalogue.schemes, new.id: new},
        rules={**catalogue.rules, new.id: rules},
    )
    after = manager.get(bigger, 2)
    assert spy.updates == [(["orthoptic-buddies"], [])]
    assert ids(after, "buddies") == ["orthoptic-buddies"]
    ot_only = after.run(search.Query("buddies", {"profession": ["occupational-therapist"]}))
    assert [h.id for h in ot_only.hits] == ["orthoptic-buddies"]


def test_an_edited_provider_updates_its_listings(manager, catalogue, monkeypatch):
    manager.ensure(catalogue, 1)
    spy = Spy(monkeypatch)
    sor = catalogue.organisations["sor"].model_copy(update={"name": "Society of Zygotes"})
    changed = dataclasses.replace(catalogue, organisations={**catalogue.organisations, "sor": sor})
    after = manager.get(changed, 2)
    assert spy.updates == [(["sor-leadership-mentoring", "sor-student-leadership-elective"], [])]
    assert sorted(ids(after, "zygotes")) == [
        "sor-leadership-mentoring",
        "sor-student-leadership-elective",
    ]


QUERIES = [
    search.Query("physio", page_size=100),
    search.Query("mentoring", page_size=100),
    search.Query("leadership students", page_size=100),
    search.Query("radiography", {"stage": ["student"]}, page_size=100),
    search.Query("peer", sort="name", page_size=100),
    search.Query("dietitian", page_size=100),
    search.Query("csp", page_size=100),
    search.Query("kaleidoscope", page_size=100),
    search.Query("zygote", page_size=100),
    # words that only a replaced version had, beside common ones: ranked when relaxed
    search.Query("kaleidoscope physio", page_size=100),
    search.Query("zygote dietitians", page_size=100),
    search.Query("", {"profession": ["paramedic"]}, page_size=100),
    # typos: corrected, and corrected differently once an edit brings a nearer word
    search.Query("physiotheraphy", page_size=100),
    search.Query("dietitan mentoring", page_size=100),
    search.Query("kaleidoscop", page_size=100),
    search.Query("zygotte", page_size=100),
]


SNAPSHOT_TABLES = (
    "size",
    "ids",
    "names",
    "docnums",
    "fingerprints",
    "by_name",
    "name_rank",
    "all_bits",
    "facet_bits",
    "spelling_words",
)


def answers(index: search.SearchIndex, catalogue) -> list:
    """What a search page shows for each query: the listings found, in order, and counts."""
    found = []
    for query in QUERIES:
        results = index.run(query, catalogue)
        found.append(([h.id for h in results.hits], results.total, results.facet_counts))
    return found


def test_after_each_edit_the_reopened_index_keeps_its_caches_and_answers_as_a_fresh_one(
    manager, catalogue, vocabulary
):
    """Edits, a removal and an addition, enough for Whoosh to merge its small segments
    (moving documents): the caches carried from snapshot to snapshot never answer
    differently from a snapshot opened afresh."""
    index = manager.ensure(catalogue, 1)
    answers(index, catalogue)  # fill the caches
    new = catalogue.schemes["elizabeth-casson-trust-mentoring"].model_copy(
        update={"id": "zygote-buddies", "name": "Zygote buddies", "provider": "csp"}
    )
    new_rules, _ = cat.compile_scheme(new, vocabulary)
    edits = [
        lambda c: edited(c, **KALEIDOSCOPE),
        lambda c: edited(c, scheme_id="bda-mentoring", summary="Dietitians mentor dietitians."),
        lambda c: edited(c, scheme_id="bda-mentoring", summary="Dietitans mentor dietitian."),
        lambda c: edited(c, scheme_id="csp-mentoring", name="CSP mentoring"),
        lambda c: dataclasses.replace(
            c,
            schemes={k: v for k, v in c.schemes.items() if k != "io-mentoring"},
            rules={k: v for k, v in c.rules.items() if k != "io-mentoring"},
        ),
        lambda c: dataclasses.replace(
            c, schemes={**c.schemes, new.id: new}, rules={**c.rules, new.id: new_rules}
        ),
        *[
            lambda c, n=n: edited(c, scheme_id="sor-leadership-mentoring", summary=f"Zygote {n}.")
            for n in range(5)
        ],
    ]
    kept_any = segments_lent = tables_lent = ranked_in = corrections_kept = 0
    current = catalogue
    for version, edit in enumerate(edits, start=2):
        current = edit(current)
        earlier = index
        index = manager.get(current, version)
        kept_any += bool(index._postings_cache)  # carried over, before any search
        # A search the edited listing matches, its new version ranked in (when its words'
        # counts held).
        ranked_in += "mentoring" in index._found_cache
        corrections_kept += "physiotheraphy" in index._found_cache
        segments_lent += any(
            tables is earlier.segment_tables.get(segment)
            for segment, tables in index.segment_tables.items()
        )
        tables_lent += search._shared_segments(earlier.layout, index.layout) > 0
        fresh = search.SearchIndex(index.path, vocabulary)
        try:
            for table in SNAPSHOT_TABLES:  # those built from tables the earlier one lent
                assert getattr(index, table) == getattr(fresh, table), (version, table)
            assert answers(index, current) == answers(fresh, current), version
            index._found_cache.clear()  # rank again from the words' kept postings
            assert answers(index, current) == answers(fresh, current), version
        finally:
            fresh.close()
    assert kept_any == len(edits)
    assert ranked_in > len(edits) // 2
    assert corrections_kept > len(edits) // 2  # a typo corrected: not corrected again
    assert segments_lent > len(edits) // 2  # every edit but those Whoosh merged everything in
    assert tables_lent > len(edits) // 2
    assert ids(index, "zygote") and "io-mentoring" not in ids(index, "osteopath")


def test_a_snapshot_of_another_index_folder_gives_it_nothing(root, vocabulary, catalogue):
    first = search.IndexManager(root / "a").ensure(catalogue, 1)
    second = search.IndexManager(root / "b").ensure(catalogue, 1)
    first.run(search.Query("physio"), catalogue)
    assert second.keep_caches_of(first, catalogue) == 0


def test_catching_up_twice_writes_once(manager, catalogue, monkeypatch):
    manager.ensure(catalogue, 1)
    spy = Spy(monkeypatch)
    changed = edited(catalogue, **KALEIDOSCOPE)
    first = manager.get(changed, 2)
    assert manager.get(changed, 2) is first
    assert search.IndexManager(manager.store.root).get(changed, 2).version == 2
    assert len(spy.updates) == 1 and spy.builds == 0


def test_an_open_index_answers_for_its_own_version_while_another_process_updates_it(
    root, manager, catalogue
):
    opened = manager.ensure(catalogue, 1)  # no search run yet in this thread
    other = search.IndexStore(root)  # another process, catching up first
    with other.write_lock():
        other.update(other.current(), edited(catalogue, **KALEIDOSCOPE), 2, ["csp-mentoring"], [])
    assert opened.version == 1
    assert "csp-mentoring" in ids(opened, "physiotherapy")


# Two processes on one index folder ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("start", "version", "writes"),
    [("nothing", 1, {"build": 1}), ("an older version", 2, {"update": 1})],
    ids=["from-nothing", "from-an-older-version"],
)
def test_two_processes_catching_up_together_write_one_at_a_time_and_agree(
    root, vocabulary, catalogue, start, version, writes
):
    if start == "an older version":
        search.IndexManager(root).ensure(catalogue, 1).close()
    context = multiprocessing.get_context("spawn")
    barrier, events, results = context.Barrier(2), context.Queue(), context.Queue()
    args = (str(root), version, version == 2, barrier, events, results)
    workers = [
        context.Process(target=index_helpers.catch_up_in_a_process, args=args) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=TIMEOUT * 2) for _ in workers]
    for worker in workers:
        worker.join(timeout=TIMEOUT)
        assert worker.exitcode == 0
    assert [r.get("error") for r in reports] == [None, None], reports

    # Both read the same, current index.
    (path,) = {r["path"] for r in reports}
    assert (root / "CURRENT").read_text() == Path(path).name
    assert {r["version"] for r in reports} == {version}
    assert (
        reports[0]["physio"] == reports[1]["physio"] and reports[0]["physio"][0] == "csp-mentoring"
    )
    assert {tuple(r["kaleidoscope"]) for r in reports} == {
        ("csp-mentoring",) if version == 2 else ()
    }

    # Exactly one writer at a time, and only the writes needed.
    log = []
    with contextlib.suppress(queue.Empty):
        while True:
            log.append(events.get(timeout=1))
    log.sort(key=lambda e: e[2])
    holder = None
    for kind, pid, _ in log:
        if kind == "acquire":
            assert holder is None, f"{pid} took the lock while {holder} held it"
            holder = pid
        elif kind == "release":
            assert holder == pid
            holder = None
        else:
            assert holder == pid, f"{pid} wrote ({kind}) without holding the lock"
    counts = {kind: sum(1 for k, _, _ in log if k == kind) for kind in ("build", "update")}
    assert {k: v for k, v in counts.items() if v} == writes


# The service: searching while no index is usable ------------------------------------------------


@pytest.fixture
def directory_without_index(tmp_path):
    found = Directory(
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DEFAULT_DATA_DIR,
        tmp_path / "index",
        FIXTURE_CATALOGUE,
    )
    found.setup(build_index=False)
    yield found
    found.close()


def test_the_service_answers_with_a_plain_scan_while_the_index_is_built(
    directory_without_index, monkeypatch
):
    import threading

    release = threading.Event()
    real_build = search.IndexStore.build

    def held_build(store, *args, **kwargs):
        release.wait(timeout=TIMEOUT)
        return real_build(store, *args, **kwargs)

    monkeypatch.setattr(search.IndexStore, "build", held_build)
    service = directory_without_index
    results, degraded = service.search(search.Query("physiotherapy"))
    assert degraded is True
    catalogue, _ = service.snapshot()
    expected = search.scan(catalogue, search.Query("physiotherapy"))
    assert [h.id for h in results.hits] == [h.id for h in expected.hits]
    assert "csp-mentoring" in [h.id for h in results.hits]
    release.set()
    later = eventually(lambda: not (found := service.search(search.Query("physio")))[1] and found)
    assert later[0].hits[0].id == "csp-mentoring"


@pytest.mark.parametrize(
    ("query", "found"),
    [
        (search.Query(""), "all"),
        (search.Query("mentoring"), None),
        (search.Query("", {"listing_type": ["guidance"]}), 2),
        (search.Query("", within=frozenset({"csp-mentoring", "bda-mentoring"})), 2),
        (search.Query("zzzzqqqxx"), 0),
        (search.Query("", page=99), "all"),
    ],
)
def test_the_plain_scan_honours_words_filters_and_search_as_me(
    directory_without_index, monkeypatch, query, found
):
    monkeypatch.setattr(search.IndexManager, "_rebuild_in_background", lambda *a: None)
    results, degraded = directory_without_index.search(query)
    assert degraded is True
    catalogue, _ = directory_without_index.snapshot()
    if found == "all":
        found = len(catalogue.schemes)
    if found is None:  # every word appears in what the scan reads
        found = sum("mentoring" in f"{s.name} {s.summary} {s.description}".lower()
                    for s in catalogue.schemes.values())  # fmt: skip
    assert results.total == found
    assert results.page == min(query.page, results.pages)
    assert len(results.hits) == (min(found - (results.page - 1) * 10, 10) if found else 0)


def test_the_service_never_raises_when_the_index_folder_is_unusable(tmp_path):
    (tmp_path / "index").write_text("a file where the index folder should be")
    service = Directory(
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DEFAULT_DATA_DIR,
        tmp_path / "index",
        FIXTURE_CATALOGUE,
    )
    try:
        service.setup(build_index=False)
        results, degraded = service.search(search.Query("physiotherapy"))
        assert degraded is True and "csp-mentoring" in [h.id for h in results.hits]
    finally:
        service.close()


def test_a_snapshot_still_searches_after_another_worker_merges_its_segments_away(root, catalogue):
    """Each worker pins the generation it opened and opens its segment files per search;
    another worker's edits make Whoosh merge segments. The files stay until no snapshot
    can still be reading them."""
    held = search.IndexManager(root).ensure(catalogue, 1)  # this worker's, not caught up
    other = search.IndexManager(root)  # another worker, saving edit after edit
    current = catalogue
    for version in range(2, 12):
        current = edited(current, scheme_id="bda-mentoring", summary=f"Zygote {version}.")
        other.get(current, version)
    assert other.get(current, 11).segment_tables.keys().isdisjoint(held.segment_tables)
    held._postings_cache.clear()
    held._found_cache.clear()
    assert "csp-mentoring" in ids(held, "physiotherapy")  # read from its own segments

    search.remove_unused_files(held.path, grace_seconds=0)
    segments = {name.split(".")[0] for name in os.listdir(held.path) if name.endswith(".seg")}
    assert segments == set(other.get(current, 11).segment_tables)
    assert [n for n in os.listdir(held.path) if n.endswith(".toc")] == ["_MAIN_11.toc"]


def test_a_request_behind_the_latest_catalogue_never_winds_the_index_back(
    manager, catalogue, monkeypatch
):
    """A request that began before another thread caught the index up to version 2 asks
    for version 1: it gets the snapshot it would have had, and the index stays at 2."""
    first = manager.ensure(catalogue, 1)
    changed = edited(catalogue, **KALEIDOSCOPE)
    second = manager.get(changed, 2)
    spy = Spy(monkeypatch)
    assert manager.get(catalogue, 1, behind=True) is first
    manager._retire(second)  # the snapshot at 1 closed: a newer one will do
    assert manager.get(catalogue, 1, behind=True) is second
    assert spy.updates == [] and manager.store.meta(second.path)["catalogue_version"] == 2
