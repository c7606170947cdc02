"""Every listing's outcome for one person at once: a bitmap of listings per status.

`rules` decides one rule for one person, with reasons. A catalogue of ten thousand
listings shares a few hundred distinct rules, and a page shows a few dozen listings,
so deciding every listing in full and then showing fifty wastes nearly all the work.
Here a catalogue's rules are laid out once (`RuleTable`); a person's answers are then
checked against each distinct rule once, for its status alone (no reasons worded),
and each status becomes a bitmap of listings (bit n = the n-th listing in name order,
see `bitmaps`). Only the listings someone will see are worded, by `rules.decide`, so
each gets exactly the decision `rules.decide_all` would give it.

Plain Python, no Flask.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from directory import bitmaps, rules
from directory.rules import Answers, Confirm, Decision, Predicate, SchemeRules, Status

if TYPE_CHECKING:
    from directory.vocabulary import Vocabulary

# Statuses as small integers, ordered so that `all` takes the worst of its parts and
# `any` the best: the same combining as rules._all and rules._any, without the wording.
ELIGIBLE, POSSIBLE, INELIGIBLE = 0, 1, 2
STATUSES = (Status.ELIGIBLE, Status.POSSIBLE, Status.INELIGIBLE)


class RuleTable:
    """A catalogue's listings (in the order they are shown) and their distinct rules."""

    def __init__(self, vocabulary: Vocabulary, schemes: Sequence[SchemeRules]):
        self.vocabulary = vocabulary
        self.schemes = list(schemes)
        self.ids = [s.scheme_id for s in self.schemes]
        self.position = {scheme_id: n for n, scheme_id in enumerate(self.ids)}
        self.everything = (1 << len(self.ids)) - 1
        self.nodes: list[rules.Rule] = []  # every distinct rule and sub-rule, parts first
        self._index: dict[int, int] = {}  # id(node) -> its place in self.nodes
        in_role: dict[str, dict[int, list[int]]] = {}
        for n, scheme in enumerate(self.schemes):
            for role, role_rule in scheme.by_role.items():
                node = self._add(role_rule.rule)
                in_role.setdefault(role, {}).setdefault(node, []).append(n)
        # For each role: (node, the listings whose rule for that role it is).
        self.by_role: dict[str, list[tuple[int, int]]] = {
            role: [(node, self.bits_at(at)) for node, at in by_node.items()]
            for role, by_node in in_role.items()
        }
        self._compile()
        self._naming = self._terms_named()
        self.shared_outcomes = rules.SharedOutcomes()  # wording, kept from person to person

    def _terms_named(self) -> dict[tuple[str, str, str], int]:
        """(role, question, slug) -> the listings whose rule for the role names that
        answer itself: not through a group such as "ahp", and not negated."""
        naming: dict[tuple[str, str, str], int] = {}
        for role, rules_and_bits in self.by_role.items():
            for node, bits in rules_and_bits:
                named = {
                    (role, p.question, slug)
                    for p in rules.predicates(self.nodes[node])
                    if not p.negated
                    for slug in p.written
                }
                for key in named:
                    naming[key] = naming.get(key, 0) | bits
        return naming

    def naming(self, role: str, question: str, slug: str) -> int:
        """The listings whose rule for `role` names this answer itself (see _terms_named)."""
        return self._naming.get((role, question, slug), 0)

    def _add(self, node: rules.Rule) -> int:
        """Place a rule after its parts (interned rules share parts: each placed once)."""
        found = self._index.get(id(node))
        if found is None:
            for child in getattr(node, "children", ()):
                self._add(child)
            found = self._index[id(node)] = len(self.nodes)
            self.nodes.append(node)
        return found

    def _compile(self) -> None:
        """Lay the nodes out as flat steps that check status and nothing else: the
        predicates by question (one answer looked up for all of them), then every
        `all` and `any` in order, parts first."""
        by_question: dict[str, list[tuple]] = {}
        self._unconditional: list[int] = []  # `all: []`: open to everyone
        self._combinations: list[tuple[int, bool, tuple[int, ...]]] = []
        for i, node in enumerate(self.nodes):
            if isinstance(node, Predicate):
                set_name = self.vocabulary.questions[node.question].term_set
                attainable = any(self.vocabulary.term(set_name, s).action for s in node.accepts)
                by_question.setdefault(node.question, []).append(
                    (i, node.accepts, node.negated, attainable)
                )
            elif isinstance(node, Confirm):
                pass  # always possible, the status every node starts from
            elif not node.children:
                self._unconditional.append(i)
            else:
                parts = tuple(self._index[id(child)] for child in node.children)
                self._combinations.append((i, isinstance(node, rules.AllOf), parts))
        self._predicates = list(by_question.items())

    def bits_at(self, positions: Iterable[int]) -> int:
        return bitmaps.from_positions(positions, len(self.ids))

    def bits_of(self, scheme_ids: Iterable[str]) -> int:
        """The listings with these ids (ids not in the catalogue are left out)."""
        position = self.position
        return self.bits_at(position[i] for i in scheme_ids if i in position)

    def ids_in(self, bits: int, limit: int | None = None, start: int = 0) -> list[str]:
        """Ids of the listings in `bits`, in name order (optionally one page of them)."""
        ids = self.ids
        if limit is None and not start:
            return [ids[n] for n in bitmaps.positions(bits)]
        return [ids[n] for n in bitmaps.first_positions(bits, limit or len(ids), start)]

    def statuses(self, answers: Answers) -> list[int]:
        """Each node's status for these answers, as rules.Evaluator would find it."""
        found = [POSSIBLE] * len(self.nodes)  # unknown answers and confirm steps stay so
        for i in self._unconditional:
            found[i] = ELIGIBLE
        for question, predicates in self._predicates:
            answer = answers.get(question)
            if answer is None:
                continue
            for i, accepts, negated, attainable in predicates:
                if answer.isdisjoint(accepts):
                    found[i] = ELIGIBLE if negated else POSSIBLE if attainable else INELIGIBLE
                else:
                    found[i] = INELIGIBLE if negated else ELIGIBLE
        status_of = found.__getitem__
        for i, conjunctive, parts in self._combinations:
            found[i] = max(map(status_of, parts)) if conjunctive else min(map(status_of, parts))
        return found

    def sort(self, answers: Answers) -> Outcomes:
        """Every listing's status for one person's answers (see `Outcomes`)."""
        statuses = self.statuses(answers)
        chosen = answers.get("role")
        roles = sorted(chosen) if chosen is not None else self.vocabulary.slugs("roles")
        eligible = possible = 0
        possible_by_role = []  # for a person unsure of their role, see possible_by_steps
        for role in roles:
            role_possible = 0
            for node, bits in self.by_role.get(role, ()):
                status = statuses[node]
                if status == ELIGIBLE:
                    eligible |= bits
                elif status == POSSIBLE:
                    role_possible |= bits
            possible |= role_possible
            possible_by_role.append((role, role_possible))
        return Outcomes(self, answers, statuses, eligible, possible & ~eligible, possible_by_role)


