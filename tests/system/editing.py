"""Editing a listing through a real server's form, as a browser would."""

from __future__ import annotations

from tests.system.support import Browser
from tests.web.html_forms import main_form


def open_edit_form(browser: Browser, scheme_id: str):
    page = browser.get(f"/editor/schemes/{scheme_id}/edit")
    assert page.status == 200, page.text[:300]
    return main_form(page.text)


def save(browser: Browser, scheme_id: str, values, **changes):
    """Post the edit form with some fields changed; returns the response."""
    for key, value in changes.items():
        values[key] = value
    values["action"] = "save"
    return browser.post(f"/editor/schemes/{scheme_id}/edit", list(values.items(multi=True)))
