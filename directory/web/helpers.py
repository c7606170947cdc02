"""Small helpers shared by the views and templates."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

from flask import Flask, abort, current_app, g, request, session, url_for
from werkzeug.datastructures import MultiDict

from directory import facets
from directory.catalogue import REVIEW_INTERVAL, Catalogue, Scheme
from directory.service import Directory
from directory.text import capitalise, long_date
from directory.web import search_params
from directory.web.search_params import ANSWER_PREFIX as ANSWER_PREFIX  # re-exported

# Pages with drafts, accounts, password links or a signed-in person's details: never
# kept in a browser's or a proxy's cache, so the back button after signing out, or the
# next person at a shared computer, cannot bring them back; and always on the latest
# catalogue (see _max_age).
PRIVATE_BLUEPRINTS = ("editor", "auth")


def directory() -> Directory:
    return current_app.extensions["directory"]


def snapshot() -> Catalogue:
    """The catalogue for this request (at most one version check per request)."""
    if "catalogue" not in g:
        g.catalogue, g.catalogue_version = directory().snapshot(_max_age())
    return g.catalogue


def signed_in() -> bool:
    """Whether the request comes from a signed-in session, read from the session that
    Flask-Login keeps (its "_user_id") without loading the account: no database query,
    so it holds while the database is down."""
    return "_user_id" in session


def _max_age() -> float:
    """How old this request's catalogue may be. Someone signed in (a hub lead who has just
    saved, maybe through another worker) sees every change at once; the public sees it
    within CATALOGUE_MAX_AGE seconds, which spares the database a query per request."""
    if signed_in() or request.blueprint in PRIVATE_BLUEPRINTS:
        return 0.0
    return current_app.config["CATALOGUE_MAX_AGE"]


def snapshot_and_version() -> tuple[Catalogue, int]:
    """This request's catalogue and its version (for Directory.search and .similar)."""
    return snapshot(), g.catalogue_version


def scheme_or_404(scheme_id: str) -> tuple[Catalogue, Scheme]:
    """This request's catalogue and one of its listings, or a 404."""
    catalogue = snapshot()
    scheme = catalogue.schemes.get(scheme_id)
    if scheme is None:
        abort(404)
    return catalogue, scheme


def today() -> dt.date:
    return dt.date.today()


def sentence(text: str) -> str:
    """ "you are a physiotherapist" -> "You are a physiotherapist."."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text[-1] in ".?!:" else ".")


def rfc3339(moment: dt.datetime | None) -> str:
    """A timestamp for Atom; SQLite hands back naive datetimes, which we store as UTC."""
    moment = moment or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.isoformat(timespec="seconds")


def nice_date(day: dt.date | None) -> str:
    return long_date(day) if day else ""


def slug_url(endpoint: str, argument: str, slug: str, external: bool = False) -> str:
    """url_for(endpoint, argument=slug), built once per request and filled in after:
    slugs ([a-z0-9-]) need no escaping, and a page may link hundreds of listings (each
    url_for costs tens of microseconds)."""
    return url_pattern(endpoint, argument, external).replace(SLUG_MARK, slug)


def url_pattern(endpoint: str, argument: str, external: bool = False) -> str:
    """This request's URL for `endpoint` with SLUG_MARK standing for the slug (a loop over
    many listings can fill it in itself, sparing a look-up of the request each time)."""
    key = (endpoint, argument, external)
    patterns = g.setdefault("url_patterns", {})
    if key not in patterns:
        patterns[key] = url_for(endpoint, **{argument: SLUG_MARK}, _external=external)
    return patterns[key]


SLUG_MARK = "__slug__"  # stands for the slug in a URL pattern: no slug contains "_"


def scheme_url(scheme_id: str, **kwargs) -> str:
    """A listing's page (with url_for's options, e.g. _anchor, the slow way)."""
    if kwargs:
        return url_for("public.scheme", scheme_id=scheme_id, **kwargs)
    return slug_url("public.scheme", "scheme_id", scheme_id)


NAVIGATION = (  # (text, endpoint, endpoints in its section): shown once its endpoint exists
    ("Search", "public.search_page", ("public.search_page",)),
    ("Check what you can join", "eligibility.start", ("eligibility.",)),
    (
        "Browse",
        "public.browse",
        (
            "public.browse",
            "public.profession",
            "public.provider",
            "public.mentoring_type",
            "public.scheme",
        ),
    ),
    ("Mentoring guide", "guide.index", ("guide.",)),
)


def nav_items() -> list[dict]:
    here = request.endpoint or ""
    items = []
    for text, endpoint, section in NAVIGATION:
        if endpoint in current_app.view_functions:
            items.append(
                {
                    "text": text,
                    "href": url_for(endpoint),
                    "current": here == endpoint,
                    "active": here.startswith(section) and here != endpoint,
                }
            )
    return items


def synonyms_json(question_id: str) -> str:
    """{slug: [words people type]} for a question's type-ahead, as JSON."""
    vocabulary = directory().vocabulary
    return json.dumps({t.slug: list(t.synonyms) for t in vocabulary.question_terms(question_id)})


def register_template_helpers(app: Flask) -> None:
    app.context_processor(
        lambda: {"nav_items": nav_items(), "current_endpoints": current_app.view_functions}
    )
    app.jinja_env.globals.update(
        csp_nonce=lambda: g.get("csp_nonce", ""),
        vocabulary=lambda: directory().vocabulary,
        scheme_url=scheme_url,
        synonyms_json=synonyms_json,
        today=today,
        facts_basis=facts_basis,
    )
    app.jinja_env.filters.update(
        sentence=sentence, capitalise=capitalise, nice_date=nice_date, rfc3339=rfc3339
    )


