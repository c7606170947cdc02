"""The eligibility rule engine. Pure, deterministic, no Flask.

A rule is data: `all` / `any` / `not` over predicates, where a predicate is a
question from the vocabulary with the answers it accepts (`profession: ahp`,
`member_of: csp`), or `confirm: <text>` for a condition nobody can answer in
advance ("ask your employer"). Rules are compiled once: `not` is pushed down
to the predicates (De Morgan), group slugs are expanded, and equal sub-rules
are shared, so one person's answers are evaluated once per distinct rule.

Evaluation has three outcomes, each with plain-English reasons:
  eligible    every condition holds (reasons say why)
  possible    nothing rules the person out, but something is unknown or
              attainable (needs say what to find out or do: "join the CSP")
  ineligible  a fixed condition fails (reasons say which)
"""

from __future__ import annotations

import difflib
import enum
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from directory.yamlfile import LocatedDocument, Problem

if TYPE_CHECKING:
    from directory.vocabulary import Vocabulary

NOT_SURE = "not-sure"  # any question may be answered "I'm not sure"
NONE_OF_THESE = "none"  # a multiple-choice question answered "none of these"
COMBINATORS = ("all", "any", "not", "confirm")


class Status(enum.Enum):
    ELIGIBLE = "eligible"
    POSSIBLE = "possible"
    INELIGIBLE = "ineligible"


# Compiled rules --------------------------------------------------------------------------
# eq=False: nodes are compared by identity, which interning makes equal to structure.


@dataclass(frozen=True, eq=False)
class Predicate:
    question: str
    written: tuple[str, ...]  # slugs as the curator wrote them (groups kept): for sentences
    accepts: frozenset[str]  # term slugs after expanding groups
    negated: bool = False


@dataclass(frozen=True, eq=False)
class Confirm:
    text: str


@dataclass(frozen=True, eq=False)
class AllOf:
    children: tuple[Rule, ...]


@dataclass(frozen=True, eq=False)
class AnyOf:
    children: tuple[Rule, ...]


Rule = Predicate | Confirm | AllOf | AnyOf


def _key(node: Rule) -> tuple:
    if isinstance(node, Predicate):
        return ("p", node.question, node.written, node.negated)
    if isinstance(node, Confirm):
        return ("c", node.text)
    return (type(node).__name__, tuple(id(child) for child in node.children))


