"""The catalogue of mentoring schemes: data/schemes.yaml. No Flask here.

`load()` reads and validates a catalogue file against the vocabulary and
either returns a complete Catalogue or raises DataFileError listing every
problem as `file:line: field: message`: a bad file is rejected whole.
`to_yaml()` writes a catalogue back deterministically, so exports diff cleanly.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, StringConstraints

from directory import outcomes, rules, validation, yamlfile
from directory.vocabulary import Slug, Text, Vocabulary, _Strict
from directory.yamlfile import DataFileError, LocatedDocument, Problem

REVIEW_INTERVAL = dt.timedelta(days=365)
# A listing whose newest source is older than this is flagged as resting on old facts.
OLD_FACTS_AFTER = dt.timedelta(days=2 * 365)
# Listing statuses (vocabulary term set "statuses") under which nobody can join now.
NOT_JOINABLE = frozenset({"ended", "not-running-now"})
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")]
# The date a page gives, as precisely as it gives it: "2024", "2022-09" or "2024-10-15".
# YAML reads an unquoted full date as a date: take it as the text it was.
PartialDate = Annotated[
    str,
    BeforeValidator(lambda value: value.isoformat() if isinstance(value, dt.date) else value),
    StringConstraints(pattern=r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"),
]
Summary = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]

HEADER = """\
# The AHP mentoring directory catalogue: organisations and the schemes they offer.
# Written by `directory export`; edit by hand or on the site, then check with
# `directory check data/schemes.yaml`. Field meanings are in README.md.
"""


class Source(_Strict):
    """Where a fact came from: cite the most official page that states it.

    `date` is the date the page itself gives (or its publication date), as precisely as
    it gives it; `quote` is its own words, verbatim.
    """

    title: Text
    url: Url | None = None
    date: PartialDate | None = None
    quote: Text | None = None
    note: Text | None = None

    @property
    def starts(self) -> dt.date | None:
        """The first day the date could mean: the conservative age of what it says."""
        if self.date is None:
            return None
        year, month, day = ([int(part) for part in self.date.split("-")] + [1, 1])[:3]
        return dt.date(year, month, day)

    @property
    def date_in_words(self) -> str | None:
        """ "2024", "September 2022", "15 October 2024"."""
        if self.date is None:
            return None
        parts = [int(part) for part in self.date.split("-")]
        if len(parts) == 1:
            return str(parts[0])
        month_year = f"{calendar.month_name[parts[1]]} {parts[0]}"
        return month_year if len(parts) == 2 else f"{parts[2]} {month_year}"


class Programme(_Strict):
    """A course an institution runs: local schemes can be for its students only."""

    slug: Slug
    label: Text
    phrase: Text | None = None
    synonyms: tuple[Text, ...] = ()


class Organisation(_Strict):
    id: Slug
    name: Text
    abbreviation: Text | None = None
    kind: Slug
    url: Url | None = None
    description: Text | None = None
    programmes: tuple[Programme, ...] = ()
    sources: tuple[Source, ...] = ()


class RoleEligibility(_Strict):
    """Who can take part in one role, as a rule, with the words that state it."""

    rule: dict[str, Any]
    evidence: Text | None = None
    reference: Text
    also_check: tuple[Text, ...] = ()


class Window(_Strict):
    opens: dt.date
    closes: dt.date
    note: Text | None = None


class Applications(_Strict):
    how: Text | None = None
    timing: Literal["unknown", "all-year", "windows"] = "unknown"
    windows: tuple[Window, ...] = ()


class ListingStatus(_Strict):
    """Whether a listing still runs, with the evidence for it.

    `state` is a slug of the vocabulary's "statuses": running, not-running-now (between
    rounds), ended or unknown. `evidence` quotes the pages that say so, with the dates
    they give; `checked` is the day a curator or hub lead last checked it.
    """

    state: Slug = "unknown"
    evidence: tuple[Source, ...] = ()
    checked: dt.date | None = None


class Scheme(_Strict):
    id: Slug
    name: Text
    listing_type: Slug
    provider: Slug
    summary: Summary
    description: Text
    mentoring_types: tuple[Slug, ...] = ()
    access: Slug | None = None
    eligibility: dict[Slug, RoleEligibility | None]
    regions: tuple[Slug, ...] | None = None
    applications: Applications = Applications()
    url: Url | None = None
    cost: Text | None = None
    duration: Text | None = None
    sources: tuple[Source, ...]
    status: ListingStatus = ListingStatus()
    last_verified: dt.date | None = None

    @property
    def joinable(self) -> bool:
        """False once it has ended or is between rounds: never offered as one to join."""
        return self.status.state not in NOT_JOINABLE

    @property
    def newest_source(self) -> Source | None:
        """The most recently dated page its facts and status rest on (None: none dated)."""
        dated = [s for s in (*self.sources, *self.status.evidence) if s.date]
        return max(dated, key=lambda s: s.starts, default=None)

    def facts_are_old(self, today: dt.date) -> bool:
        """True when no source is dated, or the newest is older than OLD_FACTS_AFTER."""
        newest = self.newest_source
        return newest is None or newest.starts + OLD_FACTS_AFTER < today

    @property
    def review_due(self) -> dt.date | None:
        """A listing should be checked again a year after it was last verified.

        None means it has never been verified, so its review is due now.
        """
        return self.last_verified + REVIEW_INTERVAL if self.last_verified else None

    def review_is_due(self, today: dt.date) -> bool:
        return self.review_due is None or self.review_due <= today

    def window_open_on(self, day: dt.date) -> bool | None:
        """True/False where dates are published; None where they are not known."""
        if self.applications.timing == "all-year":
            return True
        if not self.applications.windows:
            return None
        return any(w.opens <= day <= w.closes for w in self.applications.windows)


class CatalogueFile(_Strict):
    organisations: tuple[Organisation, ...]
    schemes: tuple[Scheme, ...]


def content_hash(model: _Strict) -> str:
    """A stable fingerprint of a record, for change detection and sync."""
    text = json.dumps(model.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Catalogue:
    """A validated catalogue with compiled rules, ready for the engine and the database."""

    organisations: dict[str, Organisation]
    schemes: dict[str, Scheme]
    rules: dict[str, rules.SchemeRules] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)  # record id -> content hash, if known
    vocabulary: Vocabulary | None = None  # the vocabulary with this catalogue's courses added

    # Derived once per catalogue (a new Catalogue object comes with every change), so
    # pages never scan ten thousand listings to find a provider's or a form's few.

    @cached_property
    def ids_by_name(self) -> list[str]:
        """Every listing's id in name order (case-insensitive, then by id)."""
        return sorted(self.schemes, key=lambda i: (self.schemes[i].name.lower(), i))

    @cached_property
    def name_order(self) -> dict[str, int]:
        """Each listing's position in name order."""
        return {scheme_id: position for position, scheme_id in enumerate(self.ids_by_name)}

    @cached_property
    def by_provider(self) -> dict[str, list[str]]:
        """Each organisation's listing ids, in name order."""
        found: dict[str, list[str]] = {}
        for scheme_id in self.ids_by_name:
            found.setdefault(self.schemes[scheme_id].provider, []).append(scheme_id)
        return found

    @cached_property
    def by_mentoring_type(self) -> dict[str, list[str]]:
        """The ids of the listings offering each form of mentoring, in name order."""
        found: dict[str, list[str]] = {}
        for scheme_id in self.ids_by_name:
            for slug in self.schemes[scheme_id].mentoring_types:
                found.setdefault(slug, []).append(scheme_id)
        return found

    @cached_property
    def rule_table(self) -> outcomes.RuleTable:
        """The rules laid out to decide every listing at once, in name order."""
        ordered = [self.rules[i] for i in self.ids_by_name if i in self.rules]
        return outcomes.RuleTable(self.vocabulary, ordered)

    @cached_property
    def guidance_bits(self) -> int:
        """The guidance listings ("where else to look"), as a bitmap of `rule_table`."""
        return self.rule_table.bits_of(
            s.id for s in self.schemes.values() if s.listing_type == "guidance"
        )

    def keep_derived_of(self, earlier: Catalogue, changed: Iterable[str]) -> None:
        """Take over `earlier`'s derived tables that the changed listings leave as they
        were (most edits change words, not names, providers, forms or rules): every
        worker derives them again after every edit, a tenth of a second at 10,000."""
        same_listings = self.schemes.keys() == earlier.schemes.keys()
        if not same_listings or self.vocabulary is not earlier.vocabulary:
            return
        changed = list(changed)

        def unchanged(field_name: str) -> bool:
            return all(
                getattr(earlier.schemes[i], field_name) == getattr(self.schemes[i], field_name)
                for i in changed
            )

        kept = []
        if unchanged("name"):
            kept += ["ids_by_name", "name_order"]
            if unchanged("provider"):
                kept.append("by_provider")
            if unchanged("mentoring_types"):
                kept.append("by_mentoring_type")
            # Compiled rules are shared, so an unchanged rule is the same object.
            if all(earlier.rules.get(i) == self.rules.get(i) for i in changed):
                kept.append("rule_table")
                if unchanged("listing_type"):
                    kept.append("guidance_bits")
        for name in kept:
            if name in earlier.__dict__:  # where cached_property keeps what it worked out
                self.__dict__[name] = earlier.__dict__[name]

    def fingerprint(self, scheme_id: str) -> str:
        """Changes whenever anything shown for a listing changes, its provider included."""
        scheme = self.schemes[scheme_id]
        known = self.hashes
        scheme_hash = known.get(scheme_id) or content_hash(scheme)
        org_hash = known.get(f"org:{scheme.provider}") or content_hash(
            self.organisations[scheme.provider]
        )
        return f"{scheme_hash}:{org_hash}"

    def summary(self) -> str:
        kinds: dict[str, int] = {}
        for scheme in self.schemes.values():
            kinds[scheme.listing_type] = kinds.get(scheme.listing_type, 0) + 1
        detail = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        return (
            f"{len(self.schemes)} listings ({detail}) from {len(self.organisations)} organisations"
        )


