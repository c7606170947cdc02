"""AHP Mentoring Directory: which mentoring schemes can I join?

`create_app()` builds the Flask site (directory/web/app.py). The catalogue, rules
and search live in plain modules (catalogue, rules, search, store, service) that
work without it: importing them, or this package, never imports Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from directory.config import ConfigError

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["ConfigError", "create_app"]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The Flask site; see directory.web.app.create_app."""
    from directory.web.app import create_app as build

    return build(test_config)
