"""Production serving: gunicorn running the app, with settings from options or the
environment (`directory serve`). No Flask here beyond loading the app before forking workers."""

from __future__ import annotations

import gc
import logging
import os
import threading
from urllib.parse import quote

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from directory import accounts, db
from directory.config import Settings

# How often the server deletes personal data it may no longer keep (accounts.prune):
# at start, then this often. The shortest period anything is kept for is a day.
PRUNE_EVERY = 6 * 3600

# Request logs carry the method and path, never the query string or the referrer:
# checker answers and searches live in URLs, and they must not reach a log. Nor does
# the visitor's network address: logs are kept by the host, beyond our deletion
# schedule (accounts.prune), and the privacy page says they hold none.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
# The longest request line gunicorn reads (method, URL and protocol). The app refuses
# URLs over directory.web.MAX_URL_BYTES first, with its own 414 (JSON under /api/);
# this only stops lines too long for that answer to matter.
LIMIT_REQUEST_LINE = 8190
# What a logged path may show as itself; everything else is %-escaped.
PATH_SAFE = "/-._~!$&'()*+,;=:@"


def escaped_path(path: str | None) -> str:
    """The path as a log may show it: the decoded path, percent-escaped again, so "%0A"
    in a URL (a newline once decoded) cannot start a fake line, nor a quote end the field.
    WSGI hands paths over as latin-1 text holding the raw bytes."""
    if path is None:
        return "-"
    return quote(path.encode("latin-1", errors="replace"), safe=PATH_SAFE)


class AccessLogger(Logger):
    """gunicorn's logger, writing escaped paths into the access log."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = escaped_path(atoms.get("U"))
        return atoms


# The work is Python, not waiting: a worker's threads share one core (the GIL), so one
# worker per core keeps the cores busy. Every worker also keeps its own caches and
# catches up its own index after each edit, so more workers than cores cost memory and
# CPU for nothing: at 10,000 listings on 2 cores, 2 workers x 4 threads served the
# production mix with a p99 of 108-138 ms where 5 x 2 (2 per core + 1, the rule for
# synchronous workers) gave 165-297 ms. Two threads a worker keep a slow request from
# holding up the rest; more only share the core among more requests at once, which
# makes each slower: with 2 rather than 4, the eligibility API's p99 at 16 connections
# fell from 23-26 ms to 13-16 ms, the search page's from 56-67 ms to 36-59 ms, and the
# production mix's from 89-100 ms to 76-96 ms (bench/README.md).
DEFAULT_THREADS = 2


def default_workers() -> int:
    """One per core, at least two (so a crashed worker never leaves none), at most 8."""
    return min(max(os.cpu_count() or 1, 2), 8)


def options(
    bind: str | None = None, workers: int | None = None, threads: int | None = None
) -> dict:
    environ = os.environ
    port = environ.get("PORT")
    return {
        "bind": bind or environ.get("BIND") or (f"0.0.0.0:{port}" if port else "127.0.0.1:8000"),
        "workers": workers or int(environ.get("WEB_CONCURRENCY") or default_workers()),
        "threads": threads or int(environ.get("THREADS") or DEFAULT_THREADS),
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        # Recycle workers now and then, so slow leaks cannot build up; not too often, since
        # a new worker starts with cold search caches (at 600 requests a second, 5,000
        # requests meant a restart every 15 seconds).
        "max_requests": 100_000,
        "max_requests_jitter": 10_000,
        "accesslog": "-",
        "errorlog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "logger_class": AccessLogger,
        "limit_request_line": LIMIT_REQUEST_LINE,
        "loglevel": Settings.from_env().log_level.lower(),
        "forwarded_allow_ips": environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        # Load the app once in the master and fork workers from it: the schema migration,
        # first-run import and index build happen once, before any worker starts, and the
        # workers share the catalogue's memory pages instead of each loading its own copy.
        "preload_app": True,
        "when_ready": start_pruning,
    }


def prune_now(database_url: str) -> None:
    """One `directory prune`, on a connection of its own that is closed again."""
    engine = db.make_engine(database_url)
    try:
        with db.session_scope(engine) as session:
            pruned = accounts.prune(session)
        logging.getLogger("gunicorn.error").info("privacy: %s", pruned.summary())
    except Exception:  # a database outage must not stop the server; try again next time
        logging.getLogger("gunicorn.error").exception("privacy: pruning failed")
    finally:
        engine.dispose()


def prune_every(seconds: float, database_url: str, stop: threading.Event) -> None:
    """Prune now, then every `seconds` until `stop` is set."""
    while True:
        prune_now(database_url)
        if stop.wait(seconds):
            return


def start_pruning(server) -> None:
    """gunicorn's when_ready hook: the master, not a worker, prunes (once, not per worker)."""
    database_url = Settings.from_env().database_url
    thread = threading.Thread(
        target=prune_every,
        args=(PRUNE_EVERY, database_url, threading.Event()),
        name="prune",
        daemon=True,
    )
    thread.start()


class Server(BaseApplication):
    def __init__(self, settings: dict):
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.settings.items():
            self.cfg.set(key, value)

    def load(self):
        from directory import create_app

        app = create_app()  # migrates, imports on first run, builds the index, loads the catalogue
        directory = app.extensions["directory"]
        # No open database connection crosses the fork: each worker opens its own on
        # first use. The search index (in memory) does: workers share its pages.
        directory.engine.dispose()
        # Objects that exist now are never collected: move them out of the collector's
        # reach, so a worker's first garbage collection does not touch (and so copy)
        # every page of the shared catalogue.
        gc.freeze()
        logging.getLogger("gunicorn.error").info("schema, catalogue and search index are ready")
        return app


def run(bind: str | None = None, workers: int | None = None, threads: int | None = None) -> None:
    Server(options(bind, workers, threads)).run()
