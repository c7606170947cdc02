"""Issue 17, item 11: a signed-in hub lead (of the listing's organisation) or curator sees
"Edit this listing" on its public page; nobody else does, and a page drawn for someone
signed in is never kept by a shared cache, while everyone else's pages are unchanged."""

from __future__ import annotations

import pytest

from tests.web.editing_fixtures import CSP_LEAD, CURATOR, SOR_LEAD, sign_in

EDIT_LINK = 'href="/editor/schemes/csp-mentoring/edit">Edit this listing</a>'


@pytest.mark.parametrize("who", [CURATOR, CSP_LEAD])
def test_who_may_edit_a_listing_sees_the_link_on_a_page_no_cache_keeps(editing_app, who):
    client = editing_app.test_client()
    sign_in(client, who)
    response = client.get("/schemes/csp-mentoring")
    assert EDIT_LINK in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"
    edit = client.get("/editor/schemes/csp-mentoring/edit")
    assert edit.status_code == 200


def test_another_organisations_hub_lead_sees_no_link(editing_app):
    client = editing_app.test_client()
    sign_in(client, SOR_LEAD)
    response = client.get("/schemes/csp-mentoring")
    assert "Edit this listing" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"  # signed in all the same
    own = client.get("/schemes/sor-leadership-mentoring").get_data(as_text=True)
    assert 'href="/editor/schemes/sor-leadership-mentoring/edit">Edit this listing' in own


def test_the_public_sees_no_link_and_the_same_caching_as_before(editing_app):
    client = editing_app.test_client()
    response = client.get("/schemes/csp-mentoring")
    assert "Edit this listing" not in response.get_data(as_text=True)
    assert "Cache-Control" not in response.headers
    assert "Cookie" in response.headers["Vary"]


def test_after_signing_out_the_link_and_the_private_header_go(editing_app):
    client = editing_app.test_client()
    sign_in(client, CURATOR)
    assert EDIT_LINK in client.get("/schemes/csp-mentoring").get_data(as_text=True)
    page = client.get("/editor/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/sign-out", data={"csrf_token": token})
    response = client.get("/schemes/csp-mentoring")
    assert "Edit this listing" not in response.get_data(as_text=True)
    assert "Cache-Control" not in response.headers
