"""The catalogue as Open Referral HSDS 3.0 open data: organizations and services. No Flask.

Every value comes from the catalogue, its vocabulary or its revision history;
a fact the catalogue does not know is left out (HSDS 3.0 fields are strings,
not nullable), never guessed. Identifiers are UUIDs derived from our slugs, so
they stay the same across exports, hosts and databases. The schemas we follow
are vendored in vendor/hsds-3.0/ (see SOURCE.md there); the tests validate
every object against them.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from directory import editing, facets, rules
from directory.catalogue import Applications, Catalogue, Organisation, Scheme
from directory.text import capitalise, long_date
from directory.vocabulary import Vocabulary

HSDS_VERSION = "3.0"
# Every HSDS id is uuid5(NAMESPACE, "<kind>:<slug>..."). Never change this value:
# it would change every id we have published.
NAMESPACE = uuid.UUID("89436226-824c-52d0-ab27-6218376ea654")

# Who made a change, without naming a person: revision actors are email addresses.
UPDATED_BY = {
    "import": "catalogue import",
    "remove": "catalogue import",
}
SITE_EDITOR = "directory editor"
# A listing's status (vocabulary "statuses") as HSDS 3.0's service status, which is required
# and has no "unknown". For "unknown" we say "active": the site lists the scheme as one to
# look into, and "inactive" or "defunct" would claim a closure no source reports, which is
# the worse mistake (a consumer filtering on status would hide a scheme that may well run).
# The doubt is not dropped: such a service carries UNKNOWN_STATUS_ALERT.
SERVICE_STATUS = {
    "running": "active",
    "not-running-now": "temporarily closed",
    "ended": "defunct",
    "unknown": "active",
}
UNKNOWN_STATUS_ALERT = (
    "Our sources do not say whether this scheme is running now: "
    "check with the provider before you apply."
)
STUDENTS_NOTE = "Students: your profession is the one you are studying for."


class RevisionLike(Protocol):
    """What metadata needs from a models.Revision."""

    number: int
    action: str
    created_at: dt.datetime
    document: dict | None


def stable_id(kind: str, *parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join((kind, *parts))))


def organization_id(org_slug: str) -> str:
    return stable_id("organization", org_slug)


def service_id(scheme_slug: str) -> str:
    return stable_id("service", scheme_slug)


# Taxonomies: professions and types of mentoring, from the vocabulary ------------------------


@dataclass(frozen=True)
class Taxonomy:
    name: str
    term_set: str
    description: str
    link_type: str  # what an attribute with one of its terms says about a service
    page: str  # path of a term's page on the site, with {slug}

    @property
    def id(self) -> str:
        return stable_id("taxonomy", self.name)

    def term_id(self, slug: str) -> str:
        return stable_id("taxonomy_term", self.name, slug)


PROFESSIONS = Taxonomy(
    name="ahp-directory-professions",
    term_set="professions",
    description=(
        "Professions in the AHP Mentoring Directory's vocabulary. On a service, an "
        "attribute with a profession (link_type eligibility) means the listing's rules do "
        "not rule out people of that profession as mentees; other conditions may apply, "
        "as eligibility_description says."
    ),
    link_type="eligibility",
    page="browse/professions/{slug}",
)
MENTORING_TYPES = Taxonomy(
    name="ahp-directory-mentoring-types",
    term_set="mentoring_types",
    description=(
        "Forms of mentoring in the AHP Mentoring Directory's vocabulary. A service lists "
        "only the forms its sources describe."
    ),
    link_type="service_type",
    page="mentoring-types/{slug}",
)
TAXONOMIES = (PROFESSIONS, MENTORING_TYPES)


def taxonomy(tax: Taxonomy, base_url: str) -> dict:
    return {
        "id": tax.id,
        "name": tax.name,
        "description": tax.description,
        "uri": f"{_base(base_url)}/api/v1/taxonomy",
    }


def taxonomy_term(tax: Taxonomy, slug: str, vocabulary: Vocabulary, base_url: str) -> dict:
    term = vocabulary.term(tax.term_set, slug)
    return {
        "id": tax.term_id(slug),
        "code": slug,
        "name": term.label,
        # HSDS requires a description; a term without one in the vocabulary has only its name.
        "description": term.description or term.label,
        # HSDS 3.0 (as released) wants `taxonomy` as text naming the taxonomy in use and
        # the taxonomy object itself in `taxonomy_detail`.
        "taxonomy": tax.name,
        "taxonomy_detail": taxonomy(tax, base_url),
        "language": "en",
        "taxonomy_id": tax.id,
        "term_uri": f"{_base(base_url)}/{tax.page.format(slug=slug)}",
    }


def _attribute(
    tax: Taxonomy, slug: str, scheme: Scheme, vocabulary: Vocabulary, base_url: str
) -> dict:
    return {
        "id": stable_id("attribute", scheme.id, tax.name, slug),
        "link_id": service_id(scheme.id),
        "taxonomy_term_id": tax.term_id(slug),
        "link_type": tax.link_type,
        "link_entity": "service",
        "taxonomy_term": taxonomy_term(tax, slug, vocabulary, base_url),
    }


# Organizations --------------------------------------------------------------------------------


def organization(org: Organisation, vocabulary: Vocabulary) -> dict:
    data: dict[str, Any] = {"id": organization_id(org.id), "name": org.name}
    if org.abbreviation:
        data["alternate_name"] = org.abbreviation
    # HSDS requires a description: without our own, say what kind of body it is (a fact we hold).
    data["description"] = org.description or f"{vocabulary.label('provider_kinds', org.kind)}."
    if org.url:
        data["website"] = org.url
    return data


def organizations(catalogue: Catalogue) -> list[dict]:
    """Every organisation, by slug."""
    return [
        organization(catalogue.organisations[slug], catalogue.vocabulary)
        for slug in sorted(catalogue.organisations)
    ]


# Services -------------------------------------------------------------------------------------


def service(
    scheme: Scheme,
    catalogue: Catalogue,
    base_url: str,
    revisions: Sequence[RevisionLike] | None = None,
    with_organization: bool = False,
) -> dict:
    """One listing as an HSDS service; `revisions` (oldest first) become its metadata."""
    vocabulary = catalogue.vocabulary
    data: dict[str, Any] = {
        "id": service_id(scheme.id),
        "organization_id": organization_id(scheme.provider),
        "name": scheme.name,
        "description": f"{scheme.summary}\n\n{scheme.description}",
    }
    if scheme.url:
        data["url"] = scheme.url
    data["status"] = SERVICE_STATUS[scheme.status.state]
    if scheme.status.state == "unknown":
        data["alert"] = UNKNOWN_STATUS_ALERT
    process = application_process(scheme.applications)
    if process:
        data["application_process"] = process
    if scheme.cost:
        data["fees_description"] = scheme.cost
    data["eligibility_description"] = eligibility_description(scheme, catalogue)
    if scheme.last_verified:
        data["assured_date"] = scheme.last_verified.isoformat()
    if scheme.regions is not None:
        data["service_areas"] = [
            {
                "id": stable_id("service_area", scheme.id, region),
                "service_id": service_id(scheme.id),
                "name": vocabulary.label("regions", region),
            }
            for region in scheme.regions
        ]
    professions = [  # the professions themselves, not the "open to all AHPs" search value
        p for p in facets.scheme_facets(scheme, catalogue)["profession"] if p != facets.ALL_AHPS
    ]
    data["attributes"] = [
        _attribute(PROFESSIONS, slug, scheme, vocabulary, base_url) for slug in professions
    ] + [
        _attribute(MENTORING_TYPES, slug, scheme, vocabulary, base_url)
        for slug in scheme.mentoring_types
    ]
    if revisions is not None:
        data["metadata"] = metadata(scheme.id, revisions)
    if with_organization:
        data["organization"] = organization(catalogue.organisations[scheme.provider], vocabulary)
    return data


def services(
    catalogue: Catalogue,
    base_url: str,
    history: Mapping[str, Sequence[RevisionLike]] | None = None,
    with_organization: bool = False,
) -> list[dict]:
    """Every listing, by slug. `history` maps scheme ids to their revisions, oldest first."""
    return [
        service(
            catalogue.schemes[slug],
            catalogue,
            base_url,
            None if history is None else history.get(slug, ()),
            with_organization,
        )
        for slug in sorted(catalogue.schemes)
    ]


def scheme_for(catalogue: Catalogue, hsds_id: str) -> Scheme | None:
    """The listing whose HSDS service id this is."""
    return next((s for s in catalogue.schemes.values() if service_id(s.id) == hsds_id), None)


def export(
    catalogue: Catalogue, base_url: str, history: Mapping[str, Sequence[RevisionLike]]
) -> str:
    """The whole catalogue as one deterministic JSON document."""
    document = {
        "organizations": organizations(catalogue),
        "services": services(catalogue, base_url, history),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# Words: applications and eligibility ----------------------------------------------------------


def application_process(applications: Applications) -> str | None:
    """How to apply and when, as far as the sources say; None if they say nothing."""
    parts = [applications.how] if applications.how else []
    if applications.timing == "all-year":
        parts.append("You can apply at any time of year.")
    elif applications.timing == "windows" and applications.windows:
        windows = [
            f"{long_date(w.opens)} to {long_date(w.closes)}" + (f" ({w.note})" if w.note else "")
            for w in applications.windows
        ]
        parts.append(f"Applications open: {'; '.join(windows)}.")
    elif applications.timing == "windows":
        parts.append("Applications open in rounds; the dates are not published.")
    elif parts:
        parts.append("Our sources do not say when applications open.")
    return " ".join(parts) or None


def _sentence(text: str) -> str:
    text = capitalise(text.strip())
    return text if text.endswith((".", "?", "!", ":")) else f"{text}."


def condition_lines(condition: rules.Condition, depth: int = 0) -> list[str]:
    """A described rule's conditions as a bulleted list, nested groups indented."""
    lines = []
    for child in condition.children:
        lines.append(f"{'  ' * depth}- {capitalise(child.text)}")
        lines += condition_lines(child, depth + 1)
    return lines


