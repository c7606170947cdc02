"""The search index follows the catalogue in memory: built once, then brought up to each
new version by Whoosh's writer, answering exactly as an index built afresh would.
"""

from __future__ import annotations

import dataclasses
import os
import threading

import pytest

from directory import catalogue as cat
from directory import search
from directory.config import DEFAULT_DATA_DIR
from directory.search import index as search_index
from directory.service import Directory
from tests.conftest import FIXTURE_CATALOGUE
from tests.unit.index_helpers import KALEIDOSCOPE, edited, ids


class Spy:
    """Records the index's builds and updates while passing them through."""

    def __init__(self, monkeypatch):
        self.updates: list[tuple[list[str], list[str]]] = []
        self.builds = 0
        real_update, real_build = search.LiveIndex._update, search.LiveIndex._build

        def update(live, catalogue, changed, removed):
            self.updates.append((sorted(changed), sorted(removed)))
            return real_update(live, catalogue, changed, removed)

        def build(live, catalogue):
            self.builds += 1
            return real_build(live, catalogue)

        monkeypatch.setattr(search.LiveIndex, "_update", update)
        monkeypatch.setattr(search.LiveIndex, "_build", build)


@pytest.fixture
def live() -> search.LiveIndex:
    return search.LiveIndex()


def test_an_edited_listing_is_updated_in_place(live, catalogue, monkeypatch):
    before = live.get(catalogue, 1)
    assert ids(before, "kaleidoscope") == []
    spy = Spy(monkeypatch)
    after = live.get(edited(catalogue, **KALEIDOSCOPE), 2)
    assert (spy.builds, spy.updates) == (0, [(["csp-mentoring"], [])])
    assert after.version == 2
    assert ids(after, "kaleidoscope") == ["csp-mentoring"]
    assert "csp-mentoring" in ids(after, "physio")
    assert after.run(search.Query("")).total == len(catalogue.schemes)
    assert ids(before, "kaleidoscope") == []  # a snapshot answers for its own version


def test_a_removed_listing_leaves_the_index(live, catalogue, monkeypatch):
    live.get(catalogue, 1)
    spy = Spy(monkeypatch)
    schemes = {k: v for k, v in catalogue.schemes.items() if k != "bda-mentoring"}
    after = live.get(dataclasses.replace(catalogue, schemes=schemes), 2)
    assert spy.updates == [([], ["bda-mentoring"])]
    assert "bda-mentoring" not in ids(after, "dietitian")
    assert after.run(search.Query("")).total == len(catalogue.schemes) - 1


def test_a_new_listing_joins_the_index_with_its_facets(live, catalogue, vocabulary, monkeypatch):
    live.get(catalogue, 1)
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
    after = live.get(bigger, 2)
    assert spy.updates == [(["orthoptic-buddies"], [])]
    assert ids(after, "buddies") == ["orthoptic-buddies"]
    ot_only = after.run(search.Query("buddies", {"profession": ["occupational-therapist"]}))
    assert [h.id for h in ot_only.hits] == ["orthoptic-buddies"]


def test_an_edited_provider_updates_its_listings(live, catalogue, monkeypatch):
    live.get(catalogue, 1)
    spy = Spy(monkeypatch)
    sor = catalogue.organisations["sor"].model_copy(update={"name": "Society of Zygotes"})
    changed = dataclasses.replace(catalogue, organisations={**catalogue.organisations, "sor": sor})
    after = live.get(changed, 2)
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


def answers(index: search.Snapshot) -> list:
    """What a search page shows for each query: the listings found, in order, highlighted,
    the counts, and any correction."""
    found = []
    for query in QUERIES:
        r = index.run(query)
        found.append((r.hits, r.total, r.facet_counts, r.suggestion, r.corrected, r.relaxed))
    return found


def test_after_each_edit_the_index_answers_as_one_built_afresh(
    live, catalogue, vocabulary, monkeypatch
):
    """Edits, a removal and an addition, enough for Whoosh to merge its segments (moving
    documents): the index brought up to date never answers differently from an index
    built from scratch on the same catalogue, ranking and "did you mean" included."""
    monkeypatch.setattr(search_index, "SEGMENTS_BEFORE_MERGE", 4)
    spy = Spy(monkeypatch)
    answers(live.get(catalogue, 1))  # read words before the edits
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
    current = catalogue
    for version, edit in enumerate(edits, start=2):
        current = edit(current)
        index = live.get(current, version)
        fresh = search.LiveIndex().get(current, version)
        assert answers(index) == answers(fresh), version
        assert index.similar(current.schemes["bda-mentoring"], 4) == search.similar_by_scan(
            current.schemes["bda-mentoring"], current, 4
        )
    assert len(spy.updates) == len(edits)  # updated in place each time (the builds: `fresh`)
    assert ids(index, "zygote") and "io-mentoring" not in ids(index, "osteopath")


