"""The shared source documents (../shared/sources/) and how quotes are checked against them.

Used by the real catalogue's acceptance tests: every quote must appear verbatim
(whitespace and curly quotes normalised; an ellipsis "…" may join parts that appear in
order) in the source it cites.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import IN_CI

SOURCES = Path(__file__).resolve().parents[2] / "shared" / "sources"
CAHPR_PAGE = "https://cahpr.org.uk/mentoring/"
SEED_FILES = {
    CAHPR_PAGE: "ahp-mentoring-opportunities.txt",
    "near-peer-mentoring-mpharm.txt": "near-peer-mentoring-mpharm.txt",
}
SHEETS = ("public-facts-2026-12.md", "public-facts.md")


def normalised(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip()


def sections(sheet: str) -> list[str]:
    """A facts sheet cut at its headings: each section lists its addresses, then quotes."""
    return re.split(r"\n(?=#{2,3} )", sheet)


def cited_texts(sources: dict[str, str], reference: str | None) -> list[str]:
    """The texts a quote citing `reference` must come from."""
    reference = reference or ""
    for prefix, name in SEED_FILES.items():
        if reference.startswith(prefix):
            found = [sources[name]]
            if prefix == CAHPR_PAGE:  # the sheet quotes the same page
                found += [s for s in sections(sources[SHEETS[0]]) if CAHPR_PAGE in s]
            return found
    if not reference.startswith("http"):
        return []
    return [
        section
        for sheet in SHEETS
        for section in sections(sources[sheet])
        if any(spelling in section for spelling in spellings(reference))
    ]


def spellings(url: str) -> list[str]:
    """How a sheet may write an address: whole, or shortened to "…/the/rest/"."""
    url = url.rstrip("/")
    path = url.split("://", 1)[-1]
    cuts = [i for i, c in enumerate(path) if c == "/"][1:]  # keep at least one folder
    return [url] + [f"…{path[i:]}" for i in cuts]


def appears_in(quote: str, text: str) -> bool:
    """The quote's parts (split at an ellipsis) appear in the text, in order."""
    text, at = normalised(text), 0
    for part in normalised(quote).split("…"):
        part = part.strip()
        found = text.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return True


def load() -> dict[str, str]:
    """Every sources file by name; skipped (a failure under CI) where they are absent."""
    if not SOURCES.is_dir():
        reason = f"{SOURCES} is not present in this checkout"
        if IN_CI:
            pytest.fail(reason + " (CI clones beside ../shared)")
        pytest.skip(reason)
    return {path.name: path.read_text() for path in SOURCES.iterdir() if path.is_file()}


def anywhere(sources: dict[str, str], quote: str) -> bool:
    """The quote appears verbatim in some sources file."""
    return any(appears_in(quote, text) for text in sources.values())