class RuleCompiler:
    """Compiles raw rules against a vocabulary, sharing equal sub-rules."""

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self._interned: dict[tuple, Rule] = {}

    def intern(self, node: Rule) -> Rule:
        return self._interned.setdefault(_key(node), node)

    def compile(
        self, raw: Any, document: LocatedDocument, at: tuple, negated: bool = False
    ) -> tuple[Rule | None, list[Problem]]:
        if not isinstance(raw, dict) or len(raw) != 1:
            known = ", ".join((*COMBINATORS, *self.vocabulary.questions))
            return None, [
                document.problem(at, f"a rule is a mapping with one key, one of: {known}")
            ]
        ((key, value),) = raw.items()
        here = (*at, key)
        if key in ("all", "any"):
            return self._combine(key, value, document, here, negated)
        if key == "not":
            return self.compile(value, document, here, not negated)
        if key == "confirm":
            if negated:
                return None, [document.problem(here, "a confirm condition cannot be negated")]
            if not isinstance(value, str) or not value.strip():
                return None, [document.problem(here, "should be the step to take, as text")]
            return self.intern(Confirm(value.strip())), []
        if key in self.vocabulary.questions:
            return self._predicate(key, value, document, here, negated)
        known = ", ".join((*COMBINATORS, *self.vocabulary.questions))
        return None, [document.problem(here, f'unknown predicate "{key}" (known: {known})')]

    def _combine(self, key, value, document, here, negated):
        if not isinstance(value, list):
            return None, [document.problem(here, f"{key} should be a list of rules")]
        children, problems = [], []
        for i, item in enumerate(value):
            child, found = self.compile(item, document, (*here, i), negated)
            problems += found
            children.append(child)
        if problems:
            return None, problems
        # De Morgan: not(all(a, b)) == any(not a, not b)
        conjunctive = (key == "all") != negated
        if not conjunctive and not children:
            return None, [document.problem(here, "can never be met: it needs at least one rule")]
        node = AllOf(tuple(children)) if conjunctive else AnyOf(tuple(children))
        return self.intern(node), []

    def _predicate(self, question_id, value, document, here, negated):
        values = value if isinstance(value, list) else [value]
        if not values:
            return None, [document.problem(here, "should name at least one value")]
        set_name = self.vocabulary.questions[question_id].term_set
        term_set = self.vocabulary.term_sets[set_name]
        written, accepts, problems = [], set(), []
        for i, item in enumerate(values):
            at = (*here, i) if isinstance(value, list) else here
            slug = str(item) if isinstance(item, int) and not isinstance(item, bool) else item
            if not isinstance(slug, str):
                problems.append(document.problem(at, f"should be a slug, not {item!r}"))
                continue
            if self.vocabulary.find(set_name, slug) is None:
                noun = term_set.label.lower()
                hint = self.suggestion(set_name, slug)
                problems.append(document.problem(at, f'unknown {noun} "{slug}"{hint}'))
                continue
            written.append(slug)
            accepts |= self.vocabulary.expand(set_name, slug)
        if problems:
            return None, problems
        return self.intern(Predicate(question_id, tuple(written), frozenset(accepts), negated)), []

    def suggestion(self, set_name: str, slug: str, groups: bool = True) -> str:
        """' (did you mean "physiotherapist"?)' for "physio", from synonyms or spelling."""
        found = self.vocabulary.synonyms.get(slug.lower().replace("-", " "), [])
        matches = [s for (name, s) in found if name == set_name]
        if not matches:
            term_set = self.vocabulary.term_sets[set_name]
            known = [t.slug for t in term_set.terms]
            known += [g.slug for g in term_set.groups] if groups else []
            matches = difflib.get_close_matches(slug, known, n=1)
        return f' (did you mean "{matches[0]}"?)' if matches else ""


def compile_rule(raw, vocabulary, document, at):
    """Compile one rule with the vocabulary's shared compiler."""
    return vocabulary.compiler.compile(raw, document, at)


# Answers -------------------------------------------------------------------------------

Answers = Mapping[str, frozenset[str] | None]  # question id -> chosen slugs; None = unknown


class AnswerError(ValueError):
    """An answer that is not in the vocabulary: names the parameter and what is valid."""

    def __init__(self, parameter: str, message: str, valid: list[str]):
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.valid = valid


def valid_answers(vocabulary: Vocabulary, question_id: str) -> list[str]:
    """Every value a question accepts: its terms, "none" if multiple-choice, and "not-sure"."""
    question = vocabulary.questions[question_id]
    extra = [NONE_OF_THESE, NOT_SURE] if question.multiple else [NOT_SURE]
    return vocabulary.slugs(question.term_set) + extra


def parse_answers(vocabulary: Vocabulary, raw: Mapping[str, Iterable[str] | str | None]) -> dict:
    """Turn request or command-line values into Answers, applying declared defaults.

    Missing questions and "not-sure" are unknown (None); for a multiple-choice
    question "none" means none of the options, and options ticked with "not-sure"
    mean "these, and I'm not sure about the rest" (the set keeps "not-sure"). Keys
    that are not question ids are ignored; a value outside the vocabulary raises
    AnswerErrors naming every bad parameter with its valid values.
    """
    answers: dict[str, frozenset[str] | None] = {}
    errors: list[AnswerError] = []
    for question in vocabulary.questions.values():
        given = raw.get(question.id)
        values = [given] if isinstance(given, str) else [v for v in (given or []) if v != ""]
        try:
            answers[question.id] = _parse_answer(vocabulary, question, values)
        except AnswerError as error:
            errors.append(error)
    if errors:
        raise AnswerErrors(errors)
    return answers


