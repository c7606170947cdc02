"""What search should find, worked out from the catalogue's own fields and the checker.

These oracles read schemes.yaml's fields directly (access, regions, eligibility...)
rather than calling directory.facets, so a mistake in how facets are derived or
indexed shows up as a difference instead of being copied into the expectation.
"""

from __future__ import annotations

import yaml

from directory import catalogue as cat
from directory import rules
from directory import vocabulary as vocab
from directory.catalogue import Catalogue
from directory.config import DEFAULT_DATA_DIR
from directory.vocabulary import Vocabulary
from tests.conftest import FIXTURE_CATALOGUE, FIXTURES

# For building parameter tables at import time; tests get the same thing from `vocabulary`.
# As the site uses it: the file's vocabulary plus the catalogue's universities and courses.
CATALOGUE = cat.load(FIXTURE_CATALOGUE, vocab.load(DEFAULT_DATA_DIR / "vocabulary.yaml"))
VOCABULARY = CATALOGUE.vocabulary
SCHEME_CASES = yaml.safe_load((FIXTURES / "catalogue_cases.yaml").read_text())
SPECIAL_LABELS = {
    "not-stated": "Not stated",
    "none-needed": "No membership needed",
    "all-ahps": "Open to all AHPs",
}
TERM_SETS = {
    "profession": "professions",
    "member_of": "memberships",
    "stage": "stages",
    "mentoring_type": "mentoring_types",
    "access": "access",
    "provider_kind": "provider_kinds",
    "region": "regions",
    "role": "roles",
    "listing_type": "listing_types",
}
FACET_IDS = tuple(TERM_SETS)


def filter_values(facet: str, vocabulary: Vocabulary) -> list[str]:
    """Every value a person can filter on, from the vocabulary plus the documented extras."""
    if facet == "profession":
        return ["all-ahps", *vocabulary.slugs("professions")]
    extra = {
        "member_of": ["none-needed"],
        "mentoring_type": ["not-stated"],
        "access": ["not-stated"],
        "region": ["not-stated"],
    }.get(facet, [])
    return vocabulary.slugs(TERM_SETS[facet]) + extra


def filter_label(facet: str, value: str, vocabulary: Vocabulary) -> str:
    return SPECIAL_LABELS.get(value) or vocabulary.label(TERM_SETS[facet], value)


def _memberships_asked(rule) -> set[str]:
    """Bodies a raw YAML rule asks you to belong to (not counting `not:` branches)."""
    if not isinstance(rule, dict):
        return set()
    found = set()
    for key, value in rule.items():
        if key == "member_of":
            found |= {value} if isinstance(value, str) else set(value)
        elif key in ("all", "any"):
            for child in value:
                found |= _memberships_asked(child)
    return found


def _professions_named(rule) -> set[str]:
    """Professions a raw YAML rule names itself (groups such as `ahp` stay as written)."""
    if not isinstance(rule, dict):
        return set()
    found = set()
    for key, value in rule.items():
        if key == "profession":
            found |= {value} if isinstance(value, str) else set(value)
        elif key in ("all", "any"):
            for child in value:
                found |= _professions_named(child)
    return found


def naming_profession(catalogue: Catalogue, slug: str) -> set[str]:
    """Listings whose mentee rule names this profession itself: the ones "for" it."""
    return {
        s.id
        for s in catalogue.schemes.values()
        if s.eligibility.get("mentee") and slug in _professions_named(s.eligibility["mentee"].rule)
    }


def _mentee_not_ruled_out(vocabulary, catalogue, scheme_id, question, value) -> bool:
    answers = rules.parse_answers(vocabulary, {question: value, "role": "mentee"})
    decision = rules.decide(rules.Evaluator(vocabulary, answers), catalogue.rules[scheme_id])
    return decision.status is not rules.Status.INELIGIBLE


def has_value(catalogue: Catalogue, vocabulary: Vocabulary, scheme_id, facet, value) -> bool:
    """Whether filtering on `facet=value` should keep this listing."""
    scheme = catalogue.schemes[scheme_id]
    mentee = scheme.eligibility.get("mentee")
    if facet == "profession" and value == "all-ahps":  # rules out no AHP
        return all(
            has_value(catalogue, vocabulary, scheme_id, facet, ahp)
            for ahp in vocabulary.expand("professions", "ahp")
        )
    if facet in ("profession", "stage"):
        return mentee is not None and _mentee_not_ruled_out(
            vocabulary, catalogue, scheme_id, facet, value
        )
    if facet == "member_of":
        if mentee is None:
            return False
        asked = _memberships_asked(mentee.rule)
        return value in asked if value != "none-needed" else not asked
    if facet == "mentoring_type":
        return value in scheme.mentoring_types or (
            value == "not-stated" and not scheme.mentoring_types
        )
    if facet == "access":
        return scheme.access == value or (value == "not-stated" and scheme.access is None)
    if facet == "provider_kind":
        return catalogue.organisations[scheme.provider].kind == value
    if facet == "region":
        if scheme.regions is None:
            return value == "not-stated"
        return any(value in vocabulary.expand("regions", r) for r in scheme.regions)
    if facet == "role":
        return scheme.eligibility.get(value) is not None
    if facet == "listing_type":
        return scheme.listing_type == value
    raise AssertionError(f"no oracle for facet {facet}")


def listings_with(catalogue, vocabulary, filters: dict[str, list[str]]) -> set[str]:
    """Listings kept by these filters: values of one facet OR together, facets AND."""
    return {
        scheme_id
        for scheme_id in catalogue.schemes
        if all(
            any(has_value(catalogue, vocabulary, scheme_id, facet, v) for v in values)
            for facet, values in filters.items()
        )
    }


def open_to(catalogue, vocabulary, answers: dict) -> set[str]:
    """Listings the checker says this person can or could join (not "not eligible")."""
    parsed = rules.parse_answers(vocabulary, answers)
    return {
        d.scheme_id
        for d in rules.decide_all(vocabulary, parsed, catalogue.rules.values())
        if d.status is not rules.Status.INELIGIBLE
    }


def as_me_parameters(answers: dict) -> list[tuple[str, str]]:
    """A scheme case's answers as "search as me" URL parameters (my_profession=...)."""
    pairs = []
    for question, value in answers.items():
        for item in [value] if isinstance(value, str) else value:
            pairs.append((f"my_{question}", str(item)))
    return pairs


def expectation(value) -> dict:
    return {"status": value} if isinstance(value, str) else value


# The cases that say something about a person (the empty-answers case is not "search as me").
AS_ME_CASES = [case for case in SCHEME_CASES if case["answers"]]
