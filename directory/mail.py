"""Sending mail to hub leads and curators. No Flask here.

One `Mailer` per app, chosen by the MAIL_BACKEND setting (directory/config.py):

  smtp     a real SMTP server (SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD,
           SMTP_STARTTLS), for production
  file     each mail written as an .eml file into MAIL_DIR, for development
  console  each mail written to the log, for development
  none     no mail: pages say so instead of promising one

Every mail is plain text and ends with a link to the page to act on. A mail that
cannot be sent is logged, never an error for the person who caused it: the change
they made is saved either way, and shows on their dashboard.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

log = logging.getLogger(__name__)
BACKENDS = ("smtp", "file", "console", "none")


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    body: str  # plain text, ending with the link to act on


@dataclass(frozen=True)
class MailSettings:
    backend: str = "console"
    sender: str = "AHP Mentoring Directory <noreply@localhost>"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    folder: Path | None = None  # for the file backend
    timeout: float = 10.0


class Mailer:
    """Sends `Mail` the way the settings say."""

    def __init__(self, settings: MailSettings):
        self.settings = settings

    @property
    def sends(self) -> bool:
        """False when mail is switched off: then pages must not promise one."""
        return self.settings.backend != "none"

    def send(self, mail: Mail) -> bool:
        """Send one mail; True if it left (or was written). Failures are logged."""
        recipients = tuple(dict.fromkeys(a for a in mail.to if a))
        if not recipients or not self.sends:
            return False
        message = self.message(mail, recipients)
        try:
            if self.settings.backend == "smtp":
                self._by_smtp(message)
            elif self.settings.backend == "file":
                self._to_file(message)
            else:
                log.info("mail (not sent: MAIL_BACKEND=console)\n%s", message.as_string())
        except (OSError, smtplib.SMTPException) as error:
            log.error("could not send mail %r to %s: %s", mail.subject, recipients, error)
            return False
        return True

    def message(self, mail: Mail, recipients: tuple[str, ...]) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="ahp-mentoring-directory")
        message.set_content(mail.body)
        return message

    def _by_smtp(self, message: EmailMessage) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout) as smtp:
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            smtp.send_message(message)

    def _to_file(self, message: EmailMessage) -> None:
        folder = self.settings.folder
        folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "-").replace("/", "-")
        (folder / f"{name}.eml").write_bytes(message.as_bytes())


# The mails ----------------------------------------------------------------------------------

SIGN_OFF = "\n\nAHP Mentoring Directory\n(You get this because you look after listings there.)\n"


def _body(*paragraphs: str, link: str, action: str) -> str:
    text = "\n\n".join(p for p in paragraphs if p)
    return f"{text}\n\n{action}:\n{link}{SIGN_OFF}"


def proposal_waiting(to, listing: str, author: str, note: str | None, link: str) -> Mail:
    return Mail(
        tuple(to),
        f"Change waiting for review: {listing}",
        _body(
            f"{author} proposed a change to {listing}. The public sees the current "
            "version until a curator approves it.",
            f"Their note: {note}" if note else "",
            link=link,
            action="Review it",
        ),
    )


def change_decided(
    to: str, listing: str, approved: bool, reviewer: str, comment: str | None, link: str
) -> Mail:
    outcome = "approved and published" if approved else "not approved"
    return Mail(
        (to,),
        f"Your change to {listing} was {outcome}",
        _body(
            f"{reviewer} {'approved' if approved else 'rejected'} your change to {listing}.",
            f"Their comment: {comment}" if comment else "",
            "" if approved else "You can make the change again with their comment in mind.",
            link=link,
            action="See the change",
        ),
    )


def problem_reported(to, listing: str, category: str, message: str, link: str) -> Mail:
    return Mail(
        tuple(to),
        f"Problem reported with {listing}",
        _body(
            f"Someone using the directory reported a problem with {listing}: {category}.",
            f"What they said:\n{message}",
            link=link,
            action="See and resolve the report",
        ),
    )


def review_due(to: str, listings: list[tuple[str, str]], link: str) -> Mail:
    lines = "\n".join(f"- {name} ({reason})" for name, reason in listings)
    return Mail(
        (to,),
        f"{len(listings)} listing{'s' if len(listings) != 1 else ''} to check",
        _body(
            "These listings you look after need checking against the provider's own page:",
            lines,
            link=link,
            action="Check them",
        ),
    )


def password_reset(to: str, link: str, days: int) -> Mail:
    return Mail(
        (to,),
        "Set a new password for the AHP Mentoring Directory",
        _body(
            "Someone (we hope you) asked to set a new password for this account. "
            f"The link works once, for {days} days. If it was not you, ignore this mail: "
            "your password stays as it is.",
            link=link,
            action="Set a new password",
        ),
    )
