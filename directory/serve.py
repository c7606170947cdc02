"""Production serving: gunicorn running the app, with settings from options or the
environment (`directory serve`). No Flask here beyond loading the app in workers."""

from __future__ import annotations

import logging
import os

from gunicorn.app.base import BaseApplication

from directory.config import Settings

# Request logs carry the method and path, never the query string or the referrer:
# checker answers and searches live in URLs, and they must not reach a log.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def default_workers() -> int:
    """Two per core plus one, the usual rule for synchronous I/O-bound workers, capped at 9."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


def options(
    bind: str | None = None, workers: int | None = None, threads: int | None = None
) -> dict:
    environ = os.environ
    port = environ.get("PORT")
    return {
        "bind": bind or environ.get("BIND") or (f"0.0.0.0:{port}" if port else "127.0.0.1:8000"),
        "workers": workers or int(environ.get("WEB_CONCURRENCY") or default_workers()),
        "threads": threads or int(environ.get("THREADS") or 2),
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        "max_requests": 5000,  # recycle workers now and then, so slow leaks cannot build up
        "max_requests_jitter": 500,
        "accesslog": "-",
        "errorlog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "loglevel": Settings.from_env().log_level.lower(),
        "forwarded_allow_ips": environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "on_starting": _prepare,
    }


def _prepare(server) -> None:
    """In the master, before any worker starts: migrate, import on first run, build the index.

    Workers then start against a current schema and index instead of racing to make them.
    """
    from directory.service import Directory

    settings = Settings.from_env()
    settings.check()
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    directory = Directory(settings.database_url, settings.data_dir, settings.index_dir)
    directory.setup(auto_import=True, build_index=True)
    directory.close()
    logging.getLogger("gunicorn.error").info("schema, catalogue and search index are ready")


class Server(BaseApplication):
    def __init__(self, settings: dict):
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.settings.items():
            self.cfg.set(key, value)

    def load(self):
        from directory import create_app

        return create_app()


def run(bind: str | None = None, workers: int | None = None, threads: int | None = None) -> None:
    Server(options(bind, workers, threads)).run()
