"""Loading and validating catalogue files; exporting them again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from directory import catalogue as cat
from directory.config import DEFAULT_DATA_DIR
from directory.yamlfile import DataFileError
from tests.conftest import FIXTURE_CATALOGUE, without_header

ROOT = Path(__file__).parent.parent.parent
BROKEN = sorted((ROOT / "tests/fixtures/broken").glob("*.yaml"))


def expected_message(path: Path) -> str:
    first_line = path.read_text().splitlines()[0]
    assert first_line.startswith("# expect: "), f"{path} needs an '# expect:' first line"
    return first_line.removeprefix("# expect: ")


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_each_kind_of_error_is_reported_as_file_line_field_message(vocabulary, path):
    display = str(path.relative_to(ROOT))
    with pytest.raises(DataFileError) as caught:
        cat.load(path, vocabulary, display)
    # "{questions}": the vocabulary's questions, in order (a new question is only data).
    expected = expected_message(path).replace("{questions}", ", ".join(vocabulary.questions))
    assert expected in [str(p) for p in caught.value.problems]


def test_every_problem_in_a_file_is_reported_not_just_the_first(vocabulary):
    text = (ROOT / "tests/fixtures/minimal.yaml").read_text()
    text = text.replace("kind: professional-body", "kind: guild").replace(
        "profession: physiotherapist", "profession: physio"
    )
    with pytest.raises(DataFileError) as caught:
        cat.from_text(text, vocabulary, "two-problems.yaml")
    fields = [p.field for p in caught.value.problems]
    assert fields == [
        "organisations[0].kind",
        "schemes[0].eligibility.mentee.rule.all[0].profession",
    ]


def test_the_minimal_fixture_is_valid(vocabulary):
    catalogue = cat.load(ROOT / "tests/fixtures/minimal.yaml", vocabulary)
    assert list(catalogue.schemes) == ["example-scheme"]


def test_nothing_is_marked_verified_until_a_curator_confirms_it(real_catalogue):
    assert all(s.last_verified is None for s in real_catalogue.schemes.values())
    assert all(s.review_is_due(dt.date(2026, 11, 23)) for s in real_catalogue.schemes.values())


def test_review_is_due_a_year_after_verification(catalogue):
    scheme = catalogue.schemes["csp-mentoring"].model_copy(
        update={"last_verified": dt.date(2026, 1, 15)}
    )
    assert scheme.review_due == dt.date(2027, 1, 15)
    assert not scheme.review_is_due(dt.date(2027, 1, 14))
    assert scheme.review_is_due(dt.date(2027, 1, 15))


def test_export_of_the_committed_catalogue_is_the_committed_file(real_catalogue):
    """data/schemes.yaml is kept in export form, so `directory export` diffs stay small."""
    catalogue = real_catalogue
    exported = cat.to_yaml(
        catalogue.organisations.values(), catalogue.schemes.values(), catalogue.vocabulary
    )
    assert exported == (DEFAULT_DATA_DIR / "schemes.yaml").read_text()


def test_the_fixture_catalogue_is_in_export_form(vocabulary, catalogue):
    exported = cat.to_yaml(catalogue.organisations.values(), catalogue.schemes.values(), vocabulary)
    assert without_header(exported) == without_header(FIXTURE_CATALOGUE.read_text())


def test_load_export_load_gives_the_same_catalogue(vocabulary, catalogue):
    exported = cat.to_yaml(catalogue.organisations.values(), catalogue.schemes.values(), vocabulary)
    again = cat.from_text(exported, vocabulary)
    assert again.schemes == catalogue.schemes
    assert again.organisations == catalogue.organisations


def test_export_is_deterministic_whatever_the_input_order(vocabulary, catalogue):
    forwards = cat.to_yaml(catalogue.organisations.values(), catalogue.schemes.values(), vocabulary)
    backwards = cat.to_yaml(
        reversed(list(catalogue.organisations.values())),
        reversed(list(catalogue.schemes.values())),
        vocabulary,
    )
    assert forwards == backwards


def test_a_role_left_out_reads_the_same_as_a_role_given_as_null(vocabulary):
    text = (ROOT / "tests/fixtures/minimal.yaml").read_text()
    without_mentor = cat.from_text(text.replace("      mentor: null\n", ""), vocabulary)
    with_mentor = cat.from_text(text, vocabulary)
    assert without_mentor.schemes == with_mentor.schemes
