"""Issue 17, item 12: a password that is too short and does not match is told both, each
linked to its field; every password field has exactly one autocomplete attribute."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from tests.web.editing_fixtures import CSP_LEAD
from tests.web.test_security import reset_token_for


def password_inputs(html: str) -> list[str]:
    return re.findall(r"<input[^>]*type=\"password\"[^>]*>", html)


def test_every_password_field_has_one_autocomplete(editing_app):
    client = editing_app.test_client()
    sign_in_page = client.get("/sign-in").get_data(as_text=True)
    reset_page = client.get(f"/reset-password/{reset_token_for(editing_app, CSP_LEAD)}")
    tags = password_inputs(sign_in_page) + password_inputs(reset_page.get_data(as_text=True))
    assert len(tags) == 3  # sign in; new password and its confirmation
    for tag in tags:
        assert tag.count("autocomplete=") == 1, tag
    assert 'autocomplete="current-password"' in tags[0]
    assert all('autocomplete="new-password"' in tag for tag in tags[1:])


def test_a_short_mismatched_password_lists_both_problems_linked_to_their_fields(editing_app):
    client = editing_app.test_client()
    url = f"/reset-password/{reset_token_for(editing_app, CSP_LEAD)}"
    page = client.post(url, data={"password": "short", "confirm": "other"}).get_data(True)
    summary = BeautifulSoup(page, "html.parser").select_one(".govuk-error-summary")
    links = [(a["href"], a.get_text(strip=True)) for a in summary.select("a")]
    assert links == [
        ("#password", "Password must be 12 characters or more"),
        ("#confirm", "Passwords must match"),
    ]