@dataclass
class Outcomes:
    """One person's status for every listing, as bitmaps; decisions worded on demand.

    A listing is eligible or possible if it is for the role the person chose (for
    either role if they are unsure, the better outcome counting, as rules.decide).
    """

    table: RuleTable
    answers: Answers
    statuses: list[int]  # per node of the table
    eligible: int
    possible: int
    possible_by_role: list[tuple[str, int]]
    _evaluator: rules.Evaluator | None = field(default=None, repr=False)

    @property
    def ineligible(self) -> int:
        return self.table.everything & ~(self.eligible | self.possible)

    @property
    def not_ruled_out(self) -> int:
        """The listings the person can or might join ("search as me")."""
        return self.eligible | self.possible

    def bits(self, status: Status) -> int:
        return {
            Status.ELIGIBLE: self.eligible,
            Status.POSSIBLE: self.possible,
            Status.INELIGIBLE: self.ineligible,
        }[status]

    def status_of(self, scheme_id: str) -> Status:
        position = self.table.position[scheme_id]
        return next(s for s in STATUSES if self.bits(s) >> position & 1)

    @property
    def evaluator(self) -> rules.Evaluator:
        if self._evaluator is None:  # shared by every decision worded for this person
            self._evaluator = rules.Evaluator(
                self.table.vocabulary, self.answers, self.table.shared_outcomes
            )
        return self._evaluator

    def decision(self, scheme_id: str) -> Decision:
        """The decision with its reasons, exactly as rules.decide_all gives it."""
        scheme = self.table.schemes[self.table.position[scheme_id]]
        return rules.decide(self.evaluator, scheme)

    def decisions(self, scheme_ids: Iterable[str]) -> list[Decision]:
        return [self.decision(scheme_id) for scheme_id in scheme_ids]

    def possible_by_steps(self) -> dict[int, int]:
        """The possible listings by how many steps (needs) stand between the person and
        each: {1: bits, 2: bits, ...}. Words only the rules that are possible.

        A person unsure of their role is told the steps for the first role (in the
        vocabulary's order) that is possible, as rules.decide picks it.
        """
        by_steps: dict[int, int] = {}
        taken = 0
        for role, role_possible in self.possible_by_role:
            here = role_possible & self.possible & ~taken
            taken |= here
            if not here:
                continue
            for node, bits in self.table.by_role.get(role, ()):
                if self.statuses[node] == POSSIBLE and bits & here:
                    steps = len(self.evaluator.outcome(self.table.nodes[node]).needs)
                    by_steps[steps] = by_steps.get(steps, 0) | (bits & here)
        return dict(sorted(by_steps.items()))