def _parse_answer(vocabulary: Vocabulary, question, values: list[str]) -> frozenset[str] | None:
    if not values:
        return frozenset({question.default}) if question.default else None
    valid = valid_answers(vocabulary, question.id)
    unknown = [v for v in values if v not in valid]
    if unknown:
        hint = vocabulary.compiler.suggestion(question.term_set, unknown[0], groups=False)
        raise AnswerError(question.id, f'unknown value "{unknown[0]}"{hint}', valid)
    if len(values) > 1 and not question.multiple:
        raise AnswerError(question.id, "give one value only", valid)
    if NONE_OF_THESE in values and len(values) > 1:
        raise AnswerError(
            question.id, f'"{NONE_OF_THESE}" cannot be combined with other answers', valid
        )
    if set(values) == {NOT_SURE}:
        return None
    # "These, and I'm not sure about the rest": the ticked ones are known, the others
    # unknown. NOT_SURE stays in the set to say so (see Evaluator._predicate).
    return frozenset() if NONE_OF_THESE in values else frozenset(values)


class AnswerErrors(ValueError):
    def __init__(self, errors: list[AnswerError]):
        super().__init__("; ".join(f"{e.parameter}: {e.message}" for e in errors))
        self.errors = errors


# Evaluation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: Status
    reasons: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


class Evaluator:
    """Evaluates rules for one person's answers, each distinct rule once (and, given
    SharedOutcomes, each distinct rule once for everyone who answers its questions alike)."""

    def __init__(
        self, vocabulary: Vocabulary, answers: Answers, shared: SharedOutcomes | None = None
    ):
        self.vocabulary = vocabulary
        self.answers = answers
        self.shared = shared
        self._memo: dict[int, Outcome] = {}
        self.worded: dict[tuple, Outcome] = {}  # see _role_outcome

    def outcome(self, node: Rule) -> Outcome:
        found = self._memo.get(id(node))
        if found is None:
            found = self._memo[id(node)] = (
                self.shared.outcome(self, node) if self.shared else self._evaluate(node)
            )
        return found

    def _evaluate(self, node: Rule) -> Outcome:
        if isinstance(node, Predicate):
            return self._predicate(node)
        if isinstance(node, Confirm):
            return Outcome(Status.POSSIBLE, needs=(node.text,))
        outcomes = [self.outcome(child) for child in node.children]
        return _all(outcomes) if isinstance(node, AllOf) else _any(outcomes)

    def _predicate(self, node: Predicate) -> Outcome:
        vocabulary = self.vocabulary
        question = vocabulary.questions[node.question]
        set_name = question.term_set
        written = tuple(vocabulary.find(set_name, slug) for slug in node.written)
        answer = self.answers.get(node.question)
        if answer is None:
            return Outcome(
                Status.POSSIBLE, needs=(vocabulary.sentence(node.question, "unknown", written),)
            )
        matched = tuple(vocabulary.term(set_name, s) for s in sorted(answer & node.accepts))
        answered = tuple(vocabulary.term(set_name, s) for s in sorted(answer - {NOT_SURE}))
        unsure_of_rest = NOT_SURE in answer and not matched
        if unsure_of_rest:  # not among the ticked ones, and not sure about the others
            return Outcome(
                Status.POSSIBLE, needs=(vocabulary.sentence(node.question, "unknown", written),)
            )
        if node.negated:
            if matched:
                return Outcome(
                    Status.INELIGIBLE, (vocabulary.sentence(node.question, "unmet_not", matched),)
                )
            return Outcome(
                Status.ELIGIBLE, (vocabulary.sentence(node.question, "condition_not", written),)
            )
        if matched:
            return Outcome(
                Status.ELIGIBLE, (vocabulary.sentence(node.question, "condition", matched),)
            )
        steps = [vocabulary.term(set_name, s).action for s in sorted(node.accepts)]
        if any(steps):  # something the person can do: join a body, apply to a programme
            return Outcome(Status.POSSIBLE, needs=(_join_steps(steps),))
        reason = vocabulary.sentence(node.question, "unmet", written, answered)
        return Outcome(Status.INELIGIBLE, (reason,))


