"""What we keep about people, and for how long: as the privacy page says, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from directory import accounts, db
from directory.cli import main
from directory.editing import audit
from directory.models import Attempt, AuditEntry, User

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def entry(action: str, days: float, detail: str | None = "from 192.0.2.1") -> AuditEntry:
    return AuditEntry(actor="cara@example.org", action=action, detail=detail, at=days_ago(days))


def test_prune_deletes_what_is_kept_too_long_and_keeps_the_rest(engine):
    with db.session_scope(engine) as session:
        session.add_all(
            [
                Attempt(key="signin-ip:192.0.2.1", at=days_ago(0.5)),
                Attempt(key="signin-ip:192.0.2.2", at=days_ago(1.5)),
                entry("sign-in-failed", 29),
                entry("sign-in-failed", 31),
                entry("sign-in-throttled", 31),
                entry("sign-in", 29),
                entry("sign-in", 31),
                entry("sign-out", 364, detail=None),
                entry("sign-in", 366),
                entry("approve", 4000, detail="from the hub lead's notes"),
                entry("role-changed", 4000, detail="hub-lead -> curator"),
            ]
        )
    with db.session_scope(engine) as session:
        pruned = accounts.prune(session, now=NOW)
    assert pruned == accounts.Pruned(attempts=1, failed_sign_ins=2, sign_ins=1, addresses=1)
    with Session(engine) as session:
        assert [a.key for a in session.exec(select(Attempt))] == ["signin-ip:192.0.2.1"]
        kept = sorted(
            (round((NOW - e.at.replace(tzinfo=dt.UTC)).days), e.action, e.detail)
            for e in session.exec(select(AuditEntry))
        )
    assert kept == [
        (29, "sign-in", "from 192.0.2.1"),
        (29, "sign-in-failed", "from 192.0.2.1"),
        (31, "sign-in", None),  # the event stays a year; its address went after 30 days
        (364, "sign-out", None),
        (4000, "approve", "from the hub lead's notes"),  # not a sign-in: kept, as it was
        (4000, "role-changed", "hub-lead -> curator"),
    ]


def test_pruning_twice_changes_nothing_more(engine):
    with db.session_scope(engine) as session:
        session.add(entry("sign-in", 40))
    with db.session_scope(engine) as session:
        assert accounts.prune(session, now=NOW).addresses == 1
    with db.session_scope(engine) as session:
        assert accounts.prune(session, now=NOW) == accounts.Pruned(0, 0, 0, 0)


@pytest.mark.parametrize("typed", ["my secret password", "someone.else@example.org"])
def test_a_failed_sign_in_keeps_nothing_that_was_typed(engine, typed):
    with db.session_scope(engine) as session:
        claim = accounts.claim_sign_in(session, typed, "192.0.2.9")
        assert claim is not None
        accounts.failed_sign_in(session, typed, "192.0.2.9")
    with Session(engine) as session:
        stored = [a.key for a in session.exec(select(Attempt))] + [
            f"{e.actor} {e.detail}" for e in session.exec(select(AuditEntry))
        ]
    assert not any(typed in text for text in stored), stored
    assert f"{accounts.UNKNOWN_ACCOUNT} from 192.0.2.9" in stored


def test_a_failed_sign_in_to_a_real_account_is_logged_against_it(engine):
    with db.session_scope(engine) as session:
        session.add(User(email="cara@example.org", name="Cara", role="curator"))
    with db.session_scope(engine) as session:
        accounts.failed_sign_in(session, " Cara@Example.org ", "192.0.2.9")
        audit(session, "cli", "noted")
    with Session(engine) as session:
        failed = session.exec(select(AuditEntry).where(AuditEntry.action == "sign-in-failed"))
        assert [(e.actor, e.detail) for e in failed] == [("cara@example.org", "from 192.0.2.9")]


def test_directory_prune_says_what_it_deleted(engine, database_url, tmp_path, monkeypatch):
    with db.session_scope(engine) as session:
        session.add_all([entry("sign-in-failed", 400), entry("sign-in", 400)])
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["prune"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == (
        "deleted 0 rate-limit records, 1 failed sign-ins and 1 older sign-ins; "
        "removed 0 network addresses from the audit log\n"
    )
