"""Shared by the browser tests and their conftest: viewport widths and page checks."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

MOBILE, DESKTOP = 375, 1280
PASSWORD = "a long enough password 42"  # every account on the editing server
WIDTHS = [pytest.param(MOBILE, id="375px"), pytest.param(DESKTOP, id="1280px")]

# govuk-frontend hides checkbox and radio inputs (opacity 0) and shows their focus on the
# label's ::before box, so for those the label's ::before is what has to show focus.
_FOCUS_STYLE = """() => {
    const el = document.activeElement;
    const hidden = el.matches('.govuk-checkboxes__input, .govuk-radios__input') && el.labels.length;
    const style = hidden ? getComputedStyle(el.labels[0], '::before') : getComputedStyle(el);
    const described = el.id ? '#' + el.id
        : el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '');
    return {
        element: described + ' "' + (el.innerText || el.value || '').trim().slice(0, 40) + '"'
            + (hidden ? ' (its label::before)' : ''),
        outlineStyle: style.outlineStyle,
        outlineWidth: parseFloat(style.outlineWidth) || 0,
        outlineColor: style.outlineColor,
        boxShadow: style.boxShadow,
    };
}"""

TRANSPARENT = ("transparent", "rgba(0, 0, 0, 0)")


def focus_style(page: Page) -> dict:
    """The focused element (described) and the styles that could show its focus."""
    return page.evaluate(_FOCUS_STYLE)


def assert_focus_is_visible(page: Page) -> None:
    """The focused element shows a visible outline or box-shadow (not none, not transparent)."""
    style = focus_style(page)
    outline = (
        style["outlineStyle"] != "none"
        and style["outlineWidth"] > 0
        and style["outlineColor"] not in TRANSPARENT
    )
    shadow = style["boxShadow"] != "none"
    assert outline or shadow, f"focus is not visible on {style['element']}: {style}"


def tab_until(page: Page, target: str, limit: int = 40) -> None:
    """Press Tab until `target` (a CSS selector) has focus, checking every stop shows focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert_focus_is_visible(page)
        if page.evaluate("(s) => document.activeElement.matches(s)", target):
            return
    raise AssertionError(f"{target} not reached after {limit} presses of Tab")


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in page, as a person would; ends on the editor's dashboard."""
    page.goto("/sign-in")
    page.get_by_role("textbox", name="Email address").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/editor/$"))