class SharedOutcomes:
    """Worded outcomes kept from one person to the next, for the rules of one catalogue.

    A rule's outcome, reasons and all, depends only on the answers to the questions its
    predicates ask, and people share those: a rule about profession and region reads
    the same for every physiotherapist in London, whatever else they answered. Keyed
    by the rule (held, so never reused for another) and those answers; emptied when
    full, so memory stays bounded whatever people answer.
    """

    def __init__(self, limit: int = 20_000):
        self.limit = limit
        self._questions: dict[Rule, tuple[str, ...]] = {}
        self._outcomes: dict[tuple, Outcome] = {}

    def outcome(self, evaluator: Evaluator, node: Rule) -> Outcome:
        questions = self._questions.get(node)
        if questions is None:
            questions = questions_asked(node)
            self._questions[node] = questions
        key = (node, *map(evaluator.answers.get, questions))
        found = self._outcomes.get(key)
        if found is None:
            found = evaluator._evaluate(node)
            if len(self._outcomes) >= self.limit:
                self._outcomes.clear()
            self._outcomes[key] = found
        return found


def join_words(words: list[str], conjunction: str = "or") -> str:
    """["a", "b", "c"] -> "a, b or c"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _join_steps(steps: list[str]) -> str:
    return join_words([s for s in steps if s], "or")


def _all(outcomes: list[Outcome]) -> Outcome:
    if not outcomes:
        return Outcome(Status.ELIGIBLE, ("there are no conditions: it is open to everyone",))
    failed = [o for o in outcomes if o.status is Status.INELIGIBLE]
    if failed:
        return Outcome(Status.INELIGIBLE, _unique(r for o in failed for r in o.reasons))
    met = _unique(r for o in outcomes if o.status is Status.ELIGIBLE for r in o.reasons)
    open_ = [o for o in outcomes if o.status is Status.POSSIBLE]
    if open_:
        return Outcome(Status.POSSIBLE, met, _unique(n for o in open_ for n in o.needs))
    return Outcome(Status.ELIGIBLE, met)


def _fewest_needs(outcomes: list[Outcome]) -> list[Outcome]:
    """Leave out an alternative that needs everything another needs and more: "find out X,
    or find out X and do Y" is just "find out X"."""
    return [
        o
        for o in outcomes
        if not any(set(other.needs) < set(o.needs) for other in outcomes if other is not o)
    ]


def _any(outcomes: list[Outcome]) -> Outcome:
    for outcome in outcomes:
        if outcome.status is Status.ELIGIBLE:
            return outcome
    open_ = _fewest_needs([o for o in outcomes if o.status is Status.POSSIBLE])
    if len(open_) == 1:
        return open_[0]
    if open_:
        alternatives = _unique(" and ".join(o.needs) for o in open_)
        return Outcome(Status.POSSIBLE, needs=(join_words(list(alternatives), "or"),))
    return Outcome(Status.INELIGIBLE, _unique(r for o in outcomes for r in o.reasons))


@dataclass(frozen=True)
class RoleRule:
    """Who can take part in one role (mentee or mentor), with notes to check."""

    rule: Rule
    also_check: tuple[str, ...] = ()


class Decision(NamedTuple):
    """One listing's outcome for one person. A named tuple, not a frozen dataclass: it
    is built three times faster, and a page of results builds sixty."""

    scheme_id: str
    status: Status
    reasons: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    also_check: tuple[str, ...] = ()
    role: str | None = None


@dataclass(frozen=True)
class SchemeRules:
    """A scheme's compiled rules, one per role it offers.

    `closed` says why nobody can join it now ("it has ended"), for a listing that has
    ended or is between rounds: whatever its rules say, it is then never eligible or
    possible, so nobody is told they can join it.
    """

    scheme_id: str
    by_role: Mapping[str, RoleRule] = field(default_factory=dict)
    closed: str | None = None


_ORDER = {Status.ELIGIBLE: 0, Status.POSSIBLE: 1, Status.INELIGIBLE: 2}


def decide(evaluator: Evaluator, scheme: SchemeRules) -> Decision:
    """The decision for one scheme in the role the person chose (or any role, if unsure)."""
    chosen = evaluator.answers.get("role")
    if chosen is not None:
        (role,) = chosen
        outcome = _role_outcome(evaluator, scheme, role, labelled=False)
    else:
        roles = evaluator.vocabulary.slugs("roles")
        outcomes = [(_role_outcome(evaluator, scheme, r, labelled=True), r) for r in roles]
        outcome, role = min(outcomes, key=lambda pair: _ORDER[pair[0].status])
    if scheme.closed and outcome.status is not Status.INELIGIBLE:
        return Decision(scheme.scheme_id, Status.INELIGIBLE, (scheme.closed,), role=role)
    role_rule = scheme.by_role.get(role)
    also = role_rule.also_check if role_rule and outcome.status is not Status.INELIGIBLE else ()
    return Decision(scheme.scheme_id, outcome.status, outcome.reasons, outcome.needs, also, role)