def role_description(role: str, role_rule: rules.RoleRule, vocabulary: Vocabulary) -> str:
    """ "As a mentee, you can take part if all of these apply:" and the conditions."""
    node = role_rule.rule
    if isinstance(node, rules.AllOf) and not node.children:
        lines = [f"As a {role}, anyone can take part: there are no conditions."]
    else:
        condition = rules.describe(vocabulary, node)
        lines = [f"As a {role}, you can take part if {condition.text}"]
        if condition.children:
            lines += condition_lines(condition)
        else:
            lines[0] += "."
    if role_rule.also_check:
        lines.append("Also check:")
        lines += [f"- {_sentence(note)}" for note in role_rule.also_check]
    return "\n".join(lines)


def eligibility_description(scheme: Scheme, catalogue: Catalogue) -> str:
    """Who can take part, in each role, from the listing's rules (as the scheme page says it)."""
    vocabulary = catalogue.vocabulary
    by_role = catalogue.rules[scheme.id].by_role
    paragraphs = [
        role_description(role, by_role[role], vocabulary)
        for role in vocabulary.slugs("roles")
        if role in by_role
    ]
    if "mentee" not in by_role:
        paragraphs.append("This listing does not describe a way to find a mentor.")
    if "mentor" not in by_role:
        paragraphs.append("This listing does not describe a way to become a mentor.")
    paragraphs.append(STUDENTS_NOTE)
    return "\n\n".join(paragraphs)


