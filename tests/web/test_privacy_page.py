"""The privacy page says exactly what the code keeps and for how long."""

from __future__ import annotations

import re

from directory import accounts, serve


def page_text(client) -> str:
    html = client.get("/privacy").get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_privacy_page_gives_the_periods_the_code_keeps_things_for(app, client):
    text = page_text(client)
    idle = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() / 60
    assert f"it expires after {idle:.0f} minutes without activity" in text
    hours = accounts.KEEP_ATTEMPTS.total_seconds() / 3600
    assert f"We delete these notes after {hours:.0f} hours." in text
    assert f"sign in or out, kept for {accounts.KEEP_SIGN_INS.days // 365} year " in text
    assert f"your account, kept for {accounts.KEEP_FAILED_SIGN_INS.days} days" in text
    assert f"came from, removed after {accounts.KEEP_ADDRESSES.days} days" in text
    assert f"when it starts, and every {serve.PRUNE_EVERY // 3600} hours while it runs" in text


def test_the_privacy_page_says_logs_hold_no_address_and_no_query(client):
    text = page_text(client)
    assert "They do not record your network address." in text
    assert "%(h)s" not in serve.ACCESS_LOG_FORMAT and "%(q)s" not in serve.ACCESS_LOG_FORMAT
    assert "names no account, we record that it happened, not what was typed" in text
