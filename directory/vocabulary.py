"""The vocabulary: term sets (professions, memberships, regions, ...) and the
checker's questions, read from data/vocabulary.yaml. No Flask here.

Rules, search synonyms, facets, the checker's pages and the API's parameter
checks all take their words from this one place, so a new criterion is a data
change, not a code change.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from directory import rules, validation, yamlfile
from directory.rules import join_words
from directory.yamlfile import DataFileError, LocatedDocument, Problem

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*$")]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
SetName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*$")]
HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Worded(_Strict):
    """How a term or group reads in a sentence: "a physiotherapist", "physiotherapists"."""

    label: Text
    phrase: Text | None = None
    plural: Text | None = None

    @property
    def in_sentence(self) -> str:
        return self.phrase or self.label

    @property
    def in_plural(self) -> str:
        return self.plural or self.in_sentence


class Term(_Worded):
    slug: Slug
    description: Text | None = None
    synonyms: tuple[Text, ...] = ()
    action: Text | None = None
    # Where to take the action (a join page), only where a source gives it, and that source.
    action_url: HttpsUrl | None = None
    action_source: Text | None = None
    ahp: bool | None = None
    profession: Slug | None = None  # a membership's profession: "ask your professional body"
    institution: Slug | None = None  # a course's university: only its students are offered it

    @model_validator(mode="after")
    def _link_has_a_step_and_a_source(self) -> Term:
        if self.action_url and not (self.action and self.action_source):
            raise ValueError("action_url needs the action it is for and its action_source")
        return self


class Group(_Worded):
    slug: Slug
    members: tuple[Slug, ...] = ()
    where: dict[str, Any] = Field(default_factory=dict)


class TermSet(_Strict):
    label: Text
    terms: tuple[Term, ...]
    groups: tuple[Group, ...] = ()
    # Terms added from the catalogue's organisations (see Vocabulary.extended):
    # "institutions" (organisations that list courses) or "programmes" (those courses).
    from_organisations: Literal["institutions", "programmes"] | None = None


class Question(_Strict):
    id: QuestionId
    term_set: SetName
    text: Text
    hint: Text | None = None
    multiple: bool = False
    default: Slug | None = None
    ask_if: dict[str, Any] | None = None
    none_label: Text | None = None
    widget: Literal["radios", "select", "checkboxes"] = "radios"
    error: Text  # GOV.UK wording for a missing answer: "Select your profession"
    condition: Text
    condition_not: Text
    unmet: Text
    unmet_not: Text
    unknown: Text


class VocabularyFile(_Strict):
    term_sets: dict[SetName, TermSet]
    questions: tuple[Question, ...]


# Placeholders a question's sentence templates may use.
TEMPLATE_FIELDS = {
    "terms",
    "terms.plural",
    "terms.label",
    "answer",
    "answer.plural",
    "answer.label",
}
TEMPLATES = ("condition", "condition_not", "unmet", "unmet_not", "unknown")


@dataclass(frozen=True)
class _Words:
    """What a template placeholder expands to: a list of terms, joined for a sentence."""

    items: tuple[Term | Group, ...]
    conjunction: str
    empty: str = "none of these"

    def _join(self, words: list[str]) -> str:
        return join_words(words, self.conjunction) if words else self.empty

    def __format__(self, spec: str) -> str:
        return self._join([item.in_sentence for item in self.items])

    @property
    def plural(self) -> str:
        return self._join([item.in_plural for item in self.items])

    @property
    def label(self) -> str:
        return self._join([item.label for item in self.items])


class Vocabulary:
    """Validated vocabulary with fast lookups for the rule engine and the web layer."""

    def __init__(self, parsed: VocabularyFile, base: Vocabulary | None = None):
        self.parsed = parsed
        self.base = base or self  # the file's vocabulary, before any catalogue's courses
        self.term_sets: dict[str, TermSet] = dict(parsed.term_sets)
        self.questions: dict[str, Question] = {q.id: q for q in parsed.questions}
        self._terms = {
            (name, term.slug): term for name, ts in self.term_sets.items() for term in ts.terms
        }
        self._groups = {
            (name, group.slug): group for name, ts in self.term_sets.items() for group in ts.groups
        }
        self._expansions = {
            key: self._group_members(key[0], group) for key, group in self._groups.items()
        }
        self.compiler = rules.RuleCompiler(self)
        self.ask_if: dict[str, rules.Rule] = {}  # question id -> compiled rule, set by load()

    def _group_members(self, set_name: str, group: Group) -> frozenset[str]:
        chosen = set(group.members)
        if group.where:
            for term in self.term_sets[set_name].terms:
                if all(getattr(term, key, None) == value for key, value in group.where.items()):
                    chosen.add(term.slug)
        return frozenset(chosen)

    def extended(self, organisations) -> Vocabulary:
        """This vocabulary plus the universities and courses the organisations list.

        Added terms come before the file's own ("Another university or college"
        stays last). Equal rules compile to shared objects only within one
        vocabulary, so a catalogue compiles its rules against the result.
        """
        base = self.base
        sets = dict(base.parsed.term_sets)
        for name, term_set in base.parsed.term_sets.items():
            if term_set.from_organisations:
                added = _organisation_terms(term_set.from_organisations, organisations)
                sets[name] = term_set.model_copy(update={"terms": (*added, *term_set.terms)})
        vocabulary = Vocabulary(base.parsed.model_copy(update={"term_sets": sets}), base)
        problems = _compile_ask_if(LocatedDocument("vocabulary", None), vocabulary)
        if problems:  # the file was checked at load, so only a clash with an added term gets here
            raise DataFileError(problems)
        return vocabulary

    # Lookups -------------------------------------------------------------------------

    def slugs(self, set_name: str) -> list[str]:
        return [term.slug for term in self.term_sets[set_name].terms]

    def term(self, set_name: str, slug: str) -> Term:
        return self._terms[(set_name, slug)]

    def find(self, set_name: str, slug: str) -> Term | Group | None:
        """A term or a group of that set, or None."""
        return self._terms.get((set_name, slug)) or self._groups.get((set_name, slug))

    def expand(self, set_name: str, slug: str) -> frozenset[str]:
        """The term slugs a rule value stands for (a group stands for its members)."""
        if (set_name, slug) in self._terms:
            return frozenset({slug})
        return self._expansions[(set_name, slug)]

    def label(self, set_name: str, slug: str) -> str:
        found = self.find(set_name, slug)
        return found.label if found else slug

    def question_terms(self, question_id: str) -> tuple[Term, ...]:
        return self.term_sets[self.questions[question_id].term_set].terms

    @cached_property
    def synonyms(self) -> dict[str, list[tuple[str, str]]]:
        """Lower-cased word or phrase -> [(term set, slug)], for search and type-ahead."""
        found: dict[str, list[tuple[str, str]]] = {}
        for (set_name, slug), term in self._terms.items():
            for word in (term.label, *term.synonyms, slug.replace("-", " ")):
                found.setdefault(word.lower(), []).append((set_name, slug))
        return found

    # Sentences -------------------------------------------------------------------------

    def sentence(
        self,
        question_id: str,
        template: str,
        terms: tuple[Term | Group, ...] = (),
        answer: tuple[Term, ...] = (),
    ) -> str:
        """Fill one of a question's templates, e.g. condition -> "you are a physiotherapist"."""
        question = self.questions[question_id]
        text = getattr(question, template)
        return text.format(
            terms=_Words(tuple(terms), "or"),
            answer=_Words(tuple(answer), "and", question.none_label or "none of these"),
        )


