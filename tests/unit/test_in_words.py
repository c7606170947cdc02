"""Differences between versions of a listing read as words, never field paths or JSON."""

from __future__ import annotations

import pytest

from directory import catalogue as cat
from directory import editing
from directory.in_words import Describer


@pytest.fixture(scope="module")
def csp(catalogue) -> dict:
    return cat.record(catalogue.schemes["csp-mentoring"])


@pytest.fixture(scope="module")
def words(catalogue, vocabulary) -> Describer:
    return Describer(vocabulary, {o.id: o.name for o in catalogue.organisations.values()})


def changed(csp: dict, **updates) -> dict:
    return {**csp, **updates}


def test_a_rule_change_reads_as_its_conditions(csp, words):
    mentee = {**csp["eligibility"]["mentee"]}
    mentee["rule"] = {"all": [*mentee["rule"]["all"], {"stage": "qualified"}]}
    after = changed(csp, eligibility={**csp["eligibility"], "mentee": mentee})
    (change,) = words.changes(editing.diff(csp, after))
    assert editing.field_label(change.field) == "Who can be a mentee"
    assert change.before.splitlines() == [
        "All of these apply:",
        "• You are a physiotherapist",
        "• You are a member of the Chartered Society of Physiotherapy (CSP)",
    ]
    assert change.after.splitlines()[-1] == "• You are qualified"
    assert "{" not in change.before + change.after


def test_lists_of_slugs_read_as_names_and_nothing_as_not_stated(csp, words):
    after = changed(csp, mentoring_types=["peer", "group"], regions=["scotland"], access=None)
    found = {c.field: c for c in words.changes(editing.diff(csp, after))}
    assert found["mentoring_types"].before == "Cross-disciplinary mentoring"
    assert found["mentoring_types"].after == "Peer mentoring and Group mentoring"
    assert (found["regions"].before, found["regions"].after) == (
        "Not stated in the sources",
        "Scotland",
    )
    assert (found["access"].before, found["access"].after) == (
        "Members only",
        "Not stated in the sources",
    )


def test_sources_dates_and_the_provider_read_as_words(csp, words):
    source = {
        "title": "CSP mentoring",
        "url": "https://www.csp.org.uk/mentoring",
        "date": "2022-09",
    }
    after = changed(
        csp,
        sources=[*csp["sources"], source],
        last_verified="2026-12-01",
        provider="sor",
        applications={**csp["applications"], "timing": "all-year"},
    )
    found = {c.field: c for c in words.changes(editing.diff(csp, after))}
    assert found["sources"].after.splitlines()[-1] == (
        "• CSP mentoring, September 2022, https://www.csp.org.uk/mentoring"
    )
    assert found["last_verified"].after == "1 December 2026"
    assert found["provider"].before == "Chartered Society of Physiotherapy"
    assert found["applications.timing"].after == "Open all year"


def test_a_role_no_longer_offered_says_so(csp, words):
    after = changed(csp, eligibility={**csp["eligibility"], "mentor": None})
    found = {c.field: c for c in words.changes(editing.diff(csp, after))}
    rule = found["eligibility.mentor.rule"]
    assert rule.before.startswith("All of these apply:")
    assert rule.after == "Not offered: the listing describes no way to take part as a mentor"


def test_overlapping_fields_read_as_words(csp, words):
    mine = changed(csp, regions=["wales"])
    theirs = changed(csp, regions=["scotland"])
    _, overlaps = editing.merge(csp, mine, theirs)
    (overlap,) = words.overlaps(overlaps)
    assert (overlap.theirs, overlap.yours) == ("Scotland", "Wales")


def test_nested_conditions_are_indented_and_single_items_are_not_bulleted(csp, words):
    mentee = {**csp["eligibility"]["mentee"]}
    mentee["rule"] = {"all": [mentee["rule"], {"any": [{"stage": "student"}, {"region": "wales"}]}]}
    after = changed(
        csp,
        eligibility={**csp["eligibility"], "mentee": mentee},
        sources=[{"title": "One page"}],
    )
    found = {c.field: c for c in words.changes(editing.diff(csp, after))}
    assert found["eligibility.mentee.rule"].after.splitlines() == [
        "All of these apply:",
        "• All of these apply:",
        "\u00a0\u00a0\u00a0◦ You are a physiotherapist",
        "\u00a0\u00a0\u00a0◦ You are a member of the Chartered Society of Physiotherapy (CSP)",
        "• At least one of these applies:",
        "\u00a0\u00a0\u00a0◦ You are a student",
        "\u00a0\u00a0\u00a0◦ You are based in Wales",
    ]
    assert found["sources"].after == "One page"


def test_a_rule_both_editors_changed_reads_as_conditions_on_both_sides(csp, words):
    def with_mentee_rule(rule):
        mentee = {**csp["eligibility"]["mentee"], "rule": rule}
        return changed(csp, eligibility={**csp["eligibility"], "mentee": mentee})

    mine = with_mentee_rule({"stage": "student"})
    theirs = with_mentee_rule({"stage": "qualified"})
    _, overlaps = editing.merge(csp, mine, theirs)
    (overlap,) = words.overlaps(overlaps)
    assert editing.field_label(overlap.field) == "Who can be a mentee"
    assert (overlap.theirs, overlap.yours) == ("You are qualified", "You are a student")


def test_a_new_listing_reads_field_by_field_from_nothing(csp, words):
    found = {editing.field_label(c.field): c for c in words.changes(editing.diff(None, csp))}
    assert found["Address on this site"].after == "/schemes/csp-mentoring"
    assert found["Provider"].after == "Chartered Society of Physiotherapy"
    assert found["Type of listing"].after == "Mentoring scheme"
    assert all(c.before == "" for c in found.values())  # nothing was there before
