"""Read a page's form the way a browser would submit it (with BeautifulSoup), so tests
can change a field or two and post the rest unchanged."""

from __future__ import annotations

from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

FIELDS = ("input", "textarea", "select")


def _submitted(form) -> MultiDict:
    values = MultiDict()
    for field in form.find_all(FIELDS):
        name = field.get("name")
        if not name or field.has_attr("disabled"):
            continue
        if field.name == "input":
            kind = field.get("type", "text")
            if kind in ("submit", "button", "image", "reset"):
                continue
            if kind in ("checkbox", "radio"):
                if field.has_attr("checked"):
                    values.add(name, field.get("value", "on"))
            else:
                values.add(name, field.get("value", ""))
        elif field.name == "textarea":
            # A textarea's first newline is not part of its value (HTML parsing rule).
            text = field.string or ""
            values.add(name, text[1:] if text.startswith("\n") else text)
        else:
            for option in field.find_all("option"):
                if option.has_attr("selected"):
                    values.add(name, option.get("value", option.get_text()))
    return values


def _forms(html: str) -> list:
    return BeautifulSoup(html, "html.parser").find_all("form")


def form_values(html: str, index: int = 0) -> MultiDict:
    """The values the `index`-th form on the page would submit as it stands."""
    forms = _forms(html)
    return _submitted(forms[index]) if index < len(forms) else MultiDict()


def main_form(html: str) -> MultiDict:
    """The page's main form: the one with the most fields (not the sign-out button)."""
    forms = [_submitted(form) for form in _forms(html)] or [MultiDict()]
    return max(forms, key=lambda v: len(list(v.items(multi=True))))
