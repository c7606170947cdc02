"""The JSON API under /api/v1/, described by /api/v1/openapi.json.

Every error has one shape: {"ok": false, "status": 400, "errors": [{"parameter":
..., "message": ..., "valid": [...]}]}, naming the parameter and what it accepts.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, jsonify, request

from directory import facets, rules, search
from directory.web import representations, search_params
from directory.web.helpers import (
    SLUG_MARK,
    directory,
    scheme_or_404,
    search_within,
    snapshot,
    snapshot_and_version,
    url_pattern,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

OPENAPI_FILE = Path(__file__).parent / "openapi.json"
ELIGIBILITY_PAGE_SIZE = 20  # listings of each group; the real catalogue fits on one page
MAX_ELIGIBILITY_PAGE_SIZE = 100


class BadRequest(Exception):
    def __init__(self, errors: list[dict]):
        super().__init__(errors)
        self.errors = errors


@bp.errorhandler(BadRequest)
def _bad_request(error: BadRequest):
    return jsonify({"ok": False, "status": 400, "errors": error.errors}), 400


# Schemes --------------------------------------------------------------------------------------


@bp.get("/schemes")
def schemes():
    vocabulary = directory().vocabulary
    found = search_params.read(request.args, vocabulary, strict=True)
    if found.problems:
        raise BadRequest(found.problems)
    catalogue = snapshot()
    within = search_within(catalogue, found.open_now, found.me)
    query = search.Query(found.text, found.filters, found.sort, found.page, found.page_size, within)
    results = directory().search(query, snapshot_and_version())
    return jsonify(
        {
            "ok": True,
            "total": results.total,
            "page": results.page,
            "pages": results.pages,
            "page_size": found.page_size,
            "suggestion": results.suggestion,
            "corrected": results.corrected,
            "degraded": False,  # kept for clients: the index no longer has a degraded state
            "results": [
                {
                    **representations.scheme_summary_json(catalogue.schemes[h.id], catalogue),
                    "highlight": {"name": h.name_html, "summary": h.summary_html},
                }
                for h in results.hits
            ],
            "facets": results.facet_counts,
        }
    )


@bp.get("/schemes/<scheme_id>")
def scheme(scheme_id: str):
    catalogue, found = scheme_or_404(scheme_id)
    return jsonify(
        {
            "ok": True,
            "scheme": representations.scheme_json(found, catalogue, directory().vocabulary),
        }
    )


@bp.get("/eligibility")
def eligibility():
    """Which listings a person can join (or mentor with), could join, or cannot, and why.

    Each group is paged alike, in name order (page 2 is listings 21-40 of each at the
    default page size), with every group's full count: at ten thousand listings the
    whole answer would weigh 3 MB, and nobody reads far into "not open to you".
    """
    vocabulary = directory().vocabulary
    errors: list[dict] = []
    args = request.args
    errors += search_params.unknown_parameters(args, [*vocabulary.questions, "page", "page_size"])
    answers = search_params.read_answers(args, vocabulary, "", errors)
    page = search_params.whole_number(args, "page", 1, search_params.MAX_PAGE, 1, errors)
    page_size = search_params.whole_number(
        args, "page_size", 1, MAX_ELIGIBILITY_PAGE_SIZE, ELIGIBILITY_PAGE_SIZE, errors
    )
    if errors:
        raise BadRequest(errors)
    catalogue = snapshot()
    outcomes = directory().outcomes(answers, catalogue)
    table = catalogue.rule_table
    counts = {status.value: outcomes.bits(status).bit_count() for status in rules.Status}
    scheme_url = url_pattern("public.scheme", "scheme_id", external=True)
    groups = {
        status.value: [
            _eligibility_item(catalogue.schemes[decision.scheme_id], decision, scheme_url)
            for decision in outcomes.decisions(
                table.ids_in(outcomes.bits(status), page_size, (page - 1) * page_size)
            )
        ]
        for status in rules.Status
    }
    return jsonify(
        {
            "ok": True,
            "answers": {q: sorted(v) if v is not None else None for q, v in answers.items()},
            "counts": counts,
            "page": page,
            "page_size": page_size,
            "pages": max(1, -(-max(counts.values()) // page_size)),
            **groups,
        }
    )


def _eligibility_item(scheme, decision: rules.Decision, url: str) -> dict:
    """One listing's entry; `url`: the scheme page's URL pattern (see url_pattern)."""
    item = {
        "id": scheme.id,
        "name": scheme.name,
        "listing_type": scheme.listing_type,
        "url": url.replace(SLUG_MARK, scheme.id),
        "reasons": list(decision.reasons),
    }
    if decision.status is rules.Status.POSSIBLE:
        item["needs"] = list(decision.needs)
    if decision.also_check:
        item["also_check"] = list(decision.also_check)
    return item


@bp.get("/taxonomy")
def taxonomy():
    vocabulary = directory().vocabulary
    term_sets = {}
    for name, term_set in vocabulary.term_sets.items():
        term_sets[name] = {
            "label": term_set.label,
            "terms": [t.model_dump(exclude_none=True) for t in term_set.terms],
            "groups": [
                {
                    "slug": g.slug,
                    "label": g.label,
                    "members": sorted(vocabulary.expand(name, g.slug)),
                }
                for g in term_set.groups
            ],
        }
    questions = [
        {
            "id": q.id,
            "term_set": q.term_set,
            "text": q.text,
            "multiple": q.multiple,
            "valid": rules.valid_answers(vocabulary, q.id),
        }
        for q in vocabulary.questions.values()
    ]
    facet_list = [
        {"id": f.id, "label": f.label, "valid": facets.valid_values(f.id, vocabulary)}
        for f in facets.FACETS
    ]
    return jsonify(
        {"ok": True, "term_sets": term_sets, "questions": questions, "facets": facet_list}
    )


@bp.get("/openapi.json")
def openapi():
    document = json.loads(OPENAPI_FILE.read_text())
    return jsonify(search_params.with_catalogue_values(document, directory().vocabulary))