def _role_outcome(evaluator: Evaluator, scheme: SchemeRules, role: str, labelled: bool) -> Outcome:
    """A scheme's outcome in one role, worded once per distinct rule (schemes share rules)."""
    role_rule = scheme.by_role.get(role)
    key = (role, labelled, id(role_rule.rule) if role_rule else tuple(scheme.by_role))
    found = evaluator.worded.get(key)
    if found is None:
        found = evaluator.worded[key] = _word_role_outcome(evaluator, scheme, role, labelled)
    return found


def _word_role_outcome(
    evaluator: Evaluator, scheme: SchemeRules, role: str, labelled: bool
) -> Outcome:
    vocabulary = evaluator.vocabulary
    role_rule = scheme.by_role.get(role)
    if role_rule is None:
        offered = tuple(vocabulary.term("roles", r) for r in scheme.by_role)
        reason = vocabulary.sentence("role", "unmet", offered, (vocabulary.term("roles", role),))
        return Outcome(Status.INELIGIBLE, (reason,))
    outcome = evaluator.outcome(role_rule.rule)
    if not labelled:
        return outcome
    # The person was not sure of their role: say which role each reason is about.
    prefix = vocabulary.term("roles", role).label.lower()
    return Outcome(
        outcome.status, tuple(f"to {prefix}: {r}" for r in outcome.reasons), outcome.needs
    )


def decide_all(
    vocabulary: Vocabulary, answers: Answers, schemes: Iterable[SchemeRules]
) -> list[Decision]:
    evaluator = Evaluator(vocabulary, answers)
    return [decide(evaluator, scheme) for scheme in schemes]


def predicates(node: Rule) -> Iterator[Predicate]:
    """Every predicate in a rule, depth first."""
    if isinstance(node, Predicate):
        yield node
    elif isinstance(node, AllOf | AnyOf):
        for child in node.children:
            yield from predicates(child)


def questions_asked(node: Rule) -> tuple[str, ...]:
    """The questions a rule's predicates ask, each once, in name order: the only answers
    its outcome depends on."""
    return tuple(sorted({p.question for p in predicates(node)}))


def should_ask(vocabulary: Vocabulary, question_id: str, answers: Answers) -> bool:
    """A question is asked unless its `ask_if` rule rules it out for these answers."""
    rule = vocabulary.ask_if.get(question_id)
    return (
        rule is None or Evaluator(vocabulary, answers).outcome(rule).status is not Status.INELIGIBLE
    )


# Describing rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A rule in plain English, for scheme pages: a sentence, or a group of conditions."""

    text: str  # a condition ("you are a physiotherapist") or a group heading
    children: tuple[Condition, ...] = ()


def describe(vocabulary: Vocabulary, node: Rule) -> Condition:
    """The conditions a rule sets, as the public reads them."""
    if isinstance(node, Predicate):
        set_name = vocabulary.questions[node.question].term_set
        terms = tuple(vocabulary.find(set_name, slug) for slug in node.written)
        template = "condition_not" if node.negated else "condition"
        return Condition(vocabulary.sentence(node.question, template, terms))
    if isinstance(node, Confirm):
        return Condition(f"you {node.text}")
    if isinstance(node, AllOf) and not node.children:
        return Condition("anyone can take part: there are no conditions")
    children = tuple(describe(vocabulary, child) for child in node.children)
    if len(children) == 1:
        return children[0]
    heading = "all of these apply:" if isinstance(node, AllOf) else "at least one of these applies:"
    return Condition(heading, children)


# Checking a rule can be met --------------------------------------------------------------


