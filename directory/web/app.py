"""The app factory: `create_app()` builds the Flask site from the settings.

Imported only through `directory.create_app`, so that the core modules (catalogue,
rules, search, store, service...) load without Flask.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Flask

from directory.config import PROJECT_ROOT, Settings, secret_key

HSTS_ONE_YEAR = 365 * 24 * 3600


def _whole_number(text: str) -> int:
    if not text.isdigit():
        raise ValueError(f"HSTS_MAX_AGE must be a whole number of seconds (got {text!r})")
    return int(text)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    settings = Settings.from_env()
    if not test_config:  # tests pass their own settings; a real start checks the environment
        settings.check()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        # Assets live under a path named by a hash of their content, so browsers may
        # keep them for a year: any change to any asset gives every asset a new path.
        static_url_path=f"/assets/{assets_fingerprint(PROJECT_ROOT / 'static')}",
        instance_path=str(settings.instance_path),
    )
    app.config.from_mapping(
        ENVIRONMENT=settings.environment,
        DATABASE_URL=settings.database_url,
        DATA_DIR=str(settings.data_dir),
        CATALOGUE_FILE=str(settings.catalogue_file),
        SECRET_KEY=settings.secret_key,
        AUTO_IMPORT=True,  # an empty database is filled from data/schemes.yaml
        BUILD_INDEX=True,  # build the search index (in memory) at start, before workers fork
        # The public may see a catalogue up to a second old (people signed in, never): one
        # version query a second per worker instead of one per request.
        CATALOGUE_MAX_AGE=1.0,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # tokens last the session: forms left open still work
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=30),  # signed out after 30 idle minutes
        SESSION_REFRESH_EACH_REQUEST=True,
        MAX_CONTENT_LENGTH=256 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=365 * 24 * 3600,  # safe: asset paths change with their content
        COMPRESS_MIN_SIZE=1000,  # below this, compressing costs more than it saves
        # Brotli at 6: a page 15% smaller than zstd at 3 (Flask-Compress's first choice),
        # for about a millisecond, so a page with its inline CSS fits the first round trip.
        COMPRESS_ALGORITHM=["br", "gzip", "zstd", "deflate"],
        COMPRESS_BR_LEVEL=6,
        TRUSTED_PROXIES=settings.trusted_proxies,  # X-Forwarded-For hops
        # Strict-Transport-Security on HTTPS responses, in seconds; 0 sends none.
        HSTS_MAX_AGE=_whole_number(os.environ.get("HSTS_MAX_AGE") or str(HSTS_ONE_YEAR)),
        MAIL_SETTINGS=settings.mail_settings(),  # directory.mail.MailSettings; tests pass theirs
    )
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(
        parents=True, exist_ok=True
    )  # the SQLite file and index live here
    if not app.config.get("SECRET_KEY"):
        environment = app.config["ENVIRONMENT"]
        app.config["SECRET_KEY"] = secret_key(replace(settings, environment=environment))
    if "SESSION_COOKIE_SECURE" not in (test_config or {}):
        app.config["SESSION_COOKIE_SECURE"] = app.config["ENVIRONMENT"] == "production"
    logging.basicConfig(level=settings.log_level)

    from directory import web

    web.init_app(app)
    return app


def assets_fingerprint(folder: Path) -> str:
    """A short hash of every file under `folder`: it changes when any asset changes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
