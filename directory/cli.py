"""The `directory` command: check, import, export and try out the catalogue."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from sqlmodel import select

from directory import accounts, db, editing, hsds, migrations, rules, store
from directory import catalogue as cat
from directory import vocabulary as vocab
from directory.config import ConfigError, Settings, secret_key
from directory.models import OrganisationMember, User
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
        service = Directory(settings.database_url, settings.data_dir, settings.catalogue_file)
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
@click.option(
    "--format",
    "format_",
    type=click.Choice(["yaml", "hsds"]),
    default="yaml",
    show_default=True,
    help="yaml: the catalogue file, as data/schemes.yaml. "
    "hsds: Open Referral HSDS 3.0 JSON (organizations and services), as open data.",
)
@click.option(
    "--base-url",
    help="The site's address, for links in HSDS data (default: $BASE_URL or "
    "http://127.0.0.1:5000).",
)
def export(output: Path | None, format_: str, base_url: str | None) -> None:
    """Write the database's catalogue as YAML, in the same form as data/schemes.yaml,
    or as HSDS open data."""
    settings = _settings()
    vocabulary = _load_vocabulary(settings)
    engine = _engine(settings)
    with db.session_scope(engine) as session:
        if format_ == "hsds":
            catalogue = store.load_catalogue(session, vocabulary)
            text = hsds.export(catalogue, base_url or settings.base_url, store.revisions(session))
        else:
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
    if file:
        catalogue = _load_catalogue(file, vocabulary)
    else:
        engine = _engine(settings)
        with db.session_scope(engine) as session:
            catalogue = store.load_catalogue(session, vocabulary)
        engine.dispose()
    try:  # answers are read with the catalogue's vocabulary: it knows its universities' courses
        answers = rules.parse_answers(catalogue.vocabulary, raw)
    except rules.AnswerErrors as errors:
        for error in errors.errors:
            flag = "--" + error.parameter.replace("_", "-")
            click.echo(f"{flag}: {error.message} (valid: {', '.join(error.valid)})", err=True)
        sys.exit(2)
    decisions = rules.decide_all(catalogue.vocabulary, answers, catalogue.rules.values())
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


# Serving --------------------------------------------------------------------------------------


@main.command()
@click.option(
    "--bind", help="Address to listen on (default: $BIND, 0.0.0.0:$PORT or 127.0.0.1:8000)."
)
@click.option(
    "--workers",
    type=int,
    help="Worker processes (default: $WEB_CONCURRENCY or one per core, at least 2).",
)
@click.option("--threads", type=int, help="Threads per worker (default: $THREADS or 2).")
def serve(bind: str | None, workers: int | None, threads: int | None) -> None:
    """Run the site in production under gunicorn."""
    from directory import serve as serving

    try:
        Settings.from_env().check()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    serving.run(bind, workers, threads)


@main.command()
def prune() -> None:
    """Delete personal data kept longer than the privacy page says (`directory serve`
    also does this at start and once a day)."""
    engine = _engine(Settings.from_env())
    try:
        with db.session_scope(engine) as session:
            click.echo(accounts.prune(session).summary())
    finally:
        engine.dispose()


@main.command()
def doctor() -> None:
    """Check configuration, database, schema and listings; exit 1 if any fails."""
    settings = Settings.from_env()
    secret = "set" if settings.secret_key else "not set (development keeps one in the instance)"
    for label, value in (
        ("environment", settings.environment),
        ("instance path", settings.instance_path),
        ("database", _redacted(settings.database_url)),
        ("data", settings.data_dir),
        ("secret key", secret),
    ):
        click.echo(f"{label:<16}{value}")
    results = [*_check_files(settings), *_check_database(settings)]
    for ok, what, detail in results:
        click.echo(f"{'ok  ' if ok else 'FAIL'}  {what}: {detail}")
    sys.exit(0 if all(ok for ok, _, _ in results) else 1)


def _check_files(settings: Settings):
    problems = settings.problems()
    yield not problems, "configuration", "; ".join(problems) or "valid"
    try:
        catalogue = cat.load(settings.catalogue_file, vocab.load(settings.vocabulary_file))
        yield True, "catalogue file", catalogue.summary()
    except DataFileError as error:
        yield False, "catalogue file", f"{len(error.problems)} problem(s): run `directory check`"


def _check_database(settings: Settings):
    engine = db.make_engine(settings.database_url)
    try:
        schema = migrations.current(engine)
    except Exception as error:  # whatever stops a connection is the answer here
        yield False, "database", f"not reachable ({str(error).splitlines()[0]})"
        return
    finally:
        engine.dispose()
    yield True, "database", "reachable"
    latest = migrations.head()
    if schema != latest:
        yield False, "schema", f"at {schema}, latest {latest}: run `directory db upgrade`"
        return
    yield True, "schema", f"at {schema} (latest)"
    service = Directory(settings.database_url, settings.data_dir, settings.catalogue_file)
    try:
        catalogue, version = service.snapshot()
    finally:
        service.close()
    yield (
        bool(catalogue.schemes),
        "listings",
        f"{len(catalogue.schemes)} at catalogue version {version}",
    )


def _redacted(url: str) -> str:
    """A database URL with any password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(db.normalise_url(url)).render_as_string(hide_password=True)
    except Exception:
        return "(not a valid URL)"


