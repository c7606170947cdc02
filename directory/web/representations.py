"""How listings are shown: the view models behind pages and the JSON twins."""

from __future__ import annotations

from flask import url_for

from directory import facets, rules
from directory.catalogue import Catalogue, Scheme, record
from directory.vocabulary import Vocabulary
from directory.web.helpers import slug_url, today, verification

UNKNOWN = "Not stated in our sources"


def role_view(
    scheme: Scheme, catalogue: Catalogue, vocabulary: Vocabulary, role: str
) -> dict | None:
    block = scheme.eligibility.get(role)
    compiled = catalogue.rules[scheme.id].by_role.get(role)
    if block is None or compiled is None:
        return None
    return {
        "role": vocabulary.term("roles", role),
        "conditions": rules.describe(vocabulary, compiled.rule),
        "evidence": block.evidence,
        "reference": block.reference,
        "reference_is_url": block.reference.startswith(("http://", "https://")),
        "also_check": block.also_check,
    }


def applications_view(scheme: Scheme) -> dict:
    applications = scheme.applications
    if applications.timing == "all-year":
        when = "Open all year"
    elif applications.timing == "windows" and applications.windows:
        when = None  # the template lists the windows
    elif applications.timing == "windows":
        when = "In application rounds: dates not published"
    else:
        when = "Dates not published"
    return {
        "how": applications.how,
        "when": when,
        "windows": applications.windows,
        "open_now": scheme.window_open_on(today()),
    }


def scheme_view(scheme: Scheme, catalogue: Catalogue, vocabulary: Vocabulary) -> dict:
    org = catalogue.organisations[scheme.provider]
    regions = (
        [vocabulary.label("regions", r) for r in scheme.regions]
        if scheme.regions is not None
        else None
    )
    return {
        "provider": org,
        "provider_kind": vocabulary.label("provider_kinds", org.kind),
        "listing_type": vocabulary.label("listing_types", scheme.listing_type),
        "access": vocabulary.label("access", scheme.access) if scheme.access else None,
        "mentoring_types": [vocabulary.term("mentoring_types", t) for t in scheme.mentoring_types],
        "regions": regions,
        "roles": [
            v
            for r in vocabulary.slugs("roles")
            if (v := role_view(scheme, catalogue, vocabulary, r))
        ],
        "applications": applications_view(scheme),
        "link": scheme.url or org.url,
        "link_is_provider": not scheme.url and bool(org.url),
        "verification": verification(scheme, today()),
        "paragraphs": [p.strip() for p in scheme.description.split("\n\n") if p.strip()],
        "unknown": UNKNOWN,
    }


def scheme_json(scheme: Scheme, catalogue: Catalogue, vocabulary: Vocabulary) -> dict:
    """A listing for the API: its catalogue record plus what the site derives from it."""
    org = catalogue.organisations[scheme.provider]
    data = record(scheme)
    data.update(
        url=slug_url("public.scheme", "scheme_id", scheme.id, external=True),
        provider=record(org),
        link=scheme.url,
        review_due=scheme.review_due.isoformat() if scheme.review_due else None,
        verified=scheme.last_verified is not None,
        facets=facets.scheme_facets(scheme, catalogue),
    )
    return data


def scheme_summary_json(scheme: Scheme, catalogue: Catalogue) -> dict:
    org = catalogue.organisations[scheme.provider]
    return {
        "id": scheme.id,
        "name": scheme.name,
        "summary": scheme.summary,
        "provider": {"id": org.id, "name": org.name},
        "listing_type": scheme.listing_type,
        "access": scheme.access,
        "last_verified": scheme.last_verified.isoformat() if scheme.last_verified else None,
        "url": slug_url("public.scheme", "scheme_id", scheme.id, external=True),
        "api_url": slug_url("api.scheme", "scheme_id", scheme.id, external=True),
    }


def profession_view(slug: str, catalogue: Catalogue, vocabulary: Vocabulary) -> dict:
    """ "I'm a paramedic": everything open to them, profession-specific listings first."""
    open_to_them = open_to_profession(slug, catalogue, vocabulary)
    guidance = open_to_them & catalogue.guidance_bits
    own = own_listings(slug, catalogue, vocabulary, open_to_them)
    return {
        "term": vocabulary.term("professions", slug),
        "specific": shown_in_name_order(own, catalogue),
        "shared": shown_in_name_order(open_to_them & ~own & ~guidance, catalogue),
        "guidance": shown_in_name_order(guidance, catalogue),
        "professional_body": professional_body(slug, vocabulary),
        "search_url": url_for("public.search_page", profession=slug),
    }


def shown_in_name_order(bits: int, catalogue: Catalogue) -> Shown:
    """The first LIST_LIMIT listings of a bitmap of `catalogue.rule_table`, by name."""
    ids = catalogue.rule_table.ids_in(bits, LIST_LIMIT)
    return Shown([catalogue.schemes[i] for i in ids], total=bits.bit_count())


def open_to_profession(slug: str, catalogue: Catalogue, vocabulary: Vocabulary) -> int:
    """The listings a member of this profession can join or might (nothing else known),
    as a bitmap of `catalogue.rule_table`."""
    answers = rules.parse_answers(vocabulary, {"profession": slug})
    return catalogue.rule_table.sort(answers).not_ruled_out


def own_listings(slug: str, catalogue: Catalogue, vocabulary: Vocabulary, open_to_them=None) -> int:
    """The listings just for this profession: open to it, naming it, not guidance (a bitmap)."""
    if open_to_them is None:
        open_to_them = open_to_profession(slug, catalogue, vocabulary)
    named = catalogue.rule_table.naming("mentee", "profession", slug)
    return named & open_to_them & ~catalogue.guidance_bits


def professional_body(slug: str, vocabulary: Vocabulary):
    """The membership term of the profession's own professional body, if the vocabulary has one."""
    memberships = vocabulary.term_sets["memberships"].terms
    return next((m for m in memberships if m.profession == slug), None)


# A page listing thousands of schemes helps no one (on a phone least of all) and weighs
# megabytes: long lists show their first items, and search pages through the rest.
LIST_LIMIT = 50


class Shown(list):
    """The first LIST_LIMIT items of a longer list, knowing how many there are in all.

    Pass `total` when `items` are already the first ones (picked without sorting them all).
    """

    def __init__(self, items: list, total: int | None = None):
        super().__init__(items[:LIST_LIMIT])
        self.total = len(items) if total is None else total

    @property
    def more(self) -> int:
        return self.total - len(self)
