"""Who is told what, by mail, when something happens in the editor (directory/mail.py).

Mails go out after the request's changes are committed (`after_this_request`), so
nobody is told about a change that was then rolled back.
"""

from __future__ import annotations

from flask import after_this_request, current_app, url_for
from sqlmodel import Session

from directory import accounts, mail
from directory.models import PendingChange, ProblemReport, User
from directory.web.forms import REPORT_CATEGORIES


def mailer() -> mail.Mailer:
    app = current_app
    if "mailer" not in app.extensions:
        app.extensions["mailer"] = mail.Mailer(app.config["MAIL_SETTINGS"])
    return app.extensions["mailer"]


def mail_sends() -> bool:
    return mailer().sends


def send_after_commit(message: mail.Mail) -> None:
    sender = mailer()

    @after_this_request
    def _send(response):
        sender.send(message)
        return response


def _link(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def proposal_waiting(db: Session, change: PendingChange, author: User) -> None:
    send_after_commit(
        mail.proposal_waiting(
            [u.email for u in accounts.curators(db)],
            change.document["name"],
            author.name,
            change.note,
            _link("editor.change", change_id=change.id),
        )
    )


def change_decided(db: Session, change: PendingChange, reviewer: User) -> None:
    author = db.get(User, change.author_id)
    if author is None or not author.active or author.id == reviewer.id:
        return
    send_after_commit(
        mail.change_decided(
            author.email,
            change.document["name"],
            change.status == "approved",
            reviewer.name,
            change.comment,
            _link("editor.change", change_id=change.id),
        )
    )


def problem_reported(db: Session, report: ProblemReport, listing: str) -> None:
    people = [*accounts.members_of(db, report.organisation_id), *accounts.curators(db)]
    send_after_commit(
        mail.problem_reported(
            [u.email for u in people],
            listing,
            dict(REPORT_CATEGORIES).get(report.category, report.category).lower(),
            report.message,
            _link("editor.reports"),
        )
    )


def password_reset(user: User) -> None:
    token = accounts.reset_token(current_app.config["SECRET_KEY"], user)
    link = _link("auth.reset_password", token=token)
    send_after_commit(mail.password_reset(user.email, link, accounts.RESET_MAX_AGE.days))