# The database -------------------------------------------------------------------------------


@main.group("db")
def database() -> None:
    """The database schema (migrations)."""


@database.command("upgrade")
@click.argument("target", default="head")
def db_upgrade(target: str) -> None:
    """Bring the schema up to date (safe to run from several processes at once)."""
    settings = _settings()
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(settings.database_url)
    migrations.upgrade(engine, target)
    click.echo(f"database schema at {migrations.current(engine)} (latest: {migrations.head()})")
    engine.dispose()


# Accounts -----------------------------------------------------------------------------------


@main.group()
def users() -> None:
    """Manage hub lead and curator accounts (there is no self-registration)."""


def _reset_link(settings: Settings, user) -> str:
    return f"{settings.base_url}/reset-password/{accounts.reset_token(secret_key(settings), user)}"


@contextmanager
def _account(email: str):
    """One account, in a transaction that commits if the command succeeds."""
    settings = _settings()
    service = _service(settings)
    try:
        with service.session() as session:
            user = accounts.find(session, email)
            if user is None:
                raise click.ClickException(f"there is no account for {email}")
            yield settings, session, user
    finally:
        service.close()


@users.command("add")
@click.argument("email")
@click.option("--name", default="", help="Their name, as shown to other editors.")
@click.option(
    "--role", type=click.Choice(accounts.ROLES), default=accounts.HUB_LEAD, show_default=True
)
@click.option(
    "--organisation",
    "organisations",
    multiple=True,
    help="An organisation id whose listings they look after (repeatable).",
)
def users_add(email: str, name: str, role: str, organisations: tuple[str, ...]) -> None:
    """Invite someone: prints a link for them to set their password."""
    settings = _settings()
    service = _service(settings)
    try:
        with service.session() as session:
            user = accounts.add_user(session, email, name, role, list(organisations), "cli")
            link = _reset_link(settings, user)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    finally:
        service.close()
    click.echo(
        f"added {user.email} as {role}; give them this link to set a password (valid 3 days):"
    )
    click.echo(link)


@users.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(accounts.ROLES))
def users_role(email: str, role: str) -> None:
    """Change someone's role (this signs them out everywhere)."""
    with _account(email) as (_, session, user):
        accounts.set_role(session, user, role, "cli")
    click.echo(f"{email} is now {role}")


@users.command("disable")
@click.argument("email")
def users_disable(email: str) -> None:
    """Stop someone signing in (this signs them out everywhere)."""
    with _account(email) as (_, session, user):
        accounts.set_active(session, user, False, "cli")
    click.echo(f"{email} is disabled")


@users.command("enable")
@click.argument("email")
def users_enable(email: str) -> None:
    """Let a disabled account sign in again."""
    with _account(email) as (_, session, user):
        accounts.set_active(session, user, True, "cli")
    click.echo(f"{email} can sign in again")


@users.command("reset")
@click.argument("email")
def users_reset(email: str) -> None:
    """Print a password reset link (works once, for 3 days): no mail server needed."""
    with _account(email) as (settings, session, user):
        link = _reset_link(settings, user)
        editing.audit(session, "cli", "reset-link-made", user.email)
    click.echo(link)


@users.command("list")
def users_list() -> None:
    """Everyone with an account, their role and organisations."""
    service = _service(_settings())
    with service.session() as session:
        for user in session.exec(select(User).order_by(User.email)):
            orgs = session.exec(
                select(OrganisationMember.organisation_id).where(
                    OrganisationMember.user_id == user.id
                )
            ).all()
            state = "active" if user.active else "disabled"
            click.echo(f"{user.email}\t{user.role}\t{state}\t{','.join(orgs)}")
    service.close()


if __name__ == "__main__":
    main()
