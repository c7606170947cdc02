"""The stylesheets and the icon, put inside each page rather than linked.

On a phone every linked stylesheet is one more round trip before anything can be
painted. So each page carries its own CSS, in a <style> the Content-Security-Policy
allows by the response's nonce (and no other inline style). To keep pages small, a page
carries only the rules that can match it: main.css holds every govuk-frontend component
the site uses (97 KB), while a page uses a handful. A rule whose selectors all name a
class block (``govuk-checkboxes`` for ``.govuk-checkboxes__input``) that the page's HTML
never uses is left out; rules on elements, and every rule of a block the page uses, stay.

Each page then carries its CSS (the HTML is never cached, while linked files were kept
for a year): a few KB on every page after the first, for a first page that paints a
round trip sooner, on the first congestion window.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup

log = logging.getLogger(__name__)

# Where the layout's <style> for main.css gets the page's rules. User content never holds
# it: pages escape "<" in anything people type.
PAGE_CSS = "<app-page-css>"
# Built by `npm run build` into static/dist/ (frontend/build.mjs).
STYLESHEETS = ("main", "print", "autocomplete")

# Classes that scripts add, which a page's HTML does not name in a class attribute: the
# layout's inline script adds the first two to <body>, and our type-ahead gives its input
# govuk-input--error on a question in error (frontend/app.js).
ADDED_BY_SCRIPTS = frozenset({"js-enabled", "govuk-frontend-supported", "govuk-input"})

CLASS_ATTRIBUTE = re.compile(r'\sclass="([^"]*)"')
CLASS_IN_SELECTOR = re.compile(r"\.((?:[\w-]|\\.)+)")
# :not(.x), :is(.x, .y), :where(...): their classes need not be on the page.
PSEUDO_FUNCTION = re.compile(r":[\w-]+\([^()]*\)")


def block(class_name: str) -> str:
    """The BEM block a class belongs to: govuk-checkboxes__input -> govuk-checkboxes."""
    return re.split(r"__|--", class_name.replace("\\", ""), maxsplit=1)[0]


@dataclass(frozen=True)
class Rule:
    """One top-level rule of a stylesheet, or an at-rule holding rules (@media)."""

    text: str
    needs: tuple[frozenset[str], ...] | None  # per selector, the blocks it needs; None: keep
    inner: tuple[Rule, ...] = ()  # for @media and @supports
    prelude: str = ""  # "@media (min-width: 40.0625em)"

    def css_for(self, blocks: frozenset[str]) -> str:
        if self.inner:
            kept = "".join(rule.css_for(blocks) for rule in self.inner)
            return f"{self.prelude}{{{kept}}}" if kept else ""
        if self.needs is None or any(need <= blocks for need in self.needs):
            return self.text
        return ""


def parse(css: str) -> tuple[Rule, ...]:
    """Top-level rules of a compressed stylesheet (as sass writes it)."""
    rules, depth, start = [], 0, 0
    for at, char in enumerate(css):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                rules.append(_rule(css[start : at + 1]))
                start = at + 1
        elif char == ";" and depth == 0:  # @charset, @import: keep as they are
            rules.append(Rule(css[start : at + 1], None))
            start = at + 1
    return tuple(rules)


def _rule(text: str) -> Rule:
    prelude = text[: text.index("{")]
    if prelude.startswith(("@media", "@supports")):
        return Rule(text, None, parse(text[len(prelude) + 1 : -1]), prelude)
    if prelude.startswith("@"):  # @font-face, @keyframes...: keep whole
        return Rule(text, None)
    needs = []
    for selector in PSEUDO_FUNCTION.sub("", prelude).split(","):
        classes = {block(name) for name in CLASS_IN_SELECTOR.findall(selector)}
        if not classes:
            return Rule(text, None)  # an element rule (html, body, a:focus): keep
        needs.append(frozenset(classes))
    return Rule(text, tuple(needs))


def page_blocks(html: str) -> frozenset[str]:
    """The class blocks a page uses, with those its scripts add."""
    names = {name for value in CLASS_ATTRIBUTE.findall(html) for name in value.split()}
    return frozenset(map(block, names)) | ADDED_BY_SCRIPTS


@dataclass(frozen=True, eq=False)  # hashed by identity, for the cache below
class InlineAssets:
    main: tuple[Rule, ...]
    styles: dict[str, str]  # the small stylesheets, whole
    icon: str  # a data: URL

    @classmethod
    def read(cls, static_folder: Path) -> InlineAssets:
        styles = {name: _read_css(static_folder / "dist" / f"{name}.css") for name in STYLESHEETS}
        svg = (static_folder / "favicon.svg").read_text(encoding="utf-8")
        icon = "data:image/svg+xml," + quote(" ".join(svg.split()), safe="=:/'")
        return cls(parse(styles.pop("main")), styles, icon)

    def main_css(self, blocks: Iterable[str]) -> str:
        """main.css less the rules that cannot match a page using these blocks."""
        return _main_css(self, frozenset(blocks))

    def style(self, name: str) -> Markup:
        """A small stylesheet whole, to put between <style> and </style>."""
        return Markup(self.styles[name])  # our own built CSS, checked on reading


@lru_cache(maxsize=256)  # pages share a few dozen sets of blocks
def _main_css(assets: InlineAssets, blocks: frozenset[str]) -> str:
    return "".join(rule.css_for(blocks) for rule in assets.main)


def _read_css(path: Path) -> str:
    try:
        css = path.read_text(encoding="utf-8-sig").strip()  # sass may start with a BOM
    except FileNotFoundError:  # pages still work, unstyled: say why
        log.warning("%s is missing: run `npm ci && npm run build`", path)
        return ""
    if "</" in css:  # would end the <style> element early
        raise ValueError(f"{path} contains '</', which cannot go inside <style>")
    return css
