"""Signing in and out, and resetting a password, for hub leads and curators."""

from __future__ import annotations

from functools import cached_property
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from directory import accounts, editing
from directory.editing import audit
from directory.models import User
from directory.web import editor_mail
from directory.web.forms import ForgotPasswordForm, NewPasswordForm, SignInForm
from directory.web.helpers import directory

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

BAD_CREDENTIALS = "Enter a correct email address and password"
TOO_MANY = "Too many failed attempts to sign in. Wait 15 minutes, then try again."


class SignedIn(UserMixin):
    """The signed-in user. Its id carries the account's session version, so changing
    a password, role or access signs out every session at once."""

    def __init__(self, user: User):
        self.user = user
        self.id = user.id
        self.email = user.email
        self.role = user.role
        self.name = user.name

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_curator(self) -> bool:
        return self.user.role == accounts.CURATOR

    def may_edit(self, organisation_id: str) -> bool:
        """Whether they may edit this organisation's listings (a curator: every one)."""
        return self.is_curator or organisation_id in self._organisations

    @cached_property
    def _organisations(self) -> set[str]:
        with directory().session() as db:  # asked once per request, only when needed
            return editing.organisations_of(db, self.user)


@login_manager.user_loader
def _load_user(user_id: str) -> SignedIn | None:
    ident, _, version = user_id.partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    if g.get("database_unavailable"):
        # The 503 page is being drawn: it shows the page as anyone sees it, without
        # asking the database again (that would fail inside the error handler, a bare 500).
        # The session is left alone, so the user is still signed in once it is back.
        return None
    with directory().session() as db:
        user = db.get(User, int(ident))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return SignedIn(user)


def init_app(app) -> None:
    login_manager.init_app(app)


def safe_next(target: str | None) -> str:
    """Only ever redirect to a page on this site."""
    default = url_for("editor.dashboard")
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def client_address() -> str:
    return request.remote_addr or "unknown"


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        with directory().session() as db:
            claim = accounts.claim_sign_in(db, form.email.data, client_address())
            if claim is None:
                form.email.errors = [TOO_MANY]
                audit(
                    db,
                    accounts.sign_in_actor(db, form.email.data),
                    "sign-in-throttled",
                    detail=f"from {client_address()}",
                )
            else:
                user = accounts.authenticate(db, form.email.data, form.password.data)
                if user is None:
                    accounts.failed_sign_in(db, form.email.data, client_address())
                    form.email.errors = [BAD_CREDENTIALS]
                else:
                    accounts.signed_in(db, user, claim)
                    audit(db, user.email, "sign-in", detail=f"from {client_address()}")
                    session.clear()  # a fresh session: no fixation
                    login_user(SignedIn(user))
                    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME idle
                    return redirect(safe_next(request.args.get("next")))
    return render_template("auth/sign_in.html", form=form)


@bp.post("/sign-out")
def sign_out():
    if current_user.is_authenticated:
        with directory().session() as db:
            # The session lives in a signed cookie, so clearing it here leaves any copy of
            # it valid; a new session version makes every copy (every session) stop working.
            user = db.get(User, current_user.id)
            user.session_version += 1
            db.add(user)
            audit(db, current_user.email, "sign-out")
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """Always the same answer, whether or not the account exists."""
    form = ForgotPasswordForm()
    sent = False
    if form.validate_on_submit():
        sent = True
        with directory().session() as db:
            user = accounts.find(db, form.email.data)
            if user is not None and user.active:
                if editor_mail.mail_sends():
                    editor_mail.password_reset(user)
                elif current_app.config["ENVIRONMENT"] != "production":
                    token = accounts.reset_token(current_app.config["SECRET_KEY"], user)
                    link = url_for("auth.reset_password", token=token, _external=True)
                    current_app.logger.warning(
                        "Password reset link for %s (development only): %s", user.email, link
                    )
    return render_template(
        "auth/forgot_password.html", form=form, sent=sent, mails=editor_mail.mail_sends()
    )


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    with directory().session() as db:
        user = accounts.user_for_token(db, current_app.config["SECRET_KEY"], token)
        if user is None:
            return render_template("auth/reset_invalid.html"), 400
        form = NewPasswordForm()
        if form.validate_on_submit():
            problem = accounts.check_password_strength(form.password.data)
            if problem:
                form.password.errors = [problem]
            else:
                accounts.set_password(user, form.password.data)
                db.add(user)
                audit(db, user.email, "password-set")
                logout_user()
                flash("Your password is set. Sign in with it now.", "success")
                return redirect(url_for("auth.sign_in"))
        return render_template("auth/reset_password.html", form=form, email=user.email)
