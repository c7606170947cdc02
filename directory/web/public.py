"""Public pages: home, search, scheme pages, browsing, feeds and the site's own pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from directory import facets, search
from directory.catalogue import Catalogue
from directory.web import editor_mail, helpers, representations
from directory.web.forms import ReportProblemForm
from directory.web.helpers import SearchState, directory, scheme_or_404, snapshot

bp = Blueprint("public", __name__)

REPORT_LIMIT = 5  # problem reports per address per hour
REPORT_WINDOW = dt.timedelta(hours=1)


@bp.get("/")
def home():
    catalogue = snapshot()
    vocabulary = directory().vocabulary
    terms = vocabulary.term_sets["professions"].terms
    professions = sorted(terms, key=lambda t: t.in_plural.lower())
    return render_template(
        "public/home.html",
        professions=professions,
        listing_count=len(catalogue.schemes),
        mentoring_types=vocabulary.term_sets["mentoring_types"].terms,
    )


# Search -------------------------------------------------------------------------------------


def run_search(state: SearchState, page_size: int = search.PAGE_SIZE):
    """The results for a search state, honouring "open now" and "search as me"."""
    within = helpers.search_within(snapshot(), state.open_now, state.me)
    query = search.Query(state.text, state.filters, state.sort, state.page, page_size, within)
    return directory().search(query, helpers.snapshot_and_version()), state.me


@bp.get("/search")
def search_page():
    vocabulary = directory().vocabulary
    state = SearchState.from_args(request.args, vocabulary)
    results, me = run_search(state)
    catalogue = snapshot()
    return render_template(
        "public/search.html",
        state=state,
        results=results,
        searching_as_me=me is not None,
        schemes=catalogue.schemes,
        organisations=catalogue.organisations,
        facet_groups=_facet_groups(state, results, vocabulary),
        chips=_chips(state, vocabulary),
        filters_changed_nothing=_filters_changed_nothing(state, results),
        guide_forms=_guide_forms(state.text, vocabulary),
    )


def _guide_forms(text: str, vocabulary) -> list:
    """The forms of mentoring a search names ("reverse mentoring", "peer"), so the page
    can lead to the guide's explanation and the listings of that form."""
    words = set(re.findall(r"[a-z]+", text.lower())) - {"mentoring", "mentor", "mentors"}
    if not words:
        return []
    return [
        term
        for term in vocabulary.term_sets["mentoring_types"].terms
        if set(re.findall(r"[a-z]+", term.label.lower())) - {"mentoring"} <= words
    ]


def _filters_changed_nothing(state: SearchState, results: search.Results) -> bool:
    """True when the chosen filters keep every listing the search finds without them, so
    the page can say so ("all 7 are open to students") rather than look as if it failed."""
    if not state.filters or not results.total:
        return False
    unfiltered = SearchState(
        text=state.text, open_now=state.open_now, answers=state.answers, me=state.me
    )
    without, _ = run_search(unfiltered, page_size=1)
    return without.total == results.total


def _facet_groups(state: SearchState, results: search.Results, vocabulary) -> list[dict]:
    """Each facet's values with their counts. A profession's count leaves out the listings
    open to all AHPs, which "Open to all AHPs" counts once (choosing a profession still
    keeps them: they are open to it)."""
    groups = []
    for facet in facets.FACETS:
        counts = results.facet_counts.get(facet.id, {})
        if facet.id == "profession":
            counts = {**counts, **results.profession_only_counts}
        selected = state.filters.get(facet.id, [])
        values = [
            {
                "value": value,
                "label": facets.value_label(facet.id, value, vocabulary),
                "count": counts.get(value, 0),
                "selected": value in selected,
            }
            for value in facets.valid_values(facet.id, vocabulary)
            if counts.get(value, 0) or value in selected
        ]
        if values:
            groups.append({"id": facet.id, "label": facet.label, "values": values})
    return groups


def _chips(state: SearchState, vocabulary) -> list[dict]:
    chips = [
        {
            "label": facets.value_label(facet_id, value, vocabulary),
            "url": state.without(facet_id, value),
        }
        for facet_id, values in state.filters.items()
        for value in values
    ]
    if state.open_now:
        chips.append({"label": "Applications open now", "url": state.url(open_now=False)})
    return chips


@bp.get("/search.csv")
def search_csv():
    """Every listing in a result set, as CSV (all pages)."""
    state = SearchState.from_args(request.args, directory().vocabulary)
    state.page = 1
    results, _ = run_search(state, page_size=100_000)
    catalogue = snapshot()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["id", "name", "provider", "listing_type", "access", "summary", "url", "last_verified"]
    )
    for hit in results.hits:
        scheme = catalogue.schemes[hit.id]
        cells = [
            scheme.id,
            scheme.name,
            catalogue.organisations[scheme.provider].name,
            scheme.listing_type,
            scheme.access or "",
            scheme.summary,
            url_for("public.scheme", scheme_id=scheme.id, _external=True),
            scheme.last_verified.isoformat() if scheme.last_verified else "",
        ]
        writer.writerow([_inert(cell) for cell in cells])
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=mentoring-schemes.csv"},
    )


