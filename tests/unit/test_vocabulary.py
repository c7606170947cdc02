"""The vocabulary's slugs are a public contract; its file is validated like the catalogue."""

from __future__ import annotations

import re

import pytest

from directory import vocabulary as vocab
from directory.yamlfile import DataFileError, parse
from tests.sources import appears_in, cited_texts
from tests.sources import load as load_sources

AHPS = [
    "art-therapist", "dramatherapist", "music-therapist", "podiatrist", "dietitian",
    "occupational-therapist", "operating-department-practitioner", "orthoptist", "osteopath",
    "paramedic", "physiotherapist", "prosthetist-orthotist", "radiographer",
    "speech-and-language-therapist",
]  # fmt: skip


def test_the_fourteen_allied_health_professions_have_their_public_slugs(vocabulary):
    ahp_terms = [t.slug for t in vocabulary.term_sets["professions"].terms if t.ahp]
    assert ahp_terms == AHPS
    assert vocabulary.expand("professions", "ahp") == frozenset(AHPS)


def test_non_ahp_professions_are_flagged_as_not_ahp(vocabulary):
    others = {t.slug for t in vocabulary.term_sets["professions"].terms if not t.ahp}
    assert others == {"pharmacist", "nurse", "midwife"}


def test_public_slugs_for_memberships_stages_levels_roles_and_regions(vocabulary):
    assert vocabulary.slugs("memberships") == [
        "bapo", "bda", "csp", "io", "rcpod", "rcslt", "sor", "rcot", "baat", "badth", "bamt",
        "codp", "bios", "college-of-paramedics", "nihr-academy", "codh-student-leadership-programme",
        "nihr-academy-associate",
    ]  # fmt: skip
    assert vocabulary.slugs("stages") == ["student", "qualified"]
    assert vocabulary.slugs("levels") == ["4", "5", "6", "7"]
    assert vocabulary.slugs("roles") == ["mentee", "mentor"]
    assert vocabulary.slugs("regions") == [
        "north-east", "north-west", "yorkshire-humber", "east-midlands", "west-midlands",
        "east-of-england", "london", "south-east", "south-west", "scotland", "wales",
        "northern-ireland",
    ]  # fmt: skip
    assert vocabulary.slugs("mentoring_types") == [
        "traditional", "reverse", "peer", "cross-disciplinary", "group", "multi-mentoring",
        "automatic", "targeted",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("physio", "physiotherapist"),
        ("ot", "occupational-therapist"),
        ("slt", "speech-and-language-therapist"),
        ("salt", "speech-and-language-therapist"),
        ("odp", "operating-department-practitioner"),
        ("chiropodist", "podiatrist"),
        ("chiropody", "podiatrist"),
        ("p&o", "prosthetist-orthotist"),
        ("dietician", "dietitian"),
    ],
)
def test_professions_have_the_synonyms_people_type(vocabulary, typed, slug):
    assert ("professions", slug) in vocabulary.synonyms[typed]


def test_every_question_has_its_sentences(vocabulary):
    for question in vocabulary.questions.values():
        for template in vocab.TEMPLATES:
            assert getattr(question, template)


GOOD = """\
term_sets:
  colours:
    label: Colour
    terms:
      - {slug: red, label: Red}
      - {slug: blue, label: Blue}
questions:
  - id: colour
    term_set: colours
    text: Which colour?
    error: Select a colour
    condition: you like {terms}
    condition_not: you do not like {terms}
    unmet: it is for {terms.plural}, and you said {answer}
    unmet_not: it is not for {terms}
    unknown: tell us your colour
"""


def load_text(text: str) -> vocab.Vocabulary:
    return vocab.from_document(parse(text, "vocabulary.yaml"))


def test_a_new_criterion_is_only_data(vocabulary):
    colours = load_text(GOOD)
    assert list(colours.questions) == ["colour"]
    assert (
        colours.sentence("colour", "condition", (colours.term("colours", "red"),)) == "you like Red"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("- {slug: blue, label: Blue}", "- {slug: red, label: Blue}"),
            'vocabulary.yaml:6: term_sets.colours.terms[1].slug: duplicate slug "red" (also item 1)',
        ),
        (
            ("term_set: colours", "term_set: shades"),
            'vocabulary.yaml:9: questions[0].term_set: unknown term set "shades" (known: colours)',
        ),
        (
            ("you like {terms}", "you like {term}"),
            "vocabulary.yaml:12: questions[0].condition: unknown placeholder {term}",
        ),
        (
            ("{slug: red, label: Red}", "{slug: Red, label: Red}"),
            "vocabulary.yaml:5: term_sets.colours.terms[0].slug: should be a slug",
        ),
        (("    text: Which colour?\n", ""), "vocabulary.yaml:8: questions[0].text: is required"),
    ],
)
def test_a_broken_vocabulary_is_rejected_with_file_line_field(change, message):
    with pytest.raises(DataFileError) as caught:
        load_text(GOOD.replace(*change))
    assert any(str(p).startswith(message) for p in caught.value.problems), caught.value.problems


def test_a_step_is_linked_only_to_a_page_a_source_gives_with_its_words(base_vocabulary):
    """A step's link (a body's join page) is an address the sources give, and the source
    the vocabulary names for it says what it quotes: never a guessed address."""
    sources = load_sources()
    linked = [t for s in base_vocabulary.term_sets.values() for t in s.terms if t.action_url]
    assert [t.slug for t in linked] == ["bios"]  # the one join page the sources give
    for term in linked:
        quote = re.search(r"\"(.+?)\"", term.action_source).group(1)
        assert any(appears_in(quote, text) for text in cited_texts(sources, term.action_url))


def test_a_step_link_needs_its_step_and_its_source():
    no_source = GOOD.replace(
        "{slug: red, label: Red}",
        "{slug: red, label: Red, action: paint it, action_url: https://example.org/}",
    )
    with pytest.raises(DataFileError) as caught:
        load_text(no_source)
    assert any(
        "action_url needs the action it is for and its action_source" in str(p)
        for p in caught.value.problems
    )
    sourced = no_source.replace("action_url:", "action_source: a page, action_url:")
    assert load_text(sourced).term("colours", "red").action_url == "https://example.org/"
