"""`directory serve` as run in production: logs, assets, health checks, configuration."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.system.support import DIRECTORY, PASSWORD, ROOT, Browser, Site, add_curator

ANSWERS = ("occupational-therapist", "speech-and-language-therapist", "north-west", "bda")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serving")
    site = Site(f"sqlite:///{folder / 'directory.sqlite3'}", workers=2).start()
    yield site
    site.stop()


def test_request_logs_never_contain_answers_searches_or_passwords(site):
    email = add_curator(site, "logged@example.org")
    browser = Browser(site)
    browser.sign_in(email)
    browser.get(
        "/check/results?role=mentee&profession=occupational-therapist&member_of=bda&region=north-west"
    )
    browser.get("/api/v1/eligibility?profession=speech-and-language-therapist")
    browser.get("/search?q=occupational-therapist+secret-search-words")
    browser.get(
        "/check/profession?role=mentee&profession=occupational-therapist&answered=profession"
    )
    log = site.log()
    requests = [line for line in log.splitlines() if '"GET ' in line or '"POST ' in line]
    assert any('"GET /check/results HTTP/1.1" 200' in line for line in requests)  # logged, but...
    for secret in (*ANSWERS, "secret-search-words", PASSWORD, email):
        assert secret not in log, f"{secret!r} reached the log"
    assert not any("?" in line for line in requests), "a query string reached the log"


def test_assets_have_content_hashed_paths_a_year_long_cache_and_compression(site):
    home = site.get("/")
    script = re.search(r'src="(/assets/[0-9a-f]{12}/dist/app\.js)"', home.text).group(1)
    plain = Browser(site).get(script)
    squeezed = Browser(site).get(script, headers={"Accept-Encoding": "br, gzip"})
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert squeezed.headers.get("Content-Encoding") in ("br", "gzip")
    assert Browser(site).get(script.replace("/dist/", "/dist/nope-")).status == 404


def test_pages_are_compressed_when_that_pays(site):
    page = Browser(site).get("/search", headers={"Accept-Encoding": "gzip"})
    assert page.headers.get("Content-Encoding") == "gzip"
    # Brotli first when a browser takes it: the smallest page for its CPU cost.
    chrome = Browser(site).get("/search", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert chrome.headers.get("Content-Encoding") == "br"
    tiny = Browser(site).get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in tiny.headers  # too small to be worth it


def test_health_and_readiness_are_cheap_and_say_nothing_private(site):
    health = site.get("/healthz")
    ready = site.get("/readyz")
    assert (health.status, health.text.strip()) == (200, '{"ok":true}')
    assert ready.status == 200
    assert '"database":"ok"' in ready.text
    assert "index" not in ready.text  # built in memory from the catalogue: nothing to check
    assert "sqlite" not in ready.text and str(site.instance) not in ready.text


def test_doctor_checks_a_running_sites_database(site):
    result = site.command("doctor")
    assert result.returncode == 0, result.stdout
    assert "ok    listings:" in result.stdout and "search index" not in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    environment = {
        "PATH": "/usr/bin:/bin",
        "INSTANCE_PATH": str(tmp_path),
        "DIRECTORY_ENV": "production",
    }
    result = subprocess.run(
        [DIRECTORY, "serve", "--bind", "127.0.0.1:1"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_bad_setting_is_named_at_start(tmp_path):
    environment = {
        "PATH": "/usr/bin:/bin",
        "INSTANCE_PATH": str(tmp_path),
        "LOG_LEVEL": "chatty",
        "DATABASE_URL": "mysql://localhost/x",
    }
    result = subprocess.run(
        [DIRECTORY, "serve"], env=environment, capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode != 0
    assert "LOG_LEVEL must be one of" in result.stderr
    assert "DATABASE_URL must be a SQLite or PostgreSQL address" in result.stderr
