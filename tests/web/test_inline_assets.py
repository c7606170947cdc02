"""The CSS each page carries inside it: main.css less the rules that cannot match it."""

from __future__ import annotations

import pytest

from directory.config import PROJECT_ROOT
from directory.web.inline_assets import InlineAssets, block, page_blocks, parse

CSS = (
    "html{color:#000}"
    ".govuk-body{margin:0}"
    ".govuk-checkboxes__input{opacity:0}"
    ".govuk-checkboxes__input,.govuk-body--s{top:0}"
    ".js-enabled .govuk-tabs__list{display:none}"
    ".govuk-link:not(.govuk-footer__link):hover{color:red}"
    "@media (min-width:40em){.govuk-body{margin:1px}.govuk-table{width:1px}}"
    "@media print{.govuk-table{width:2px}}"
)


def css_for(page_html: str) -> str:
    return "".join(rule.css_for(page_blocks(page_html)) for rule in parse(CSS))


@pytest.mark.parametrize(
    ("class_name", "expected"),
    [
        ("govuk-checkboxes__input", "govuk-checkboxes"),
        ("govuk-button--secondary", "govuk-button"),
        ("govuk-\\!-margin-bottom-0", "govuk-!-margin-bottom-0"),
        ("govuk-grid-column-two-thirds", "govuk-grid-column-two-thirds"),
    ],
)
def test_a_class_belongs_to_its_block(class_name, expected):
    assert block(class_name) == expected


def test_a_page_keeps_element_rules_and_the_rules_of_the_blocks_it_uses():
    css = css_for('<p class="govuk-body">Hello</p>')
    assert css == (
        "html{color:#000}"
        ".govuk-body{margin:0}"
        ".govuk-checkboxes__input,.govuk-body--s{top:0}"  # one of its selectors can match
        "@media (min-width:40em){.govuk-body{margin:1px}}"
    )


def test_a_rule_stays_when_its_classes_are_only_in_not():
    css = css_for('<a class="govuk-link" href="/">Home</a>')
    assert ".govuk-link:not(.govuk-footer__link):hover{color:red}" in css


def test_classes_scripts_add_count_as_used():
    css = css_for('<ul class="govuk-tabs__list"></ul>')
    assert ".js-enabled .govuk-tabs__list{display:none}" in css


def test_a_media_rule_with_nothing_left_goes():
    assert "@media print" not in css_for('<p class="govuk-body">Hello</p>')
    assert "@media print{.govuk-table{width:2px}}" in css_for('<table class="govuk-table">')


def test_the_built_stylesheet_loses_only_what_a_page_cannot_use():
    assets = InlineAssets.read(PROJECT_ROOT / "static")
    home = assets.main_css(page_blocks('<body class="govuk-template__body"><p class="govuk-body">'))
    full = assets.main_css({"govuk-checkboxes", "govuk-body", "govuk-template"})
    assert home.startswith(":root{")  # sass's byte-order mark is not kept
    assert ".govuk-body" in home and "govuk-checkboxes" not in home
    assert "govuk-checkboxes__input" in full
    assert len(home) < len(full)


def test_a_stylesheet_that_would_end_the_style_element_is_refused(tmp_path):
    (tmp_path / "dist").mkdir()
    for name in ("main", "print", "autocomplete"):
        (tmp_path / "dist" / f"{name}.css").write_text("a{}")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    assert InlineAssets.read(tmp_path).style("print") == "a{}"
    (tmp_path / "dist" / "print.css").write_text('a::after{content:"</style>"}')
    with pytest.raises(ValueError, match="cannot go inside <style>"):
        InlineAssets.read(tmp_path)
