"""Open data: HSDS services a page at a time, and one service."""

from __future__ import annotations

import re

import pytest
from flask import url_for

from directory import editing, hsds
from tests.hsds_schemas import problems

SERVICES = "/api/v1/hsds/services"


# HSDS services --------------------------------------------------------------------------------


def test_the_first_page_says_where_it_is_in_the_whole(client):
    page = client.get(f"{SERVICES}?per_page=10").json
    assert {k: v for k, v in page.items() if k != "contents"} == {
        "total_items": 15,
        "total_pages": 2,
        "page_number": 1,
        "size": 10,
        "first_page": True,
        "last_page": False,
        "empty": False,
    }
    assert len(page["contents"]) == 10


def test_the_second_page_has_the_rest_in_slug_order(client):
    first = client.get(f"{SERVICES}?per_page=10").json["contents"]
    second = client.get(f"{SERVICES}?per_page=10&page=2").json
    assert (second["size"], second["first_page"], second["last_page"]) == (5, False, True)
    names = [s["name"] for s in first + second["contents"]]
    assert names == [s["name"] for s in client.get(f"{SERVICES}?per_page=100").json["contents"]]
    assert len(set(names)) == 15


def test_the_default_page_holds_every_listing_we_have_today(client):
    page = client.get(SERVICES).json
    assert (page["total_pages"], page["size"], page["last_page"]) == (1, 15, True)


def test_past_the_last_page_is_an_empty_page(client):
    page = client.get(f"{SERVICES}?page=3&per_page=10").json
    assert (page["empty"], page["size"], page["contents"]) == (True, 0, [])


def test_every_service_on_the_pages_is_valid_hsds_with_its_history(client):
    for service in client.get(f"{SERVICES}?per_page=100").json["contents"]:
        assert problems("service", service) == [], service["name"]
        assert [m["last_action_type"] for m in service["metadata"]] == ["create"]


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("page=0", "page", "should be a whole number from 1 to 10000"),
        ("page=two", "page", "should be a whole number from 1 to 10000"),
        ("page=10001", "page", "should be a whole number from 1 to 10000"),
        ("per_page=0", "per_page", "should be a whole number from 1 to 100"),
        ("per_page=101", "per_page", "should be a whole number from 1 to 100"),
        ("per_page=-5", "per_page", "should be a whole number from 1 to 100"),
    ],
)
def test_a_bad_page_or_page_size_is_a_400_naming_the_parameter(client, query, parameter, message):
    response = client.get(f"{SERVICES}?{query}")
    assert response.status_code == 400
    assert response.json == {
        "ok": False,
        "status": 400,
        "errors": [{"parameter": parameter, "message": message}],
    }


def test_an_unsupported_hsds_filter_is_refused_not_ignored(client):
    response = client.get(f"{SERVICES}?search=physio&per_page=999")
    assert response.status_code == 400
    assert response.json["errors"] == [
        {"parameter": "search", "message": "unknown parameter", "valid": ["page", "per_page"]},
        {"parameter": "per_page", "message": "should be a whole number from 1 to 100"},
    ]


def test_one_service_comes_fully_nested_with_its_organization(client):
    service_id = hsds.service_id("csp-mentoring")
    service = client.get(f"{SERVICES}/{service_id}").json
    assert service["id"] == service_id
    assert service["name"] == "Chartered Society of Physiotherapy mentoring scheme"
    assert service["organization"]["name"] == "Chartered Society of Physiotherapy"
    assert service["organization"]["id"] == service["organization_id"]
    assert problems("service", service) == []


def test_an_unknown_service_is_a_json_404(client):
    for unknown in (hsds.service_id("no-such-listing"), "csp-mentoring"):
        response = client.get(f"{SERVICES}/{unknown}")
        assert response.status_code == 404
        assert response.json == {"ok": False, "status": 404, "errors": [{"message": "not found"}]}


def test_links_in_hsds_data_are_the_sites_own_pages(app, client):
    service = client.get(f"{SERVICES}/{hsds.service_id('sor-leadership-mentoring')}").json
    terms = {a["taxonomy_term"]["code"]: a["taxonomy_term"] for a in service["attributes"]}
    with app.test_request_context():
        assert terms["radiographer"]["term_uri"] == url_for(
            "public.profession", slug="radiographer", _external=True
        )
        assert terms["traditional"]["term_uri"] == url_for(
            "public.mentoring_type", slug="traditional", _external=True
        )
        assert terms["traditional"]["taxonomy"]["uri"] == url_for("api.taxonomy", _external=True)


def test_an_edit_on_the_site_shows_in_the_service_metadata(fresh_app):
    service = fresh_app.extensions["directory"]
    with service.session() as db:
        scheme, version = editing.published(db, "bapo-mentoring")
        editing.publish(db, scheme.model_copy(update={"cost": "Free"}), "jo@example.org", version)
    found = fresh_app.test_client().get(f"{SERVICES}/{hsds.service_id('bapo-mentoring')}").json
    assert found["fees_description"] == "Free"
    latest = found["metadata"][0]
    assert (latest["last_action_type"], latest["field_name"], latest["replacement_value"]) == (
        "update",
        "cost",
        "Free",
    )
    assert latest["updated_by"] == "directory editor"
    assert problems("service", found) == []


# Every /api/v1 route is described --------------------------------------------------------------


def test_every_api_route_is_in_the_openapi_document(app, client):
    documented = set(client.get("/api/v1/openapi.json").json["paths"])
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
    }
    assert routes - documented == set()


def test_the_open_data_page_links_to_hsds(client):
    html = client.get("/open-data").get_data(as_text=True)
    assert f'href="{SERVICES}"' in html
