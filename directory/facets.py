"""Facets: the filterable properties of a listing, derived from its record and rules.

Profession and stage come from the rules themselves (is a physiotherapist ruled
out as a mentee?), so a facet can never disagree with the checker: a listing that
has ended or is between rounds is open to nobody. No Flask.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from directory import rules
from directory.catalogue import Catalogue, Scheme
from directory.vocabulary import Vocabulary

NOT_STATED = "not-stated"
NO_MEMBERSHIP = "none-needed"
# A listing whose rules rule out no AHP (no profession condition, or `profession: ahp`)
# also has this profession value, so a search can show it as what it is: "Open to all
# AHPs (6)", not six art-therapy listings in a physiotherapy search.
ALL_AHPS = "all-ahps"
AHP_GROUP = "ahp"
SPECIAL_LABELS = {
    NOT_STATED: "Not stated",
    NO_MEMBERSHIP: "No membership needed",
    ALL_AHPS: "Open to all AHPs",
}


@dataclass(frozen=True)
class Facet:
    id: str  # URL parameter and index field
    label: str
    term_set: str  # where value labels come from
    values: Callable[[Scheme, rules.SchemeRules, Catalogue, Vocabulary], list[str]]


def _open_to(question: str) -> Callable:
    """Values of `question` for which the mentee rule does not rule a person out."""

    def values(scheme, scheme_rules, catalogue, vocabulary) -> list[str]:
        mentee = scheme_rules.by_role.get("mentee")
        if mentee is None or scheme_rules.closed:  # ended or between rounds: open to nobody
            return []
        # Rules are interned, so thousands of listings share a few hundred: each rule's
        # values are worked out once (kept with the rule, so its id is not reused).
        known = _evaluators.setdefault(vocabulary, {})
        key = ("open to", question, id(mentee.rule))
        if key not in known:
            slugs = vocabulary.slugs(vocabulary.questions[question].term_set)
            found = [
                slug
                for slug in slugs
                if _evaluator(vocabulary, question, slug).outcome(mentee.rule).status
                is not rules.Status.INELIGIBLE
            ]
            known[key] = (mentee.rule, found)
        return list(known[key][1])

    return values


# One evaluator per (vocabulary, question, answer), shared by every listing: rules are
# interned by the vocabulary's compiler, so listings with the same rule cost one
# evaluation. Weak keys: a replaced vocabulary takes its evaluators with it.
_evaluators: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _evaluator(vocabulary: Vocabulary, question: str, slug: str) -> rules.Evaluator:
    mine = _evaluators.setdefault(vocabulary, {})
    found = mine.get((question, slug))
    if found is None:
        answers = {question: frozenset({slug})}
        found = mine[(question, slug)] = rules.Evaluator(vocabulary, answers)
    return found


def _professions(scheme, scheme_rules, catalogue, vocabulary) -> list[str]:
    """The professions the mentee rule does not rule out, and ALL_AHPS if it rules out no AHP."""
    found = _open_to_profession(scheme, scheme_rules, catalogue, vocabulary)
    if found and vocabulary.expand("professions", AHP_GROUP) <= set(found):
        found.append(ALL_AHPS)
    return found


_open_to_profession = _open_to("profession")


def _memberships(scheme, scheme_rules, catalogue, vocabulary) -> list[str]:
    """Which bodies' membership the mentee rule asks for; "none-needed" if none."""
    mentee = scheme_rules.by_role.get("mentee")
    if mentee is None:
        return []
    asked = [
        p for p in rules.predicates(mentee.rule) if p.question == "member_of" and not p.negated
    ]
    slugs = sorted({slug for p in asked for slug in p.accepts})
    return slugs or [NO_MEMBERSHIP]


def _field(name: str, expand_set: str | None = None) -> Callable:
    def values(scheme, scheme_rules, catalogue, vocabulary) -> list[str]:
        value = getattr(scheme, name)
        if value is None or value == ():
            return [NOT_STATED]
        items = value if isinstance(value, tuple) else (value,)
        if expand_set:  # a region group such as "uk" stands for each of its regions
            return sorted({s for item in items for s in vocabulary.expand(expand_set, item)})
        return list(items)

    return values


def _provider_kind(scheme, scheme_rules, catalogue, vocabulary) -> list[str]:
    return [catalogue.organisations[scheme.provider].kind]


def _roles(scheme, scheme_rules, catalogue, vocabulary) -> list[str]:
    return list(scheme_rules.by_role)


FACETS: tuple[Facet, ...] = (
    Facet("profession", "Profession", "professions", _professions),
    Facet("member_of", "Membership needed", "memberships", _memberships),
    Facet("stage", "Career stage", "stages", _open_to("stage")),
    Facet("mentoring_type", "Type of mentoring", "mentoring_types", _field("mentoring_types")),
    Facet("access", "Access", "access", _field("access")),
    Facet("provider_kind", "Provider", "provider_kinds", _provider_kind),
    Facet("region", "Region or nation", "regions", _field("regions", expand_set="regions")),
    Facet("role", "Take part as", "roles", _roles),
    Facet("listing_type", "Type of listing", "listing_types", _field("listing_type")),
)
BY_ID = {facet.id: facet for facet in FACETS}


def scheme_facets(
    scheme: Scheme, catalogue: Catalogue, as_if_running: bool = False
) -> dict[str, list[str]]:
    """A listing's value for each facet. `as_if_running`: the values its rules give even
    if it has ended or is between rounds (who it was for, to find what is open instead)."""
    scheme_rules = catalogue.rules[scheme.id]
    if as_if_running and scheme_rules.closed:
        scheme_rules = dataclasses.replace(scheme_rules, closed=None)
    return {f.id: f.values(scheme, scheme_rules, catalogue, catalogue.vocabulary) for f in FACETS}


def valid_values(facet_id: str, vocabulary: Vocabulary) -> list[str]:
    """Every value a filter on this facet accepts."""
    facet = BY_ID[facet_id]
    if facet_id == "profession":  # "Open to all AHPs" first, then each profession
        return [ALL_AHPS, *vocabulary.slugs(facet.term_set)]
    extra = {
        "member_of": [NO_MEMBERSHIP],
        "mentoring_type": [NOT_STATED],
        "access": [NOT_STATED],
        "region": [NOT_STATED],
    }.get(facet_id, [])
    return vocabulary.slugs(facet.term_set) + extra


def value_label(facet_id: str, value: str, vocabulary: Vocabulary) -> str:
    if value in SPECIAL_LABELS:
        return SPECIAL_LABELS[value]
    return vocabulary.label(BY_ID[facet_id].term_set, value)
