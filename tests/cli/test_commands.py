"""The `directory` command as a curator uses it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from directory.cli import main
from tests.conftest import FIXTURE_CATALOGUE, without_header
from tests.hsds_schemas import problems

ROOT = Path(__file__).parent.parent.parent


@pytest.fixture
def run(tmp_path, database_url, monkeypatch):
    """Run `directory ...` with its own instance folder and database."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CATALOGUE_FILE", str(FIXTURE_CATALOGUE))
    monkeypatch.chdir(ROOT)

    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def test_check_prints_a_one_line_summary_for_a_good_file(run, catalogue):
    result = run("check", "tests/fixtures/catalogue.yaml")
    assert result.exit_code == 0
    kinds = {}
    for scheme in catalogue.schemes.values():
        kinds[scheme.listing_type] = kinds.get(scheme.listing_type, 0) + 1
    assert result.output == (
        f"tests/fixtures/catalogue.yaml: ok: {len(catalogue.schemes)} listings "
        f"({kinds['guidance']} guidance, {kinds['network']} network, {kinds['scheme']} scheme) "
        f"from {len(catalogue.organisations)} organisations\n"
    )


def test_check_lists_every_problem_and_exits_1(run, tmp_path, vocabulary):
    bad = tmp_path / "bad.yaml"
    text = (ROOT / "tests/fixtures/minimal.yaml").read_text()
    bad.write_text(
        text.replace("physiotherapist", "physio").replace("kind: professional-body", "kind: guild")
    )
    result = run("check", str(bad))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    kinds = ", ".join(vocabulary.slugs("provider_kinds"))
    assert lines[0].endswith(
        f'bad.yaml:4: organisations[0].kind: unknown type of provider "guild" (known: {kinds})'
    )
    assert lines[1].endswith(
        "bad.yaml:17: schemes[0].eligibility.mentee.rule.all[0].profession: "
        'unknown profession "physio" (did you mean "physiotherapist"?)'
    )
    assert lines[2] == "2 problem(s) found; nothing was changed."


def test_import_is_idempotent_and_export_round_trips(run, tmp_path, catalogue):
    records = len(catalogue.schemes) + len(catalogue.organisations)
    first = run("import")
    assert first.exit_code == 0, first.output
    assert (
        first.output
        == f"tests/fixtures/catalogue.yaml: {records} added, 0 updated, 0 removed, 0 unchanged\n"
    )
    second = run("import")
    assert (
        second.output
        == f"tests/fixtures/catalogue.yaml: 0 added, 0 updated, 0 removed, {records} unchanged\n"
    )
    out = tmp_path / "export.yaml"
    assert run("export", "-o", str(out)).exit_code == 0
    assert without_header(out.read_text()) == without_header(FIXTURE_CATALOGUE.read_text())
    assert run("import", str(out)).output.endswith(
        f"0 added, 0 updated, 0 removed, {records} unchanged\n"
    )


def test_there_is_no_index_to_build_or_check(run, tmp_path):
    """The search index is built in memory from the catalogue: no command builds it, and
    the doctor has nothing to say about it, nor leaves a folder for it."""
    assert run("import").exit_code == 0
    assert run("index").exit_code == 2  # no such command
    doctor = run("doctor")
    assert "search index" not in doctor.output, doctor.output
    assert not list(tmp_path.rglob("*index*"))


def test_export_writes_hsds_open_data(run, tmp_path, monkeypatch, catalogue):
    run("import")
    out = tmp_path / "hsds.json"
    result = run("export", "--format", "hsds", "--base-url", "https://dir.example/", "-o", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert list(document) == ["organizations", "services"]
    assert (len(document["organizations"]), len(document["services"])) == (
        len(catalogue.organisations),
        len(catalogue.schemes),
    )
    for service in document["services"]:
        assert problems("service", service) == [], service["name"]
        (created,) = service["metadata"]
        assert (created["last_action_type"], created["updated_by"]) == (
            "create",
            "catalogue import",
        )
    for organization in document["organizations"]:
        assert problems("organization", organization) == [], organization["name"]
    term = document["services"][0]["attributes"][0]["taxonomy_term"]
    assert term["term_uri"].startswith("https://dir.example/browse/professions/")

    monkeypatch.setenv("BASE_URL", "https://dir.example")
    printed = run("export", "--format", "hsds").output
    assert printed == out.read_text()  # deterministic, and the same printed or written


def test_a_bad_file_changes_nothing_in_the_database(run, tmp_path):
    run("import")
    bad = tmp_path / "schemes.yaml"
    shutil.copy(FIXTURE_CATALOGUE, bad)
    text = bad.read_text()
    bad.write_text(
        text.replace("name: CAHPR regional hub networks", "name: Renamed hubs").replace(
            "listing_type: guidance", "listing_type: advice", 1
        )
    )
    result = run("import", str(bad))
    assert result.exit_code == 1
    assert 'unknown type of listing "advice"' in result.output
    exported = run("export").output
    assert "CAHPR regional hub networks" in exported and "Renamed hubs" not in exported


def test_eligible_prints_the_three_groups_with_reasons(run, catalogue):
    run("import")
    result = run(
        "eligible", "--profession", "physiotherapist", "--member-of", "none", "--stage", "qualified"
    )
    assert result.exit_code == 0
    text = result.output
    assert (
        text.index("You can join (2)")
        < text.index("You could join if... (3)")
        < text.index(f"Not open to you ({len(catalogue.schemes) - 5})")
    )
    assert (
        "Chartered Society of Physiotherapy mentoring scheme [csp-mentoring]\n"
        "      because you are a physiotherapist\n"
        "      if you join the Chartered Society of Physiotherapy (CSP)\n" in text
    )


def test_eligible_can_print_json_and_test_a_file_before_import(run):
    result = run(
        "eligible",
        "--file",
        "tests/fixtures/catalogue.yaml",
        "--json",
        "--profession=occupational-therapist",
        "--member-of=none",
    )
    data = json.loads(result.output)
    assert {
        "id": "elizabeth-casson-trust-mentoring",
        "name": "Elizabeth Casson Trust mentoring",
        "reasons": ["you are an occupational therapist"],
    } in data["eligible"]
    assert "csp-mentoring" in [item["id"] for item in data["ineligible"]]


def test_eligible_names_a_bad_answer_and_the_valid_ones(run):
    result = run("eligible", "--file", "tests/fixtures/catalogue.yaml", "--stage", "retired")
    assert result.exit_code == 2
    assert (
        result.output == '--stage: unknown value "retired" (valid: student, qualified, not-sure)\n'
    )


def test_eligible_rejects_an_unknown_question(run):
    result = CliRunner().invoke(
        main, ["eligible", "--file", "tests/fixtures/catalogue.yaml", "--age", "30"]
    )
    assert result.exit_code == 2
    assert "unknown option --age" in result.output
