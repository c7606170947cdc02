"""Every fact in data/schemes.yaml comes from the shared sources, in their own words.

Acceptance tests of the real catalogue (code tests use the fixture catalogue). Each
`evidence` and `quote` must appear verbatim (whitespace and curly quotes normalised; an
ellipsis "…" may join parts that appear in order) in the source it cites: the CAHPR
page's text for https://cahpr.org.uk/mentoring/, the LJMU abstract for the near-peer
scheme, or, for any other address, a section of a facts sheet that names that address.
Every address anywhere in the catalogue must appear in a sources file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from directory.catalogue import Catalogue
from tests.sources import CAHPR_PAGE, appears_in, cited_texts, load


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return load()


def quotations(catalogue: Catalogue) -> Iterator[tuple[str, str, str | None]]:
    """(where, quote, the address or file it cites) for every quote in the catalogue."""
    for org in catalogue.organisations.values():
        for source in org.sources:
            if source.quote:
                yield f"organisation {org.id}", source.quote, source.url
    for scheme in catalogue.schemes.values():
        for role, block in scheme.eligibility.items():
            if block and block.evidence:
                yield f"{scheme.id} {role} evidence", block.evidence, block.reference
        for source in (*scheme.sources, *scheme.status.evidence):
            if source.quote:
                cited = source.url or (
                    "near-peer-mentoring-mpharm.txt" if "LJMU" in source.title else None
                )
                yield f"{scheme.id} source {source.title!r}", source.quote, cited


def test_the_catalogue_lists_every_scheme_the_sources_describe(real_catalogue):
    """The seed documents' schemes and those the 2026-12 sheet found (issue #15)."""
    named = {
        "cahpr-regional-hubs",
        "cahpr-research-leads-cross-profession",
        "nihr-academy-mentoring",
        "codh-student-leadership-programme",
        "bapo-mentoring",
        "bda-mentoring",
        "csp-mentoring",
        "io-mentoring",
        "elizabeth-casson-trust-mentoring",
        "rcpod-mentoring",
        "rcslt-leadership-information",
        "sor-leadership-mentoring",
        "sor-student-leadership-elective",
        "ljmu-mpharm-near-peer-mentoring",
        "education-institution-mentoring",
        "employer-mentoring",
        # From public-facts-2026-12.md:
        "rcslt-leadership-mentors",
        "college-of-paramedics-research-mentoring",
        "nihr-ica-mentorship-scheme",
        "nihr-associate-pi-scheme",
        "elizabeth-casson-fellowship-mentoring",
        "nhs-return-to-work-mentoring",
        "nhs-reciprocal-mentoring-for-inclusion",
        "nhs-north-west-mentoring-hub",
        "nes-project-lift-mentoring",
        "hcrw-next-steps-award-mentoring",
    }
    assert named <= set(real_catalogue.schemes)


def test_every_listing_says_whether_it_runs_and_only_evidence_moves_it_from_unknown(
    real_catalogue,
):
    for scheme in real_catalogue.schemes.values():
        if scheme.status.state != "unknown":
            assert all(s.quote for s in scheme.status.evidence), scheme.id
            assert scheme.status.evidence, scheme.id
    ended = {s.id for s in real_catalogue.schemes.values() if s.status.state == "ended"}
    assert "codh-student-leadership-programme" in ended


def test_every_quote_is_verbatim_in_the_source_it_cites(real_catalogue, sources):
    wrong = []
    for where, quote, cited in quotations(real_catalogue):
        texts = cited_texts(sources, cited)
        if not texts:
            wrong.append(f"{where}: cites {cited!r}, which no sources file holds")
        elif not any(appears_in(quote, text) for text in texts):
            wrong.append(f"{where}: not verbatim in {cited}: {quote!r}")
    assert wrong == []


def addresses(catalogue: Catalogue) -> Iterator[tuple[str, str]]:
    for org in catalogue.organisations.values():
        for url in (org.url, *(s.url for s in org.sources)):
            if url:
                yield f"organisation {org.id}", url
    for scheme in catalogue.schemes.values():
        urls = [scheme.url, *(s.url for s in (*scheme.sources, *scheme.status.evidence))]
        urls += [b.reference for b in scheme.eligibility.values() if b]
        for url in urls:
            if url and url.startswith("http"):
                yield scheme.id, url


def test_every_address_comes_from_a_sources_file(real_catalogue, sources):
    everything = "\n".join(sources.values())
    missing = sorted(
        {
            f"{where}: {url}"
            for where, url in addresses(real_catalogue)
            if url.rstrip("/") not in everything
        }
    )
    assert missing == []


def test_the_check_catches_a_paraphrase_and_an_invented_address(sources):
    """The two checks above can fail: a paraphrase and a made-up address are caught."""
    paraphrase = "A free scheme for CSP members, open from students to senior leaders."
    frontline = "https://www.csp.org.uk/frontline/article/magic-mentoring"
    assert not any(appears_in(paraphrase, t) for t in cited_texts(sources, frontline))
    verbatim = "Open to everyone from students to senior leaders, the free scheme matches"
    assert any(appears_in(verbatim, t) for t in cited_texts(sources, frontline))
    assert cited_texts(sources, "https://www.csp.org.uk/made-up-page") == []
    joined = "Further providers of mentoring could include: Your employer schemes"
    assert not any(appears_in(joined, t) for t in cited_texts(sources, CAHPR_PAGE))
    assert any(
        appears_in("Further providers of mentoring could include: … Your employer schemes", t)
        for t in cited_texts(sources, CAHPR_PAGE)
    )
