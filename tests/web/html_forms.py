"""Read a page's form the way a browser would submit it, so tests can change a
field or two and post the rest unchanged."""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict


class _FormReader(HTMLParser):
    def __init__(self, index: int):
        super().__init__(convert_charrefs=True)
        self.index = index
        self.seen = -1
        self.inside = False
        self.values: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.seen += 1
            self.inside = self.seen == self.index
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.values.append((name, a.get("value", "on")))
            else:
                self.values.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values.append((name, ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value", "")))

    def handle_data(self, data):
        if self.inside and self._textarea:
            name, text = self.values[-1]
            self.values[-1] = (name, text + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_values(html: str, index: int = 0) -> MultiDict:
    """The values the `index`-th form on the page would submit as it stands."""
    reader = _FormReader(index)
    reader.feed(html)
    values = MultiDict()
    for name, value in reader.values:
        # A textarea's first newline is not part of its value (HTML parsing rule).
        values.add(name, unescape(value[1:] if value.startswith("\n") else value))
    return values


def main_form(html: str) -> MultiDict:
    """The page's main form: the one with the most fields (not the sign-out button)."""
    forms = []
    index = 0
    while True:
        values = form_values(html, index)
        if not values and index > html.count("<form"):
            break
        forms.append(values)
        index += 1
        if index > html.count("<form"):
            break
    return max(forms, key=lambda v: len(list(v.items(multi=True))))
