"""Open data in standard formats: HSDS 3.0 services and an iCalendar feed.

The HSDS endpoints follow Open Referral's API reference for services (a page
object with `contents`); errors keep the JSON API's shape, naming the
parameter and what it accepts. The mapping itself is directory.hsds.
"""

from __future__ import annotations

import math

from flask import Blueprint, Response, abort, jsonify, request, url_for

from directory import hsds, ical
from directory.web import search_params
from directory.web.api import BadRequest
from directory.web.helpers import directory, snapshot

bp = Blueprint("open_data", __name__)

MAX_PAGE = 10_000
PER_PAGE = 50
MAX_PER_PAGE = 100
CALENDAR_NAME = "Mentoring scheme application windows (AHP Mentoring Directory)"


@bp.errorhandler(BadRequest)
def _bad_request(error: BadRequest):
    return jsonify({"ok": False, "status": 400, "errors": error.errors}), 400


def _base_url() -> str:
    return request.url_root.rstrip("/")


@bp.get("/api/v1/hsds/services")
def services():
    """One page of listings as HSDS services, by slug."""
    errors: list[dict] = []
    args = request.args
    errors += search_params.unknown_parameters(args, ["page", "per_page"])
    page = search_params.whole_number(args, "page", 1, MAX_PAGE, 1, errors)
    per_page = search_params.whole_number(args, "per_page", 1, MAX_PER_PAGE, PER_PAGE, errors)
    if errors:
        raise BadRequest(errors)
    catalogue = snapshot()
    slugs = sorted(catalogue.schemes)
    chosen = slugs[(page - 1) * per_page : page * per_page]
    history = directory().revisions(chosen)
    contents = [
        hsds.service(catalogue.schemes[slug], catalogue, _base_url(), history.get(slug, ()))
        for slug in chosen
    ]
    total_pages = math.ceil(len(slugs) / per_page)
    return jsonify(
        {
            "total_items": len(slugs),
            "total_pages": total_pages,
            "page_number": page,
            "size": len(contents),
            "first_page": page == 1,
            "last_page": page >= total_pages,
            "empty": not contents,
            "contents": contents,
        }
    )


@bp.get("/api/v1/hsds/services/<service_id>")
def service(service_id: str):
    """One listing as a fully nested HSDS service, its organization included."""
    catalogue = snapshot()
    scheme = hsds.scheme_for(catalogue, service_id)
    if scheme is None:
        abort(404)
    history = directory().revisions([scheme.id])
    return jsonify(
        hsds.service(
            scheme, catalogue, _base_url(), history.get(scheme.id, ()), with_organization=True
        )
    )


@bp.get("/feeds/application-windows.ics")
def application_windows():
    """Every published application window, as all-day events for a calendar app."""
    catalogue = snapshot()
    updated = directory().updated_at()
    events = ical.application_windows(
        catalogue,
        lambda scheme_id: url_for("public.scheme", scheme_id=scheme_id, _external=True),
        updated,
    )
    return Response(ical.calendar(CALENDAR_NAME, events), mimetype="text/calendar")