# Loading ---------------------------------------------------------------------------------


def load(path: str | Path, vocabulary: Vocabulary, display_name: str | None = None) -> Catalogue:
    """Read, validate and compile a catalogue file, or raise DataFileError."""
    return from_document(yamlfile.read(path, display_name), vocabulary)


def from_text(text: str, vocabulary: Vocabulary, name: str = "<catalogue>") -> Catalogue:
    return from_document(yamlfile.parse(text, name), vocabulary)


def from_document(document: LocatedDocument, vocabulary: Vocabulary) -> Catalogue:
    data = document.data if document.data is not None else {}
    if not isinstance(data, dict):
        raise DataFileError(
            [document.problem((), "should be a mapping with organisations and schemes")]
        )
    parsed, problems = validation.validate(document, CatalogueFile, data)
    if parsed is None:
        raise DataFileError(problems)
    problems = check_programmes(document, parsed.organisations, vocabulary)
    if problems:
        raise DataFileError(problems)
    vocabulary = vocabulary.extended(parsed.organisations)
    problems = check_references(document, parsed.organisations, parsed.schemes, vocabulary)
    schemes = [canonical(scheme, vocabulary) for scheme in parsed.schemes]
    compiled: dict[str, rules.SchemeRules] = {}
    for i, scheme in enumerate(schemes):
        scheme_rules, found = compile_scheme(scheme, vocabulary, document, ("schemes", i))
        problems += found
        compiled[scheme.id] = scheme_rules
    if problems:
        raise DataFileError(problems)
    return Catalogue(
        organisations={o.id: o for o in parsed.organisations},
        schemes={s.id: s for s in schemes},
        rules=compiled,
        vocabulary=vocabulary,
    )


