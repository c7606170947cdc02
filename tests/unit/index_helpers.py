"""Helpers for the index tests: searching a snapshot, and editing a catalogue as the
site would."""

from __future__ import annotations

import dataclasses

from directory import catalogue as cat
from directory import search


def ids(index: search.Snapshot, text: str, **kwargs) -> list[str]:
    return [h.id for h in index.run(search.Query(text, page_size=100, **kwargs)).hits]


def edited(catalogue: cat.Catalogue, **changes) -> cat.Catalogue:
    """The catalogue with one listing changed, as an editor on the site would change it."""
    scheme_id = changes.pop("scheme_id", "csp-mentoring")
    scheme = catalogue.schemes[scheme_id].model_copy(update=changes)
    return dataclasses.replace(catalogue, schemes={**catalogue.schemes, scheme_id: scheme})


KALEIDOSCOPE = {"name": "Chartered Society of Physiotherapy kaleidoscope mentoring"}