def _steps_taken(node: Rule) -> Rule:
    """The rule with every step to confirm counted as done (an empty all-of holds)."""
    if isinstance(node, Confirm):
        return AllOf(())
    if isinstance(node, AllOf | AnyOf):
        return type(node)(tuple(_steps_taken(child) for child in node.children))
    return node


def _answer_kinds(vocabulary: Vocabulary, question_id: str, nodes: list[Rule]) -> list:
    """One term for each way the rules can tell a question's answers apart: terms that
    every predicate on the question accepts or refuses alike give the same outcome."""
    terms = vocabulary.slugs(vocabulary.questions[question_id].term_set)
    asked = [p for node in nodes for p in predicates(node) if p.question == question_id]
    kinds: dict[tuple[bool, ...], str] = {}
    for slug in terms:
        kinds.setdefault(tuple(slug in p.accepts for p in asked), slug)
    return list(kinds.values())


def _possible_answers(vocabulary: Vocabulary, question_id: str, nodes: list[Rule]) -> list:
    kinds = _answer_kinds(vocabulary, question_id, nodes)
    if not vocabulary.questions[question_id].multiple:
        return [frozenset({slug}) for slug in kinds]
    chosen: list[frozenset[str]] = [frozenset()]  # "none of these"
    for slug in kinds:
        chosen += [both | {slug} for both in chosen]
    return chosen


def can_be_met(vocabulary: Vocabulary, node: Rule, limit: int = 20_000) -> bool:
    """Whether anyone at all could meet a rule: some combination of answers to the
    questions it asks makes it hold, once its steps to confirm are taken.

    Answers are combined as the checker asks them: a question its `ask_if` rules out
    (a study level for someone qualified) has no answer, so a condition on it fails.
    A rule asking about too many answers to try every combination counts as met.
    """
    goal = _steps_taken(node)
    questions: list[str] = []
    waiting = list(questions_asked(goal))
    while waiting:  # the rule's questions, and those deciding whether they are asked
        question_id = waiting.pop()
        if question_id not in questions:
            questions.append(question_id)
            if question_id in vocabulary.ask_if:
                waiting += questions_asked(vocabulary.ask_if[question_id])
    order = [q for q in vocabulary.questions if q in questions]  # as the checker asks them
    nodes = [goal, *(vocabulary.ask_if[q] for q in order if q in vocabulary.ask_if)]
    choices = [_possible_answers(vocabulary, q, nodes) for q in order]
    combinations = 1
    for answers in choices:
        combinations *= len(answers)
    if combinations > limit:
        return True
    for combination in itertools.product(*choices):
        answers: dict[str, frozenset[str] | None] = {}
        for question_id, answer in zip(order, combination, strict=True):
            answers[question_id] = (
                answer if should_ask(vocabulary, question_id, answers) else frozenset()
            )
        if Evaluator(vocabulary, answers).outcome(goal).status is Status.ELIGIBLE:
            return True
    return False


def ways_nobody_meets(vocabulary: Vocabulary, node: Rule) -> list[int]:
    """For a rule with ways to qualify (an any-of, alone or beside conditions everyone
    meets), the positions of the ways nobody can meet, together with those conditions:
    a way that contradicts itself ("qualified", at a study level). Else []."""
    alternatives = [node] if isinstance(node, AnyOf) else []
    if isinstance(node, AllOf):
        alternatives = [child for child in node.children if isinstance(child, AnyOf)]
    if len(alternatives) != 1:
        return []
    (ways,) = alternatives
    everyone = node.children if isinstance(node, AllOf) else ()
    shared = tuple(child for child in everyone if child is not ways)
    return [
        i
        for i, way in enumerate(ways.children)
        if not can_be_met(vocabulary, AllOf((*shared, way)))
    ]


def clash(vocabulary: Vocabulary, conditions: Iterable[Rule], most: int = 3) -> tuple[Rule, ...]:
    """The fewest conditions (at most `most`) that nobody can meet together, to say why a
    rule can never be met: ("you are qualified", "you are studying at Level 6"). Or ()."""
    conditions = [c for c in conditions if not isinstance(c, Confirm)]
    for size in range(1, most + 1):
        for group in itertools.combinations(conditions, size):
            if not can_be_met(vocabulary, AllOf(group)):
                return group
    return ()