def check_programmes(
    document: LocatedDocument, organisations, vocabulary: Vocabulary
) -> list[Problem]:
    """Courses and universities become terms (Vocabulary.extended): their slugs must not clash."""
    static = {
        ts.from_organisations: {t.slug for t in ts.terms}
        for ts in vocabulary.base.term_sets.values()
        if ts.from_organisations
    }
    problems = []
    taken = dict.fromkeys(static.get("programmes", ()), "the vocabulary")
    for i, org in enumerate(organisations):
        if org.programmes and org.id in static.get("institutions", ()):
            problems.append(
                document.problem(
                    ("organisations", i, "id"), f'"{org.id}" is reserved: choose another id'
                )
            )
        for j, programme in enumerate(org.programmes):
            if programme.slug in taken:
                problems.append(
                    document.problem(
                        ("organisations", i, "programmes", j, "slug"),
                        f'"{programme.slug}" is already used by {taken[programme.slug]}',
                    )
                )
            taken[programme.slug] = f'organisation "{org.id}"'
    return problems


def canonical(scheme: Scheme, vocabulary: Vocabulary) -> Scheme:
    """The same scheme with one eligibility entry per role, in vocabulary order.

    A role left out and a role given as null both mean "not offered"; writing
    both the same way keeps content hashes and exports stable.
    """
    roles = vocabulary.slugs("roles")
    if list(scheme.eligibility) == roles:
        return scheme
    ordered = {role: scheme.eligibility.get(role) for role in roles}
    ordered.update({k: v for k, v in scheme.eligibility.items() if k not in ordered})
    return scheme.model_copy(update={"eligibility": ordered})


def compile_scheme(
    scheme: Scheme,
    vocabulary: Vocabulary,
    document: LocatedDocument | None = None,
    at: tuple = (),
) -> tuple[rules.SchemeRules, list[Problem]]:
    """Compile a scheme's rules; `document` and `at` locate errors in a file."""
    document = document or LocatedDocument(f"scheme {scheme.id}", None)
    by_role: dict[str, rules.RoleRule] = {}
    problems: list[Problem] = []
    for role, block in scheme.eligibility.items():
        if block is None:
            continue
        rule, found = vocabulary.compiler.compile(
            block.rule, document, (*at, "eligibility", role, "rule")
        )
        problems += found
        if rule is not None:
            by_role[role] = rules.RoleRule(rule, block.also_check)
    closed = None
    if not scheme.joinable:  # its term's phrase says why: "it has ended"
        closed = vocabulary.term("statuses", scheme.status.state).in_sentence
    return rules.SchemeRules(scheme.id, by_role, closed), problems


