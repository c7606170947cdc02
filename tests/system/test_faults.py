"""Faults survived: the database going away, the index breaking, a worker killed,
a bad import. Each test starts real processes and stops them itself."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import threading
import time

import pytest

from tests.conftest import FIXTURE_CATALOGUE
from tests.system.support import Browser, Site, add_curator, wait_for


@pytest.fixture
def site(pg_url):
    site = Site(pg_url, workers=2).start()
    yield site
    site.stop()


def test_a_database_outage_gives_a_friendly_503_and_service_resumes(site, cluster):
    assert site.get("/search?q=physio").status == 200
    pid = site.process.pid
    cluster.stop()
    try:
        page = wait_for(
            lambda: (r := site.get("/search?q=physio")).status == 503 and r,
            timeout=20,
            what="a 503 during the outage",
        )
        assert "Sorry, the service is unavailable" in page.text
        assert "Traceback" not in page.text and "psycopg" not in page.text
        assert page.headers.get("Retry-After") == "30"
        api = site.get("/api/v1/schemes?q=physio")
        assert api.status == 503
        assert api.text.strip().startswith(
            '{"errors":[{"message":"the service is temporarily unavailable"}]'
        )
        assert site.get("/healthz").status == 200  # alive, just not ready
        assert site.get("/readyz").status == 503
    finally:
        cluster.start()
    wait_for(lambda: site.get("/search?q=physio").status == 200, timeout=30, what="recovery")
    assert site.get("/readyz").status == 200
    assert site.process.pid == pid and site.process.poll() is None  # no restart


SIGNED_IN_PAGES = ["/", "/search?q=physio", "/schemes/csp-mentoring", "/editor/", "/sign-in"]


def test_a_signed_in_curator_gets_the_same_503_page_during_an_outage(site, cluster):
    """Loading the signed-in user needs the database too: the 503 page must not."""
    curator = Browser(site)
    curator.sign_in(add_curator(site))
    assert curator.get("/editor/").status == 200
    cluster.stop()
    try:
        wait_for(lambda: curator.get("/").status == 503, timeout=20, what="a 503")
        for path in SIGNED_IN_PAGES:
            page = curator.get(path)
            assert page.status == 503, (path, page.text[:300])
            assert "Sorry, the service is unavailable" in page.text, path
            assert page.headers.get("Retry-After") == "30", path
            assert "Content-Security-Policy" in page.headers, path
        api = curator.get("/api/v1/schemes?q=physio")
        assert api.status == 503 and '"status":503' in api.text
    finally:
        cluster.start()
    wait_for(lambda: curator.get("/editor/").status == 200, timeout=30, what="recovery")


def keep_searching(site: Site, stop: threading.Event, statuses: list[int]) -> None:
    while not stop.is_set():
        statuses.append(site.get("/api/v1/schemes?q=physiotherapy").status)


def test_there_is_no_index_on_disk_to_lose_or_corrupt(site):
    """The search index lives in each process's memory, built from the catalogue."""
    assert '"csp-mentoring"' in site.get("/api/v1/schemes?q=physiotherapy").text
    assert not [p for p in site.instance.rglob("*") if "index" in p.name]
    assert site.get("/readyz").status == 200


def test_a_killed_worker_is_replaced_and_the_other_requests_succeed(site):
    workers = wait_for(lambda: len(pids := site.workers_pids()) == 2 and pids, what="two workers")
    stop, statuses = threading.Event(), []

    def load():
        while not stop.is_set():
            try:
                statuses.append(site.get("/search?q=physio").status)
            except OSError:
                statuses.append(0)  # the one connection the killed worker was serving

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for _ in range(4):
            pool.submit(load)
        time.sleep(1)
        victim = sorted(workers)[0]
        os.kill(victim, signal.SIGKILL)
        replaced = wait_for(
            lambda: len(p := site.workers_pids()) == 2 and victim not in p and p,
            timeout=30,
            what="a replacement worker",
        )
        time.sleep(1)
        stop.set()
    assert victim not in replaced
    failures = [s for s in statuses if s != 200]
    assert len(statuses) > 20
    assert len(failures) <= 4, f"{len(failures)} failed of {len(statuses)}"  # in flight, at most
    assert site.get("/search?q=physio").status == 200


def test_a_bad_import_during_traffic_is_rejected_whole_and_nothing_changes(site, tmp_path):
    bad = tmp_path / "schemes.yaml"
    text = FIXTURE_CATALOGUE.read_text()
    bad.write_text(
        text.replace("name: CSP mentoring", "name: CSP mentoring")  # keep anchors
        .replace(
            "name: Chartered Society of Physiotherapy mentoring scheme",
            "name: Renamed by a bad file",
        )
        .replace("listing_type: network", "listing_type: hub", 1)
    )
    stop, statuses = threading.Event(), []
    searcher = threading.Thread(target=keep_searching, args=(site, stop, statuses))
    searcher.start()
    try:
        result = site.command("import", str(bad))
    finally:
        stop.set()
        searcher.join(timeout=30)
    assert result.returncode == 1
    assert 'unknown type of listing "hub"' in result.stderr
    assert "nothing was changed" in result.stderr
    assert set(statuses) == {200}
    page = site.get("/schemes/csp-mentoring").text
    assert "Chartered Society of Physiotherapy mentoring scheme" in page
    assert "Renamed by a bad file" not in page
