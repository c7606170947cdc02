"""Every listing's outcome for one person at once: a bitmap of listings per status.

`rules` decides one rule for one person, with reasons. A catalogue of ten thousand
listings shares a few hundred distinct rules, and a page shows a few dozen listings,
so deciding every listing in full and then showing fifty wastes nearly all the work.
Here a catalogue's rules are laid out once (`RuleTable`); a person's answers are then
checked against each distinct rule once, for its status alone (no reasons worded),
and each status becomes a bitmap of listings (bit n = the n-th listing in name order,
see `bitmaps`). Only the listings someone will see are worded, by `rules.decide`, so
each gets exactly the decision `rules.decide_all` would give it.

A rule's status depends only on the answers to the questions it asks, and people share
those: every physiotherapist in London gets the same statuses from the rules that ask
about profession and region. So a role's rules are grouped by the questions they ask
(`RuleGroup`), and the table keeps each group's bitmaps for the answers seen most
recently: for most people most groups are a look-up.

Plain Python, no Flask.
"""

from __future__ import annotations

import functools
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
        # Listings nobody can join now (ended, between rounds): never eligible or possible.
        self.closed = self.bits_at(n for n, s in enumerate(self.schemes) if s.closed)
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
        # Each node's parts, by their places in self.nodes.
        self.parts = [
            tuple(self._index[id(child)] for child in getattr(node, "children", ()))
            for node in self.nodes
        ]
        self._steps = Steps(self, range(len(self.nodes)))
        self.groups = self._grouped()
        # A group's bitmaps, kept for the answers seen most recently: each entry holds two
        # bitmaps of up to a bit per listing, so a big catalogue keeps fewer of them.
        kept = min(MEMO_ENTRIES, MEMO_BYTES // (len(self.ids) // 4 + MEMO_OVERHEAD))
        self._group_bits = functools.lru_cache(maxsize=kept)(RuleGroup.work_out)
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

    def _grouped(self) -> dict[str, list[RuleGroup]]:
        """Each role's rules, grouped by the questions they ask (see RuleGroup)."""
        by_questions: dict[tuple[str, tuple[str, ...]], list[tuple[int, int]]] = {}
        for role, rules_and_bits in self.by_role.items():
            for node, bits in rules_and_bits:
                asked = rules.questions_asked(self.nodes[node])
                by_questions.setdefault((role, asked), []).append((node, bits))
        grouped: dict[str, list[RuleGroup]] = {}
        for (role, asked), roots in by_questions.items():
            grouped.setdefault(role, []).append(RuleGroup(self, asked, roots))
        return grouped

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
        return self._steps.run(answers)

    def sort(self, answers: Answers) -> Outcomes:
        """Every listing's status for one person's answers (see `Outcomes`)."""
        chosen = answers.get("role")
        roles = sorted(chosen) if chosen is not None else self.vocabulary.slugs("roles")
        eligible = possible = 0
        possible_by_role = []  # for a person unsure of their role, see possible_by_steps
        for role in roles:
            role_possible = 0
            for group in self.groups.get(role, ()):
                asked = tuple(map(answers.get, group.questions))
                group_eligible, group_possible = self._group_bits(group, asked)
                eligible |= group_eligible
                role_possible |= group_possible
            possible |= role_possible
            possible_by_role.append((role, role_possible))
        possible &= ~eligible
        open_ = ~self.closed
        return Outcomes(
            self,
            answers,
            eligible & open_,
            possible & open_,
            [(role, bits & open_) for role, bits in possible_by_role],
            not_running=(eligible | possible) & self.closed,
        )


# How many (group, answers) bitmaps a RuleTable keeps: at most MEMO_ENTRIES, and for a big
# catalogue fewer, so that they take at most about MEMO_BYTES (16 MB: 6,000 of them at
# 10,000 listings, beside a worker's 140 MB).
MEMO_ENTRIES = 20_000
MEMO_BYTES = 16 * 2**20
MEMO_OVERHEAD = 256  # bytes an entry costs besides its bitmaps: key, cache links


class Steps:
    """Flat steps that find the status of some of a table's nodes, and nothing else (no
    reasons worded): the predicates by question (one answer looked up for all of them),
    then every `all` and `any` in order, parts first."""

    def __init__(self, table: RuleTable, wanted: Iterable[int]):
        self.size = len(table.nodes)
        needed = set(wanted)
        for i in reversed(range(self.size)):  # parts come before what holds them
            if i in needed:
                needed.update(table.parts[i])
        vocabulary = table.vocabulary
        by_question: dict[str, list[tuple]] = {}
        self.unconditional: list[int] = []  # `all: []`: open to everyone
        self.combinations: list[tuple[int, bool, tuple[int, ...]]] = []
        for i in sorted(needed):
            node = table.nodes[i]
            if isinstance(node, Predicate):
                set_name = vocabulary.questions[node.question].term_set
                attainable = any(vocabulary.term(set_name, s).action for s in node.accepts)
                by_question.setdefault(node.question, []).append(
                    (i, node.accepts, node.negated, attainable)
                )
            elif isinstance(node, Confirm):
                pass  # always possible, the status every node starts from
            elif not node.children:
                self.unconditional.append(i)
            else:
                self.combinations.append((i, isinstance(node, rules.AllOf), table.parts[i]))
        self.predicates = list(by_question.items())

    def run(self, answers: Answers) -> list[int]:
        """Statuses by node: those of the wanted nodes and their parts are found."""
        found = [POSSIBLE] * self.size  # unknown answers and confirm steps stay so
        for i in self.unconditional:
            found[i] = ELIGIBLE
        for question, predicates in self.predicates:
            answer = answers.get(question)
            if answer is None:
                continue
            unsure_of_rest = rules.NOT_SURE in answer  # "these, and not sure about the rest"
            for i, accepts, negated, attainable in predicates:
                if answer.isdisjoint(accepts):
                    if unsure_of_rest:
                        continue  # possible, as for an unknown answer
                    found[i] = ELIGIBLE if negated else POSSIBLE if attainable else INELIGIBLE
                else:
                    found[i] = INELIGIBLE if negated else ELIGIBLE
        status_of = found.__getitem__
        for i, conjunctive, parts in self.combinations:
            found[i] = max(map(status_of, parts)) if conjunctive else min(map(status_of, parts))
        return found


class RuleGroup:
    """One role's rules that ask the same questions, and the listings they decide.

    Their statuses depend on the answers to those questions alone, so the listings they
    make eligible and possible can be kept per distinct answers (RuleTable keeps them).
    """

    def __init__(self, table: RuleTable, questions: tuple[str, ...], roots: list[tuple[int, int]]):
        self.questions = questions
        self.roots = roots  # (node, the listings whose rule for this role it is)
        self._steps = Steps(table, (node for node, _ in roots))

    def work_out(self, asked: tuple[frozenset[str] | None, ...]) -> tuple[int, int]:
        """(eligible, possible) listings, given the answers to this group's questions."""
        statuses = self._steps.run(dict(zip(self.questions, asked, strict=True)))
        eligible = possible = 0
        for node, bits in self.roots:
            status = statuses[node]
            if status == ELIGIBLE:
                eligible |= bits
            elif status == POSSIBLE:
                possible |= bits
        return eligible, possible


@dataclass
class Outcomes:
    """One person's status for every listing, as bitmaps; decisions worded on demand.

    A listing is eligible or possible if it is for the role the person chose (for
    either role if they are unsure, the better outcome counting, as rules.decide).
    """

    table: RuleTable
    answers: Answers
    eligible: int
    possible: int
    possible_by_role: list[tuple[str, int]]
    # Listings the person could otherwise join that have ended or are between rounds:
    # ineligible, and shown apart where someone would look for them.
    not_running: int = 0
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
        statuses = None  # worked out once, if anything is possible
        for role, role_possible in self.possible_by_role:
            here = role_possible & self.possible & ~taken
            taken |= here
            if not here:
                continue
            if statuses is None:
                statuses = self.table.statuses(self.answers)
            for node, bits in self.table.by_role.get(role, ()):
                if statuses[node] == POSSIBLE and bits & here:
                    steps = len(self.evaluator.outcome(self.table.nodes[node]).needs)
                    by_steps[steps] = by_steps.get(steps, 0) | (bits & here)
        return dict(sorted(by_steps.items()))