def check_references(
    document: LocatedDocument,
    organisations: Iterable[Organisation],
    schemes: Iterable[Scheme],
    vocabulary: Vocabulary,
) -> list[Problem]:
    """Everything that pydantic's field types cannot check: slugs, ids, dates."""
    problems: list[Problem] = []
    organisations, schemes = list(organisations), list(schemes)
    org_ids = {o.id for o in organisations}
    problems += _duplicate_ids(document, "organisations", [o.id for o in organisations])
    problems += _duplicate_ids(document, "schemes", [s.id for s in schemes])

    def known(set_name: str, slug: str, at: tuple, groups: bool = False) -> None:
        found = vocabulary.find(set_name, slug)
        if found is None or (not groups and found.slug not in vocabulary.slugs(set_name)):
            noun = vocabulary.term_sets[set_name].label.lower()
            valid = ", ".join(vocabulary.slugs(set_name))
            problems.append(document.problem(at, f'unknown {noun} "{slug}" (known: {valid})'))

    for i, org in enumerate(organisations):
        known("provider_kinds", org.kind, ("organisations", i, "kind"))
    for i, scheme in enumerate(schemes):
        at = ("schemes", i)
        if scheme.provider not in org_ids:
            problems.append(
                document.problem((*at, "provider"), f'unknown organisation "{scheme.provider}"')
            )
        known("listing_types", scheme.listing_type, (*at, "listing_type"))
        if scheme.access is not None:
            known("access", scheme.access, (*at, "access"))
        for j, kind in enumerate(scheme.mentoring_types):
            known("mentoring_types", kind, (*at, "mentoring_types", j))
        for j, region in enumerate(scheme.regions or ()):
            known("regions", region, (*at, "regions", j), groups=True)
        for role in scheme.eligibility:
            known("roles", role, (*at, "eligibility", role))
        if not any(scheme.eligibility.values()):
            problems.append(
                document.problem((*at, "eligibility"), "give a rule for at least one role")
            )
        problems += _check_applications(document, scheme.applications, (*at, "applications"))
        known("statuses", scheme.status.state, (*at, "status", "state"))
        problems += _check_status(document, scheme.status, (*at, "status"))
    return problems


def _check_status(document: LocatedDocument, status: ListingStatus, at: tuple) -> list[Problem]:
    """A status other than "unknown" rests on evidence, and evidence is a page's own words."""
    problems = []
    if status.state != "unknown" and not status.evidence:
        problems.append(
            document.problem(
                (*at, "evidence"), f'give the page that says it is "{status.state}", with a quote'
            )
        )
    for j, source in enumerate(status.evidence):
        if source.quote is None:
            problems.append(
                document.problem((*at, "evidence", j, "quote"), "quote the page's own words")
            )
    return problems


def _check_applications(
    document: LocatedDocument, applications: Applications, at: tuple
) -> list[Problem]:
    problems = []
    if applications.windows and applications.timing != "windows":
        problems.append(
            document.problem((*at, "timing"), 'should be "windows" when windows are listed')
        )
    for j, window in enumerate(applications.windows):
        if window.closes < window.opens:
            problems.append(
                document.problem((*at, "windows", j, "closes"), "closes before it opens")
            )
    return problems


def _duplicate_ids(document: LocatedDocument, section: str, ids: list[str]) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for i, ident in enumerate(ids):
        if ident in first:
            line = document.line_of((section, first[ident], "id"))
            problems.append(
                document.problem(
                    (section, i, "id"), f'duplicate id "{ident}" (first used on line {line})'
                )
            )
        first.setdefault(ident, i)
    return problems


# Writing ---------------------------------------------------------------------------------


def record(model: _Strict) -> dict[str, Any]:
    """A record as plain data in field order, leaving out empty optional parts of sources."""
    data = model.model_dump(mode="json")
    if isinstance(model, Organisation) and not data["programmes"]:
        del data["programmes"]  # only universities list courses
    for source in [*data.get("sources", []), *data.get("status", {}).get("evidence", [])]:
        for key in [k for k, v in source.items() if v is None]:
            del source[key]
    return data


def to_yaml(
    organisations: Iterable[Organisation], schemes: Iterable[Scheme], vocabulary: Vocabulary
) -> str:
    """Deterministic YAML: organisations and schemes sorted by id, roles in vocabulary order."""
    document = {
        "organisations": [record(o) for o in sorted(organisations, key=lambda o: o.id)],
        "schemes": [record(canonical(s, vocabulary)) for s in sorted(schemes, key=lambda s: s.id)],
    }
    return HEADER + yamlfile.dump(document)
