"""Open data: HSDS services a page at a time, one service, and the application-dates calendar."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
from flask import url_for

from directory import catalogue as cat
from directory import editing, hsds
from tests.hsds_schemas import page_problems, problems

SERVICES = "/api/v1/hsds/services"
FEED = "/feeds/application-windows.ics"


# HSDS services --------------------------------------------------------------------------------


def test_the_first_page_says_where_it_is_in_the_whole(client, catalogue):
    page = client.get(f"{SERVICES}?per_page=10").json
    assert 10 < len(catalogue.schemes) <= 20, "the fixture catalogue fills two pages of ten"
    assert {k: v for k, v in page.items() if k != "contents"} == {
        "total_items": len(catalogue.schemes),
        "total_pages": 2,
        "page_number": 1,
        "size": 10,
        "first_page": True,
        "last_page": False,
        "empty": False,
    }
    assert len(page["contents"]) == 10


def test_the_second_page_has_the_rest_in_slug_order(client, catalogue):
    first = client.get(f"{SERVICES}?per_page=10").json["contents"]
    second = client.get(f"{SERVICES}?per_page=10&page=2").json
    rest = len(catalogue.schemes) - 10
    assert (second["size"], second["first_page"], second["last_page"]) == (rest, False, True)
    names = [s["name"] for s in first + second["contents"]]
    assert names == [s["name"] for s in client.get(f"{SERVICES}?per_page=100").json["contents"]]
    assert len(set(names)) == len(catalogue.schemes)


def test_the_default_page_holds_a_small_catalogue_whole(client, catalogue):
    page = client.get(SERVICES).json
    total = len(catalogue.schemes)
    assert (page["total_pages"], page["size"], page["last_page"]) == (1, total, True)


def test_past_the_last_page_is_an_empty_page(client):
    page = client.get(f"{SERVICES}?page=3&per_page=10").json
    assert (page["empty"], page["size"], page["contents"]) == (True, 0, [])


@pytest.mark.parametrize("query", ["per_page=100", "per_page=10&page=2", "page=3&per_page=10"])
def test_every_list_page_is_a_valid_hsds_page(client, query):
    assert page_problems("/services", client.get(f"{SERVICES}?{query}").json) == []


def test_every_service_alone_is_valid_hsds_with_its_organization(client, catalogue):
    for slug in catalogue.schemes:
        service = client.get(f"{SERVICES}/{hsds.service_id(slug)}").json
        assert problems("service", service) == [], slug
        assert problems("organization", service["organization"]) == [], slug


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
        assert terms["traditional"]["taxonomy_detail"]["uri"] == url_for(
            "api.taxonomy", _external=True
        )


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
    assert FEED in documented


def test_the_open_data_page_links_to_hsds_and_the_calendar(client):
    html = client.get("/open-data").get_data(as_text=True)
    assert f'href="{SERVICES}"' in html
    assert f'href="{FEED}"' in html


# The application-windows calendar --------------------------------------------------------------


def physical_lines(body: bytes) -> list[bytes]:
    assert body.endswith(b"\r\n")
    lines = body[: -len(b"\r\n")].split(b"\r\n")
    assert not any(b"\n" in line or b"\r" in line for line in lines), "bare LF or CR"
    return lines


def unfolded(body: bytes) -> list[str]:
    return body.decode("utf-8").replace("\r\n ", "").removesuffix("\r\n").split("\r\n")


def test_the_real_catalogue_gives_a_valid_calendar_with_no_events(client):
    response = client.get(FEED)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    lines = unfolded(response.data)
    assert (lines[0], lines[-1]) == ("BEGIN:VCALENDAR", "END:VCALENDAR")
    assert "VERSION:2.0" in lines and not any(line == "BEGIN:VEVENT" for line in lines)
    assert all(len(line) <= 75 for line in physical_lines(response.data))
    calendar = icalendar.Calendar.from_ical(response.data)
    assert calendar.walk("VEVENT") == []


LONG_NAME = (
    "Physiotherapy leadership mentoring — a deliberately long name, with commas; "
    "semicolons and ünïcödé, to make the feed fold its lines"
)


@pytest.fixture
def app_with_a_window(fresh_app):
    """The real catalogue with one listing that publishes an application window."""
    service = fresh_app.extensions["directory"]
    with service.session() as db:
        scheme, version = editing.published(db, "csp-mentoring")
        windowed = scheme.model_copy(
            update={
                "name": LONG_NAME,
                "applications": cat.Applications(
                    how="Apply on the CSP website.",
                    timing="windows",
                    windows=(
                        cat.Window(
                            opens=dt.date(2026, 3, 2),
                            closes=dt.date(2026, 3, 27),
                            note="Spring round, for new mentees",
                        ),
                    ),
                ),
            }
        )
        editing.publish(db, windowed, "curator@example.org", version)
    return fresh_app


def test_a_published_window_is_one_all_day_event(app_with_a_window):
    body = app_with_a_window.test_client().get(FEED).data
    assert all(len(line) <= 75 for line in physical_lines(body))
    assert any(line.startswith(b" ") for line in physical_lines(body)), "nothing was folded"
    lines = unfolded(body)
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1
    assert "DTSTART;VALUE=DATE:20260302" in lines
    assert "DTEND;VALUE=DATE:20260328" in lines  # the day after it closes: DTEND is exclusive
    assert "UID:csp-mentoring-20260302-20260327@ahp-mentoring-directory" in lines
    summary = next(line for line in lines if line.startswith("SUMMARY:"))
    assert summary == (
        "SUMMARY:Applications open: Physiotherapy leadership mentoring — a deliberately "
        "long name\\, with commas\\; semicolons and ünïcödé\\, to make the feed fold its lines"
    )
    assert "URL:http://localhost/schemes/csp-mentoring" in lines


def test_a_calendar_app_reads_the_event_back(app_with_a_window):
    calendar = icalendar.Calendar.from_ical(app_with_a_window.test_client().get(FEED).data)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == dt.date(2026, 3, 2)
    assert event.decoded("DTEND") == dt.date(2026, 3, 28)
    assert str(event["SUMMARY"]) == f"Applications open: {LONG_NAME}"
    description = str(event["DESCRIPTION"])
    assert description.startswith(
        f"{LONG_NAME} (Chartered Society of Physiotherapy) takes applications "
        "from 2 March 2026 to 27 March 2026."
    )
    assert "\n\nSpring round, for new mentees\n\nHow to apply: Apply on the CSP website." in (
        description
    )


def test_the_uid_stays_the_same_when_the_listing_changes(app_with_a_window):
    client = app_with_a_window.test_client()
    before = [line for line in unfolded(client.get(FEED).data) if line.startswith("UID:")]
    service = app_with_a_window.extensions["directory"]
    with service.session() as db:
        scheme, version = editing.published(db, "csp-mentoring")
        editing.publish(db, scheme.model_copy(update={"name": "Renamed"}), "c@example.org", version)
    after = unfolded(client.get(FEED).data)
    assert [line for line in after if line.startswith("UID:")] == before
    assert "SUMMARY:Applications open: Renamed" in after
