"""The `directory` command: check, import, export and try out the catalogue."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from directory import catalogue as cat
from directory import db, rules, store
from directory import vocabulary as vocab
from directory.config import Settings
from directory.service import Directory
from directory.yamlfile import DataFileError

HEADINGS = {
    rules.Status.ELIGIBLE: "You can join",
    rules.Status.POSSIBLE: "You could join if...",
    rules.Status.INELIGIBLE: "Not open to you",
}


def _settings() -> Settings:
    return Settings.from_env()


def _display(path: Path) -> str:
    """Show a path the way the person typed it, or relative to where they are."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load_vocabulary(settings: Settings) -> vocab.Vocabulary:
    try:
        return vocab.load(settings.vocabulary_file, _display(settings.vocabulary_file))
    except DataFileError as error:
        _fail(error)


def _load_catalogue(path: Path, vocabulary: vocab.Vocabulary) -> cat.Catalogue:
    try:
        return cat.load(path, vocabulary, _display(path))
    except DataFileError as error:
        _fail(error)


def _fail(error: DataFileError):
    for problem in error.problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(error.problems)} problem(s) found; nothing was changed.", err=True)
    sys.exit(1)


def _engine(settings: Settings):
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(settings.database_url)
    db.create_tables(engine)
    return engine


def _service(settings: Settings) -> Directory:
    """The directory with tables created (no automatic import: commands say what they do)."""
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    try:
        service = Directory(settings.database_url, settings.data_dir, settings.index_dir)
    except DataFileError as error:
        _fail(error)
    service.setup(auto_import=False, build_index=False)
    return service


@click.group(help=__doc__)
def main() -> None:
    pass


@main.command()
@click.argument("file", required=False, type=click.Path(path_type=Path))
def check(file: Path | None) -> None:
    """Validate a catalogue file (default: data/schemes.yaml) without changing anything."""
    settings = _settings()
    vocabulary = _load_vocabulary(settings)
    catalogue = _load_catalogue(file or settings.catalogue_file, vocabulary)
    click.echo(f"{_display(file or settings.catalogue_file)}: ok: {catalogue.summary()}")


@main.command("import")
@click.argument("file", required=False, type=click.Path(path_type=Path))
def import_(file: Path | None) -> None:
    """Merge a catalogue file into the database. Nothing is written if anything is wrong."""
    settings = _settings()
    path = file or settings.catalogue_file
    vocabulary = _load_vocabulary(settings)
    catalogue = _load_catalogue(path, vocabulary)
    service = _service(settings)
    report = service.import_catalogue(catalogue, actor=f"import {_display(path)}")
    service.close()
    if report.conflicts:
        for conflict in report.conflicts:
            click.echo(f"conflict: {conflict}", err=True)
        click.echo(report.summary(), err=True)
        sys.exit(1)
    click.echo(f"{_display(path)}: {report.summary()}")


@main.command()
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="File to write (default: print)."
)
def export(output: Path | None) -> None:
    """Write the database's catalogue as YAML, in the same form as data/schemes.yaml."""
    settings = _settings()
    vocabulary = _load_vocabulary(settings)
    engine = _engine(settings)
    with db.session_scope(engine) as session:
        text = store.export_catalogue(session, vocabulary, mark_synced=output is not None)
    engine.dispose()
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {_display(output)}", err=True)
    else:
        click.echo(text, nl=False)


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    epilog="Questions come from data/vocabulary.yaml: --profession, --member-of (repeatable), "
    "--stage, --level, --role, --region, --institution, --programme. Answer not-sure to "
    "any question; --member-of none for no memberships.",
)
@click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path),
    help="Check against this catalogue file instead of the database.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def eligible(ctx: click.Context, file: Path | None, as_json: bool) -> None:
    """Show which schemes a person can join, and why: for testing rule changes."""
    settings = _settings()
    vocabulary = _load_vocabulary(settings)
    raw = _answers_from_args(ctx.args, vocabulary)
    try:
        answers = rules.parse_answers(vocabulary, raw)
    except rules.AnswerErrors as errors:
        for error in errors.errors:
            flag = "--" + error.parameter.replace("_", "-")
            click.echo(f"{flag}: {error.message} (valid: {', '.join(error.valid)})", err=True)
        sys.exit(2)
    if file:
        catalogue = _load_catalogue(file, vocabulary)
    else:
        engine = _engine(settings)
        with db.session_scope(engine) as session:
            catalogue = store.load_catalogue(session, vocabulary)
        engine.dispose()
    decisions = rules.decide_all(vocabulary, answers, catalogue.rules.values())
    if as_json:
        click.echo(json.dumps(_decisions_json(decisions, catalogue), indent=2))
    else:
        _print_decisions(decisions, catalogue)


def _answers_from_args(args: list[str], vocabulary: vocab.Vocabulary) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    flags = {"--" + q.replace("_", "-"): q for q in vocabulary.questions}
    i = 0
    while i < len(args):
        flag, _, value = args[i].partition("=")
        if flag not in flags:
            raise click.UsageError(f"unknown option {flag} (questions: {', '.join(flags)})")
        if not value:
            i += 1
            if i >= len(args):
                raise click.UsageError(f"{flag} needs a value")
            value = args[i]
        raw.setdefault(flags[flag], []).append(value)
        i += 1
    return raw


def _decisions_json(decisions, catalogue) -> dict:
    grouped: dict[str, list] = {status.value: [] for status in rules.Status}
    for d in decisions:
        item = {
            "id": d.scheme_id,
            "name": catalogue.schemes[d.scheme_id].name,
            "reasons": list(d.reasons),
        }
        if d.status is rules.Status.POSSIBLE:
            item["needs"] = list(d.needs)
        if d.also_check:
            item["also_check"] = list(d.also_check)
        grouped[d.status.value].append(item)
    return grouped


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def _print_decisions(decisions, catalogue) -> None:
    for status, heading in HEADINGS.items():
        group = [d for d in decisions if d.status is status]
        click.echo(f"{heading} ({len(group)})")
        for d in group:
            click.echo(f"  {catalogue.schemes[d.scheme_id].name} [{d.scheme_id}]")
            for reason in d.reasons:
                click.echo(f"      because {reason}")
            for need in d.needs:
                click.echo(f"      if you {need}")
            for note in d.also_check:
                click.echo(f"      also check: {note}")
        click.echo()


if __name__ == "__main__":
    main()