def _organisation_terms(kind: str, organisations) -> list[Term]:
    with_courses = [o for o in organisations if getattr(o, "programmes", ())]
    if kind == "institutions":
        return [
            Term(
                slug=o.id,
                label=f"{o.name} ({o.abbreviation})" if o.abbreviation else o.name,
                synonyms=tuple(filter(None, [o.abbreviation, o.name])),
            )
            for o in sorted(with_courses, key=lambda o: o.name.lower())
        ]
    return [
        Term(slug=p.slug, label=p.label, phrase=p.phrase, synonyms=p.synonyms, institution=o.id)
        for o in sorted(with_courses, key=lambda o: o.name.lower())
        for p in o.programmes
    ]


# Loading ---------------------------------------------------------------------------------


def load(path: str | Path, display_name: str | None = None) -> Vocabulary:
    """Read and validate a vocabulary file; raise DataFileError listing every problem."""
    document = yamlfile.read(path, display_name)
    return from_document(document)


def from_document(document: LocatedDocument) -> Vocabulary:
    parsed, problems = validation.validate(document, VocabularyFile, document.data or {})
    if parsed is None:
        raise DataFileError(problems)
    vocabulary = Vocabulary(parsed)
    problems = _check_references(document, parsed, vocabulary)
    if problems:
        raise DataFileError(problems)
    problems = _compile_ask_if(document, vocabulary)
    if problems:
        raise DataFileError(problems)
    return vocabulary