def _inert(cell: str) -> str:
    """Stop a spreadsheet reading text that starts with = + - @ as a formula."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


# Scheme pages -------------------------------------------------------------------------------


@bp.get("/schemes/<scheme_id>")
def scheme(scheme_id: str):
    catalogue, scheme = scheme_or_404(scheme_id)
    view = representations.scheme_view(scheme, catalogue, directory().vocabulary)
    return render_template(
        "public/scheme.html",
        scheme=scheme,
        view=view,
        report_form=ReportProblemForm(),
        related=_related(scheme),
        # Only for someone signed in who may edit it; such a page is never stored by a
        # shared cache (see _security_headers in directory/web/__init__.py).
        may_edit=current_user.is_authenticated and current_user.may_edit(scheme.provider),
    )


def _related(scheme, limit: int = 3) -> list:
    """Listings like this one that people can join: never guidance (it is related to
    everything), nor ones that have ended. For an ended listing, what is open instead."""
    candidates = directory().similar(scheme, helpers.snapshot_and_version(), limit=limit * 4)
    return [s for s in candidates if s.listing_type != "guidance" and s.joinable][:limit]


@bp.route("/schemes/<scheme_id>/report", methods=["GET", "POST"])
def report_problem(scheme_id: str):
    """ "Report a problem with this listing": no account and no personal data needed."""
    _, scheme = scheme_or_404(scheme_id)
    form = ReportProblemForm()
    if form.validate_on_submit():
        if form.website.data:  # only bots fill in the hidden field: thank them, keep nothing
            return render_template("public/report_sent.html", scheme=scheme)
        kept = directory().report_problem(
            scheme,
            form.category.data,
            form.message.data,
            sender=request.remote_addr or "unknown",
            limit=REPORT_LIMIT,
            window=REPORT_WINDOW,
            when_kept=lambda db, report: editor_mail.problem_reported(db, report, scheme.name),
        )
        if kept:
            return render_template("public/report_sent.html", scheme=scheme)
        form.message.errors = ["You have sent several reports in the last hour. Try again later."]
    return render_template("public/report.html", scheme=scheme, form=form)


@bp.get("/schemes/<scheme_id>.json")
def scheme_json(scheme_id: str):
    catalogue, scheme = scheme_or_404(scheme_id)
    return representations.scheme_json(scheme, catalogue, directory().vocabulary)


# Browsing -----------------------------------------------------------------------------------


@bp.get("/browse")
def browse():
    catalogue = snapshot()
    vocabulary = directory().vocabulary
    offering = catalogue.by_provider
    providers = sorted(catalogue.organisations.values(), key=lambda o: o.name.lower())
    return render_template(
        "public/browse.html",
        professions=vocabulary.term_sets["professions"].terms,
        providers=[(o, len(offering[o.id])) for o in providers if o.id in offering],
        mentoring_types=vocabulary.term_sets["mentoring_types"].terms,
    )


@bp.get("/browse/professions/<slug>")
def profession(slug: str):
    vocabulary = directory().vocabulary
    if slug not in vocabulary.slugs("professions"):
        abort(404)
    catalogue = snapshot()
    view = representations.profession_view(slug, catalogue, vocabulary)
    return render_template(
        "public/profession.html",
        view=view,
        organisations=catalogue.organisations,
        quiet_body=helpers.body_without_scheme(slug, catalogue),
        own_body=set(helpers.own_body_listings(slug, catalogue)),
        other_bodies=set(
            catalogue.rule_table.ids_in(helpers.other_bodies_listings(slug, catalogue))
        ),
    )


@bp.get("/browse/providers/<org_id>")
def provider(org_id: str):
    catalogue = snapshot()
    org = catalogue.organisations.get(org_id)
    if org is None:
        abort(404)
    return render_template(
        "public/provider.html",
        org=org,
        kind=directory().vocabulary.label("provider_kinds", org.kind),
        schemes=[catalogue.schemes[i] for i in catalogue.by_provider.get(org_id, [])],
    )


@bp.get("/mentoring-types")
def mentoring_types():
    """Moved into the mentoring guide; old links still work."""
    return redirect(url_for("guide.forms"), 301)


@bp.get("/mentoring-types/<slug>")
def mentoring_type(slug: str):
    vocabulary = directory().vocabulary
    if slug not in vocabulary.slugs("mentoring_types"):
        abort(404)
    term = vocabulary.term("mentoring_types", slug)
    return render_template(
        "public/mentoring_type.html", term=term, schemes=_schemes_offering(snapshot(), slug)
    )


def _schemes_offering(catalogue: Catalogue, slug: str) -> representations.Shown:
    offering = catalogue.by_mentoring_type.get(slug, [])
    return representations.Shown(
        [catalogue.schemes[i] for i in offering[: representations.LIST_LIMIT]], total=len(offering)
    )


# Feeds and site pages ----------------------------------------------------------------------


@bp.get("/sitemap.xml")
def sitemap():
    catalogue = snapshot()
    vocabulary = directory().vocabulary
    urls = [
        url_for(e, _external=True)
        for e in ("public.home", "public.search_page", "public.browse", "public.mentoring_types")
    ]
    urls += [url_for("public.scheme", scheme_id=i, _external=True) for i in catalogue.schemes]
    urls += [
        url_for("public.profession", slug=s, _external=True)
        for s in vocabulary.slugs("professions")
    ]
    urls += [url_for("public.provider", org_id=i, _external=True) for i in catalogue.organisations]
    urls += [
        url_for("public.mentoring_type", slug=s, _external=True)
        for s in vocabulary.slugs("mentoring_types")
    ]
    body = render_template("public/sitemap.xml", urls=urls)
    return Response(body, mimetype="application/xml")


@bp.get("/feed.atom")
def feed():
    """New and changed listings, newest first."""
    catalogue = snapshot()
    rows = directory().recently_updated(50)
    entries = [(row, catalogue.schemes[row.id]) for row in rows if row.id in catalogue.schemes]
    updated = entries[0][0].updated_at if entries else None
    body = render_template("public/feed.xml", entries=entries, updated=updated)
    return Response(body, mimetype="application/atom+xml")


@bp.get("/privacy")
def privacy():
    return render_template("public/privacy.html")


@bp.get("/accessibility")
def accessibility():
    return render_template("public/accessibility.html")


@bp.get("/open-data")
def open_data():
    return render_template("public/open_data.html")
