"""`directory serve` deletes expired personal data itself: at start, then every
serve.PRUNE_EVERY seconds (accounts.prune says what and when)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from directory import db
from directory.models import Attempt, AuditEntry
from tests.system.support import Site, wait_for


def test_the_server_prunes_expired_personal_data_when_it_starts(tmp_path):
    url = f"sqlite:///{tmp_path / 'directory.sqlite3'}"
    engine = db.make_engine(url)
    db.create_tables(engine)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    with db.session_scope(engine) as session:
        session.add_all(
            [
                Attempt(key="signin-ip:192.0.2.1", at=long_ago),
                AuditEntry(actor="a@example.org", action="sign-in", detail="from x", at=long_ago),
                AuditEntry(actor="a@example.org", action="approve", at=long_ago),
            ]
        )
    site = Site(url, workers=1).start()
    try:

        def remaining():
            with Session(engine) as session:
                attempts = session.exec(select(Attempt)).all()
                actions = [e.action for e in session.exec(select(AuditEntry))]
            return not attempts and "sign-in" not in actions and actions

        assert "approve" in wait_for(remaining, timeout=30, what="pruning at start")
        assert "privacy: deleted 1 rate-limit records" in site.log()
    finally:
        site.stop()
        engine.dispose()