# Metadata: the listing's published history --------------------------------------------------


def timestamp(moment: dt.datetime) -> str:
    """UTC, to the second; SQLite hands back naive datetimes, which we store as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def metadata(scheme_id: str, revisions: Sequence[RevisionLike]) -> list[dict]:
    """One entry per change, newest first, as HSDS asks: a new listing is one "create"
    entry, an edit is one "update" entry per field changed (field names are the
    catalogue's, as in README.md), a removal one "delete" entry. `updated_by` says how
    the change was made, not who made it: editors' names stay private."""
    by_revision: list[list[dict]] = []
    previous: dict | None = None
    for revision in sorted(revisions, key=lambda r: r.number):
        if revision.document is None:
            entries = [_entry(scheme_id, revision, "delete")]
        elif previous is None:
            entries = [_entry(scheme_id, revision, "create")]
        else:
            entries = [
                _entry(scheme_id, revision, "update", change.field, change.before, change.after)
                for change in editing.diff(previous, revision.document)
            ]
        by_revision.append(entries)
        previous = revision.document
    return [e for entries in reversed(by_revision) for e in entries]


def _entry(
    scheme_id: str,
    revision: RevisionLike,
    action: str,
    field: str = "",
    before: str = "",
    after: str = "",
) -> dict:
    return {
        "id": stable_id("metadata", scheme_id, str(revision.number), field),
        "resource_id": service_id(scheme_id),
        "resource_type": "service",
        "last_action_date": timestamp(revision.created_at),
        "last_action_type": action,
        "field_name": field,
        "previous_value": before,
        "replacement_value": after,
        "updated_by": UPDATED_BY.get(revision.action, SITE_EDITOR),
    }


def _base(base_url: str) -> str:
    return base_url.rstrip("/")
