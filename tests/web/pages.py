"""Reading the search page the way a person (or a screen reader) would, with the stdlib only.

`parse(html)` gives a small element tree; `SearchPage` pulls out what the search tests
look at: the result count, the hits, the filter chips, the facet checkboxes and the links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        """The DOM's textContent with whitespace collapsed: what a screen reader reads."""
        return re.sub(r"\s+", " ", self.raw_text).strip()

    @property
    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw_text for c in self.children)

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, class_: str | None = None, **attrs) -> list[Element]:
        found = []
        for element in self.iter():
            if tag and element.tag != tag:
                continue
            if class_ and class_ not in element.classes:
                continue
            if all(
                element.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items()
            ):
                found.append(element)
        return found

    def find(self, tag: str | None = None, class_: str | None = None, **attrs) -> Element:
        found = self.find_all(tag, class_, **attrs)
        assert found, f"no <{tag} class={class_} {attrs}> in the page"
        return found[0]

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def query_pairs(url: str) -> list[tuple[str, str]]:
    """A link's query string as (name, value) pairs, in order."""
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


@dataclass
class Chip:
    href: str
    text: str
    hidden_text: str


@dataclass
class FacetOption:
    facet: str
    value: str
    label: str
    count: int
    checked: bool


class SearchPage:
    """The parts of /search the tests assert on."""

    def __init__(self, html: str):
        self.html = html
        self.root = parse(html)

    @property
    def count_region(self) -> Element:
        return self.root.find(id="result-count")

    @property
    def total(self) -> int:
        match = re.match(r"(\d+) listings? found", self.count_region.text)
        assert match, self.count_region.text
        return int(match.group(1))

    @property
    def hit_links(self) -> list[Element]:
        lists = self.root.find_all("ul", class_="app-result-list")
        return [a for ul in lists for a in ul.find_all("a") if a.parent.tag == "h3"]

    @property
    def hit_ids(self) -> list[str]:
        return [a.attrs["href"].removeprefix("/schemes/") for a in self.hit_links]

    @property
    def chips(self) -> list[Chip]:
        chips = []
        for a in self.root.find_all("a", class_="app-chip"):
            hidden = a.find("span", class_="govuk-visually-hidden")
            chips.append(Chip(a.attrs["href"], a.text, hidden.raw_text))
        return chips

    @property
    def facet_options(self) -> list[FacetOption]:
        form = self.root.find(id="filters")
        options = []
        for box in form.find_all("input", class_="govuk-checkboxes__input"):
            if box.attrs["name"] == "open_now":
                continue
            label = form.find("label", for_=box.attrs["id"])
            count = label.find("span", class_="app-count").text
            options.append(
                FacetOption(
                    facet=box.attrs["name"],
                    value=box.attrs["value"],
                    label=label.text.rsplit(" (", 1)[0],
                    count=int(count.strip("()")),
                    checked="checked" in box.attrs,
                )
            )
        return options

    def links(self, text_contains: str = "") -> list[Element]:
        return [a for a in self.root.find_all("a") if text_contains in a.text]

    @property
    def title(self) -> str:
        return self.root.find("title").text