def _check_references(
    document: LocatedDocument, parsed: VocabularyFile, vocabulary: Vocabulary
) -> list[Problem]:
    problems: list[Problem] = []
    for set_name, term_set in parsed.term_sets.items():
        where = ("term_sets", set_name)
        problems += _duplicates(document, [t.slug for t in term_set.terms], (*where, "terms"))
        seen = {t.slug for t in term_set.terms}
        for i, group in enumerate(term_set.groups):
            at = (*where, "groups", i)
            if group.slug in seen:
                problems.append(document.problem((*at, "slug"), f'"{group.slug}" is already used'))
            seen.add(group.slug)
            for j, member in enumerate(group.members):
                if (set_name, member) not in vocabulary._terms:
                    problems.append(
                        document.problem((*at, "members", j), f'unknown {set_name} term "{member}"')
                    )
            for key in group.where:
                if key not in Term.model_fields:
                    problems.append(document.problem((*at, "where", key), "is not a term field"))
        for i, term in enumerate(term_set.terms):
            if term.profession and ("professions", term.profession) not in vocabulary._terms:
                problems.append(
                    document.problem(
                        (*where, "terms", i, "profession"),
                        f'unknown profession "{term.profession}"',
                    )
                )
    problems += _duplicates(document, [q.id for q in parsed.questions], ("questions",), "id")
    for i, question in enumerate(parsed.questions):
        problems += _check_question(document, vocabulary, question, ("questions", i))
    return problems


def _check_question(
    document: LocatedDocument, vocabulary: Vocabulary, question: Question, at: tuple
) -> list[Problem]:
    if question.term_set not in vocabulary.term_sets:
        known = ", ".join(sorted(vocabulary.term_sets))
        return [
            document.problem(
                (*at, "term_set"), f'unknown term set "{question.term_set}" (known: {known})'
            )
        ]
    problems = []
    terms = vocabulary.term_sets[question.term_set].terms
    if question.multiple != (question.widget == "checkboxes"):
        problems.append(
            document.problem((*at, "widget"), "use checkboxes for multiple answers, and only then")
        )
    for term in terms:
        if term.slug in (rules.NOT_SURE, rules.NONE_OF_THESE):
            problems.append(
                document.problem((*at, "term_set"), f'"{term.slug}" is reserved for answers')
            )
    if question.default and question.default not in {t.slug for t in terms}:
        problems.append(document.problem((*at, "default"), f'unknown term "{question.default}"'))
    for name in TEMPLATES:
        for _, field, _, _ in string.Formatter().parse(getattr(question, name)):
            if field is not None and field not in TEMPLATE_FIELDS:
                allowed = ", ".join("{" + f + "}" for f in sorted(TEMPLATE_FIELDS))
                problems.append(
                    document.problem(
                        (*at, name), f"unknown placeholder {{{field}}} (use {allowed})"
                    )
                )
    return problems


def _compile_ask_if(document: LocatedDocument, vocabulary: Vocabulary) -> list[Problem]:
    problems: list[Problem] = []
    for i, question in enumerate(vocabulary.questions.values()):
        if question.ask_if is not None:
            compiled, found = rules.compile_rule(
                question.ask_if, vocabulary, document, ("questions", i, "ask_if")
            )
            problems += found
            vocabulary.ask_if[question.id] = compiled
    return problems


def _duplicates(
    document: LocatedDocument, values: list[str], at: tuple, key: str = "slug"
) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for i, value in enumerate(values):
        if value in seen:
            problems.append(
                document.problem(
                    (*at, i, key), f'duplicate {key} "{value}" (also item {seen[value] + 1})'
                )
            )
        seen.setdefault(value, i)
    return problems
