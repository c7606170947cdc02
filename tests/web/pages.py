"""Reading the search page the way a person (or a screen reader) would, with BeautifulSoup.

`parse(html)` gives the page's root `Element` (a small wrapper over BeautifulSoup's tags,
with the names the tests use); `SearchPage` pulls out what the search tests look at: the
result count, the hits, the filter chips, the facet checkboxes and the links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag


class Element:
    """One element of a parsed page."""

    def __init__(self, tag: Tag):
        self.node = tag

    def __eq__(self, other) -> bool:
        return isinstance(other, Element) and other.node is self.node

    def __hash__(self) -> int:
        return id(self.node)

    @property
    def tag(self) -> str:
        return self.node.name

    @property
    def attrs(self) -> dict[str, str]:
        return {
            name: " ".join(value) if isinstance(value, list) else value
            for name, value in self.node.attrs.items()
        }

    @property
    def parent(self) -> Element | None:
        return Element(self.node.parent) if self.node.parent is not None else None

    @property
    def children(self) -> list[Element | str]:
        return [
            Element(c) if isinstance(c, Tag) else str(c)
            for c in self.node.children
            if isinstance(c, Tag | NavigableString)
        ]

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        """The DOM's textContent with whitespace collapsed: what a screen reader reads."""
        return re.sub(r"\s+", " ", self.raw_text).strip()

    @property
    def raw_text(self) -> str:
        return self.node.get_text()

    def iter(self):
        for tag in self.node.find_all(True):
            yield Element(tag)

    def find_all(self, tag: str | None = None, class_: str | None = None, **attrs) -> list[Element]:
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        if class_:  # (an attribute given as None would mean "has no such attribute")
            wanted["class"] = class_
        found = self.node.find_all(tag or True, attrs=wanted)
        return [Element(t) for t in found]

    def find(self, tag: str | None = None, class_: str | None = None, **attrs) -> Element:
        found = self.find_all(tag, class_, **attrs)
        assert found, f"no <{tag} class={class_} {attrs}> in the page"
        return found[0]

    def ancestors(self):
        for parent in self.node.parents:
            yield Element(parent)


def parse(html: str) -> Element:
    return Element(BeautifulSoup(html, "html.parser"))


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