def test_a_snapshot_in_use_still_searches_after_edits_merge_its_segments(
    live, catalogue, monkeypatch
):
    """A request holding an older snapshot reads words it has not read before, after
    enough edits that Whoosh merged the segments that snapshot was opened on."""
    monkeypatch.setattr(search_index, "SEGMENTS_BEFORE_MERGE", 2)
    held = live.get(catalogue, 1)
    current = catalogue
    for version in range(2, 8):
        current = edited(current, scheme_id="bda-mentoring", summary=f"Zygote {version}.")
        live.get(current, version)
    assert "csp-mentoring" in ids(held, "physiotherapy")
    assert ids(held, "zygote") == [] and ids(live.get(current, 7), "zygote") == ["bda-mentoring"]


def test_catching_up_twice_writes_once(live, catalogue, monkeypatch):
    live.get(catalogue, 1)
    spy = Spy(monkeypatch)
    changed = edited(catalogue, **KALEIDOSCOPE)
    first = live.get(changed, 2)
    assert live.get(changed, 2) is first
    assert len(spy.updates) == 1 and spy.builds == 0


def test_a_request_behind_the_latest_catalogue_never_winds_the_index_back(
    live, catalogue, monkeypatch
):
    """A request that began before another thread caught the index up to version 2 asks
    for version 1: it gets the newer snapshot (the web layer drops hits it lacks)."""
    live.get(catalogue, 1)
    second = live.get(edited(catalogue, **KALEIDOSCOPE), 2)
    spy = Spy(monkeypatch)
    assert live.get(catalogue, 1) is second
    assert spy.updates == [] and spy.builds == 0


def test_threads_catching_up_together_write_once_and_agree(live, catalogue, monkeypatch):
    live.get(catalogue, 1)
    spy = Spy(monkeypatch)
    changed = edited(catalogue, **KALEIDOSCOPE)
    barrier, found = threading.Barrier(4), []

    def catch_up():
        barrier.wait(timeout=10)
        found.append(live.get(changed, 2))

    threads = [threading.Thread(target=catch_up) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(found) == 4 and all(f is found[0] for f in found)
    assert len(spy.updates) == 1 and ids(found[0], "kaleidoscope") == ["csp-mentoring"]


def test_the_service_needs_no_index_folder_and_reports_only_its_database(tmp_path):
    service = Directory(f"sqlite:///{tmp_path / 'db.sqlite3'}", DEFAULT_DATA_DIR, FIXTURE_CATALOGUE)
    try:
        service.setup()
        results = service.search(search.Query("physiotherapy"))
        assert "csp-mentoring" in [h.id for h in results.hits]
        assert service.readiness() == {"database": "ok"}
        assert not [p for p in tmp_path.iterdir() if "index" in p.name]
    finally:
        service.close()


def test_an_index_built_in_a_child_process_answers_as_one_built_here(catalogue, monkeypatch):
    """Big catalogues are indexed in a forked child, so the build's garbage does not stay
    in the server's master (which its workers share): the index that comes back is the same."""
    here = search.LiveIndex().get(catalogue, 1)
    monkeypatch.setattr(search_index, "FORK_ABOVE", 0)
    # Earlier tests in the same run leave server threads behind; the guard against forking
    # beside other threads is for the server's master, not for this build-and-exit child.
    monkeypatch.setattr(search_index.threading, "active_count", lambda: 1)
    built, parent, real_build = [], os.getpid(), search.LiveIndex._build

    def build(live, catalogue):
        built.append(os.getpid())
        return real_build(live, catalogue)

    monkeypatch.setattr(search.LiveIndex, "_build", build)
    apart = search.LiveIndex().get(catalogue, 1)
    assert parent not in built  # built in the child only (its list is the child's)
    assert answers(apart) == answers(here)