# Search state in the URL ------------------------------------------------------------------


class SearchState(search_params.SearchRequest):
    """One search, as read from (and written back to) a plain GET URL."""

    @classmethod
    def from_args(cls, args: MultiDict, vocabulary) -> SearchState:
        """Read leniently (see search_params.read): the page drops what it cannot use."""
        return cls(**vars(search_params.read(args, vocabulary, strict=False)))

    def to_args(self) -> MultiDict:
        args = MultiDict()
        if self.text:
            args.add("q", self.text)
        for facet in facets.FACETS:
            for value in self.filters.get(facet.id, []):
                args.add(facet.id, value)
        if self.open_now:
            args.add("open_now", "1")
        if self.sort != "relevance":
            args.add("sort", self.sort)
        for key, value in self.answers.items(multi=True):
            args.add(key, value)
        if self.page > 1:
            args.add("page", str(self.page))
        return args

    def url(self, endpoint: str = "public.search_page", **changes) -> str:
        """This search with some parts changed; any change but `page` goes back to page 1."""
        state = SearchState(
            text=self.text,
            filters={k: list(v) for k, v in self.filters.items()},
            sort=self.sort,
            page=self.page,
            open_now=self.open_now,
            answers=MultiDict(self.answers),
        )
        if "page" not in changes:
            state.page = 1
        for key, value in changes.items():
            setattr(state, key, MultiDict(value) if key == "answers" else value)
        query = urlencode(list(state.to_args().items(multi=True)))
        return url_for(endpoint) + (f"?{query}" if query else "")

    def without(self, facet_id: str, value: str) -> str:
        filters = {
            k: [v for v in vs if (k, v) != (facet_id, value)] for k, vs in self.filters.items()
        }
        return self.url(filters={k: v for k, v in filters.items() if v})

    def with_filter(self, facet_id: str, value: str) -> str:
        filters = {k: list(v) for k, v in self.filters.items()}
        filters.setdefault(facet_id, []).append(value)
        return self.url(filters=filters)

    @property
    def has_filters(self) -> bool:
        return bool(self.filters) or self.open_now


def open_now_ids(catalogue: Catalogue, day: dt.date) -> frozenset[str]:
    """Listings whose published application window is open on `day`."""
    return frozenset(s.id for s in catalogue.schemes.values() if s.window_open_on(day))


def search_within(catalogue: Catalogue, open_now: bool, me) -> frozenset[str] | None:
    """The listings a search is limited to (None: all of them): those whose application
    window is open today, if asked, and those not ruled out for `me` ("search as me")."""
    within = open_now_ids(catalogue, today()) if open_now else None
    if me is not None:
        mine = directory().not_ruled_out(me, catalogue)
        within = mine if within is None else within & mine
    return within


def verification(scheme: Scheme, day: dt.date) -> dict:
    """How fresh a listing is, for the "not yet verified" / "last verified" line."""
    return {
        "verified": scheme.last_verified is not None,
        "last_verified": scheme.last_verified,
        "review_due": scheme.review_due,
        "overdue": scheme.review_is_due(day),
    }


def facts_basis(scheme: Scheme, day: dt.date | None = None) -> dict:
    """What a listing's facts rest on and how old they are, and whether it still runs.

    The newest dated source ("from the NIHR FAQ, September 2022") stands in for a blanket
    "not yet verified"; a curator's check is a separate, stronger fact.
    """
    day = day or today()
    state = scheme.status.state
    checked = max(filter(None, (scheme.status.checked, scheme.last_verified)), default=None)
    return {
        "newest": scheme.newest_source,
        "old": scheme.facts_are_old(day),
        "state": state,
        "state_label": directory().vocabulary.label("statuses", state),
        "ended": state == "ended",
        "between_rounds": state == "not-running-now",
        "unknown": state == "unknown",
        "evidence": scheme.status.evidence,
        "checked": checked,
        "check_due": checked is None or checked + REVIEW_INTERVAL <= day,
    }


def own_body_listings(profession: str, catalogue: Catalogue) -> list[str]:
    """The ids of the listings the profession's own professional body offers."""
    memberships = directory().vocabulary.term_sets["memberships"].terms
    bodies = [m.slug for m in memberships if m.profession == profession]
    return [i for body in bodies for i in catalogue.by_provider.get(body, [])]


def body_without_scheme(profession: str, catalogue: Catalogue):
    """The profession's own professional body, when the catalogue knows it and lists no
    scheme of its (its description then says what its public pages showed), else None."""
    vocabulary = directory().vocabulary
    body = next(
        (m for m in vocabulary.term_sets["memberships"].terms if m.profession == profession), None
    )
    org = catalogue.organisations.get(body.slug) if body else None
    if org is None or catalogue.by_provider.get(org.id):
        return None
    return org


def other_bodies_listings(profession: str, catalogue: Catalogue, role: str = "mentee") -> int:
    """The listings whose rule for `role` names membership of another profession's body
    (BAPO's scheme, for an art therapist), as a bitmap of `catalogue.rule_table`: open to
    them only by joining that body, so shown apart from what is open to them as they are."""
    table = catalogue.rule_table
    bits = 0
    for term in directory().vocabulary.term_sets["memberships"].terms:
        if term.profession and term.profession != profession:
            bits |= table.naming(role, "member_of", term.slug)
    return bits
