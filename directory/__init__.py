"""AHP Mentoring Directory: which mentoring schemes can I join?

`create_app()` builds the Flask site. The catalogue, rules and search live in
plain modules (catalogue, rules, search, store, service) that work without it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from directory.config import Settings

__all__ = ["create_app"]


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    settings = Settings.from_env()
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(settings.instance_path),
    )
    app.config.from_mapping(
        ENVIRONMENT=settings.environment,
        DATABASE_URL=settings.database_url,
        DATA_DIR=str(settings.data_dir),
        INDEX_DIR=str(settings.index_dir),
        SECRET_KEY=settings.secret_key,
        AUTO_IMPORT=True,  # an empty database is filled from data/schemes.yaml
        BUILD_INDEX=True,  # build this host's search index at start if it is missing or stale
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # tokens last the session: forms left open still work
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    _check_secret_key(app)
    app.config.setdefault("SESSION_COOKIE_SECURE", app.config["ENVIRONMENT"] == "production")
    logging.basicConfig(level=settings.log_level)

    from directory import web

    web.init_app(app)
    return app


def _check_secret_key(app: Flask) -> None:
    """Production must be given a SECRET_KEY; development keeps one in the instance folder."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["ENVIRONMENT"] == "production":
        raise ConfigError(
            "SECRET_KEY is not set. Production needs a long random secret, e.g. "
            "`export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')`."
        )
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    app.config["SECRET_KEY"] = path.read_text().strip()
