"""Issue 17 item 5: people are told by mail, through a real SMTP server the tests read."""

from __future__ import annotations

import re

from directory import mail
from directory.config import Settings
from tests.web.conftest import text_of
from tests.web.editing_fixtures import CSP_LEAD, CURATOR, ids, sign_in
from tests.web.html_forms import main_form


def link_in(body: str) -> str:
    return re.search(r"http://localhost(/\S+)", body).group(1)


def propose(client, scheme_id="csp-mentoring", **changes):
    url = f"/editor/schemes/{scheme_id}/edit"
    form = main_form(client.get(url).get_data(as_text=True))
    for key, value in changes.items():
        form[key] = value
    form["action"] = "save"
    return client.post(url, data=form)


def test_curators_are_mailed_a_proposal_with_a_link_to_review_it(mail_editing_app, smtp_inbox):
    hub = mail_editing_app.test_client()
    sign_in(hub, CSP_LEAD)
    response = propose(hub, cost="Free", note="The CSP page changed in November")
    assert "They have been sent an email" in text_of(hub.get("/editor/").get_data(as_text=True))
    (message,) = smtp_inbox.to(CURATOR)
    assert message["Subject"].startswith("Change waiting for review: ")
    body = smtp_inbox.body(message)
    assert "The CSP page changed in November" in body
    assert link_in(body) == response.location
    assert message.get_content_type() == "text/plain"


def test_the_proposer_is_mailed_the_decision_and_the_curators_comment(mail_editing_app, smtp_inbox):
    curator = mail_editing_app.test_client()
    sign_in(curator, CURATOR)
    change = ids(mail_editing_app).changes["csp"]
    curator.post(f"/editor/changes/{change}/reject", data={"comment": "No source says so"})
    (message,) = smtp_inbox.to(CSP_LEAD)
    assert "was not approved" in message["Subject"]
    body = smtp_inbox.body(message)
    assert "No source says so" in body
    assert link_in(body) == f"/editor/changes/{change}"


def test_a_problem_report_is_mailed_to_the_listings_hub_leads_and_curators(
    mail_editing_app, smtp_inbox
):
    public = mail_editing_app.test_client()
    public.post(
        "/schemes/csp-mentoring/report",
        data={"category": "broken-link", "message": "The apply link is broken"},
    )
    assert smtp_inbox.to(CSP_LEAD) and smtp_inbox.to(CURATOR)
    assert not smtp_inbox.to("sor-lead@example.org")
    body = smtp_inbox.body(smtp_inbox.to(CSP_LEAD)[0])
    assert "The apply link is broken" in body and link_in(body) == "/editor/reports"


def test_forgot_password_mails_a_link_that_sets_a_new_password(mail_editing_app, smtp_inbox):
    client = mail_editing_app.test_client()
    page = client.post("/forgot-password", data={"email": CSP_LEAD})
    assert "Check your email" in text_of(page.get_data(as_text=True))
    (message,) = smtp_inbox.to(CSP_LEAD)
    link = link_in(smtp_inbox.body(message))
    new = "a brand new long password"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 302
    assert client.post("/forgot-password", data={"email": "nobody@example.org"}).status_code == 200
    assert len(smtp_inbox.messages) == 1  # nothing for an address without an account


def test_without_mail_the_site_says_so_instead_of_promising_one(editing_app):
    editing_app.config["MAIL_SETTINGS"] = mail.MailSettings(backend="none")
    editing_app.extensions.pop("mailer", None)
    client = editing_app.test_client()
    page = text_of(client.post("/forgot-password", data={"email": CSP_LEAD}).get_data(True))
    assert "This site does not send email" in page and "Check your email" not in page
    sign_in(client, CSP_LEAD)
    propose(client, cost="Free")
    assert "sent an email" not in text_of(client.get("/editor/").get_data(as_text=True))


def test_mail_settings_come_from_the_environment():
    production = Settings.from_env({"DIRECTORY_ENV": "production"})
    assert production.mail_backend == "none"
    smtp = Settings.from_env({"SMTP_HOST": "smtp.example.org", "SMTP_PORT": "2525"})
    assert (smtp.mail_backend, smtp.smtp_port) == ("smtp", 2525)
    broken = Settings.from_env({"MAIL_BACKEND": "smtp"})
    assert "MAIL_BACKEND is smtp but SMTP_HOST is not set" in broken.problems()


def test_the_file_backend_writes_each_mail_for_developers(tmp_path):
    mailer = mail.Mailer(mail.MailSettings(backend="file", folder=tmp_path))
    assert mailer.send(mail.password_reset("jo@example.org", "http://x/reset/abc", 3))
    (written,) = tmp_path.glob("*.eml")
    assert "http://x/reset/abc" in written.read_text()


def test_review_due_mails_list_each_hub_leads_listings_to_check(mail_editing_app):
    import datetime as dt

    from directory import editing

    with mail_editing_app.extensions["directory"].session() as db:
        mails = editing.review_due_mails(db, dt.date(2030, 1, 1), "http://localhost/editor/")
    (csp,) = [m for m in mails if m.to == (CSP_LEAD,)]
    assert "not known whether it still runs" in csp.body
    assert "Check them:\nhttp://localhost/editor/" in csp.body


def test_a_short_mismatched_password_is_told_both_problems(editing_app):
    from tests.web.test_security import reset_token_for

    client = editing_app.test_client()
    url = f"/reset-password/{reset_token_for(editing_app, CSP_LEAD)}"
    page = client.post(url, data={"password": "short", "confirm": "other"}).get_data(True)
    text = text_of(page)
    assert "Password must be 12 characters or more" in text and "Passwords must match" in text
    for tag in re.findall(r"<input[^>]*type=\"password\"[^>]*>", page):
        assert tag.count("autocomplete=") == 1, tag
