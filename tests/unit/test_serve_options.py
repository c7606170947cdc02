"""`directory serve`'s gunicorn settings: defaults as the README gives them, and the
environment or the command line choosing instead."""

from __future__ import annotations

import os

import pytest

from directory import serve


@pytest.fixture
def two_cores(monkeypatch):
    for name in ("BIND", "PORT", "WEB_CONCURRENCY", "THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def test_it_runs_one_worker_per_core_with_two_threads_each_on_localhost(two_cores):
    options = serve.options()
    assert (options["workers"], options["threads"], options["bind"]) == (2, 2, "127.0.0.1:8000")
    assert options["worker_class"] == "gthread" and options["preload_app"] is True


def test_one_core_still_gets_two_workers_and_many_cores_at_most_eight(two_cores, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert serve.options()["workers"] == 2
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert serve.options()["workers"] == 8


def test_the_environment_chooses_then_the_command_line(two_cores, monkeypatch):
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("THREADS", "6")
    options = serve.options()
    assert (options["workers"], options["threads"], options["bind"]) == (3, 6, "0.0.0.0:9000")
    options = serve.options(bind="127.0.0.1:7000", workers=1, threads=1)
    assert (options["workers"], options["threads"], options["bind"]) == (1, 1, "127.0.0.1:7000")


def test_request_logs_leave_out_query_strings_and_referrers():
    options = serve.options()
    assert "%(U)s" in options["access_log_format"]  # the path alone
    # request line, query, referrer, agent, the visitor's address (the privacy page says so)
    for field in ("%(r)s", "%(q)s", "%(f)s", "%(a)s", "%(h)s"):
        assert field not in options["access_log_format"]


def test_the_server_prunes_at_start_and_then_on_a_schedule_until_stopped(monkeypatch):
    import threading
    import time

    runs = []
    monkeypatch.setattr(serve, "prune_now", runs.append)
    stop = threading.Event()
    thread = threading.Thread(target=serve.prune_every, args=(0.01, "sqlite://", stop))
    thread.start()
    deadline = time.monotonic() + 10
    while len(runs) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(runs) >= 3 and set(runs) == {"sqlite://"}
    assert serve.options()["when_ready"] is serve.start_pruning
