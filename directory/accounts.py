"""Accounts for hub leads and curators: passwords, reset tokens, throttling. No Flask.

Passwords are hashed with scrypt (Werkzeug's default KDF). Reset tokens are
signed, expire, and stop working once used, because they carry a fingerprint
of the password they replace; they are printed by `directory users reset` or,
in development, logged, so no mail server is needed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, update
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from directory.editing import CURATOR, HUB_LEAD, ROLES, audit
from directory.models import (
    Attempt,
    AuditEntry,
    OrganisationMember,
    OrganisationRow,
    User,
    utcnow,
)

RESET_MAX_AGE = dt.timedelta(days=3)
MIN_PASSWORD_LENGTH = 12
# Failed sign-ins allowed in the window before an account or address must wait.
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = dt.timedelta(minutes=15)
# Verifying against this when there is no such account makes a wrong email take as
# long as a wrong password, so timing does not reveal which emails have accounts.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(ValueError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def check_password_strength(password: str) -> str | None:
    """A reason the password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > 200:
        return "Password must be 200 characters or fewer"
    return None


def set_password(user: User, password: str) -> None:
    problem = check_password_strength(password)
    if problem:
        raise AccountError(problem)
    user.password_hash = generate_password_hash(password)
    user.session_version += 1  # signs out every other session


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = find(session, email)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


# Throttling, shared by every process through the database -------------------------------------


def attempts(session: Session, key: str, window: dt.timedelta = WINDOW) -> int:
    since = utcnow() - window
    return session.exec(
        select(func.count()).select_from(Attempt).where(Attempt.key == key, Attempt.at >= since)
    ).one()


KEEP_ATTEMPTS = dt.timedelta(days=1)  # network addresses are personal data: keep them briefly


def record_attempt(session: Session, key: str) -> None:
    session.add(Attempt(key=key))
    session.exec(delete(Attempt).where(Attempt.at < utcnow() - KEEP_ATTEMPTS))


def forget_attempts(session: Session, key: str) -> None:
    session.exec(delete(Attempt).where(Attempt.key == key))


def forget_failed_sign_ins(session: Session, email: str) -> None:
    forget_attempts(session, account_key(email))


def account_key(email: str) -> str:
    """The key an account's failed sign-ins are counted under: a digest of the email, so
    whatever was typed as an email (a password, by mistake, or anything at all) is never
    kept as typed. It also fits Attempt.key's 200 characters however long the email is."""
    digest = hashlib.sha256(normalise_email(email).encode()).hexdigest()
    return f"signin-account:sha256:{digest}"


def address_key(address: str) -> str:
    return f"signin-ip:{address}"


def claim_sign_in(session: Session, email: str, address: str) -> list[int] | None:
    """Count this attempt against the account's and the address's limits, in one step
    that parallel requests cannot both pass; None when either limit is reached.

    The attempt is recorded (and committed) first and counted after: the n-th attempt
    to be recorded sees at least n, so however many arrive at once, at most
    ACCOUNT_LIMIT of them are let through to the password check. Checking first and
    recording after let several requests see the same count (40 parallel wrong passwords
    had 8 checked against a limit of 5). A refused attempt takes its record back, so
    hammering a blocked account does not keep it blocked. Returns the records' ids, for
    `signed_in` or `failed_sign_in`.
    """
    claim = [Attempt(key=account_key(email)), Attempt(key=address_key(address))]
    session.add_all(claim)
    session.flush()
    ids = [attempt.id for attempt in claim]
    session.commit()
    if (
        attempts(session, account_key(email)) > ACCOUNT_LIMIT
        or attempts(session, address_key(address)) > ADDRESS_LIMIT
    ):
        session.exec(delete(Attempt).where(Attempt.id.in_(ids)))
        session.commit()
        return None
    return ids


def signed_in(session: Session, user: User, claim: list[int]) -> None:
    """The password was right: the account's failed attempts no longer count, and
    neither does this attempt against the address."""
    forget_attempts(session, account_key(user.email))
    session.exec(delete(Attempt).where(Attempt.id.in_(claim)))


def sign_in_actor(session: Session, email: str) -> str:
    """Who a failed sign-in is logged against: the account it tried, if there is one.
    Otherwise what was typed is not kept (it may be a password, or anyone's address)."""
    user = find(session, email)
    return user.email if user else UNKNOWN_ACCOUNT


def failed_sign_in(session: Session, email: str, address: str) -> None:
    """The claimed attempt stays counted; the audit log notes it."""
    session.exec(delete(Attempt).where(Attempt.at < utcnow() - KEEP_ATTEMPTS))
    audit(session, sign_in_actor(session, email), "sign-in-failed", detail=f"from {address}")


# What we keep, and for how long (the privacy page and README say the same) -------------------

# Rate-limit records (the network address of each sign-in attempt and problem report, and
# a digest of the email tried) only need the limits' windows: KEEP_ATTEMPTS, above.
# The audit log's sign-in entries: long enough to look into a break-in on an account,
# no longer. Everything else in the audit log (approvals, rejections, accounts, roles)
# is the record of who changed public listings and who let them: it is kept.
KEEP_ADDRESSES = dt.timedelta(days=30)  # "from <address>" on sign-in entries
KEEP_FAILED_SIGN_INS = dt.timedelta(days=30)  # failed and refused sign-ins, whole
KEEP_SIGN_INS = dt.timedelta(days=365)  # that an account signed in or out, and when
SIGN_IN_ACTIONS = ("sign-in", "sign-out", "sign-in-failed", "sign-in-throttled")
FAILED_SIGN_IN_ACTIONS = ("sign-in-failed", "sign-in-throttled")
UNKNOWN_ACCOUNT = "(no such account)"


@dataclass(frozen=True)
class Pruned:
    attempts: int
    failed_sign_ins: int
    sign_ins: int
    addresses: int

    def summary(self) -> str:
        return (
            f"deleted {self.attempts} rate-limit records, {self.failed_sign_ins} failed "
            f"sign-ins and {self.sign_ins} older sign-ins; removed {self.addresses} "
            "network addresses from the audit log"
        )


def prune(session: Session, now: dt.datetime | None = None) -> Pruned:
    """Delete what has been kept as long as it may be (see above). Run by `directory
    prune`, and by `directory serve` at start and once a day."""
    now = now or utcnow()

    def older(model, keep: dt.timedelta):
        return model.at < now - keep

    sign_in_entries = AuditEntry.action.in_(SIGN_IN_ACTIONS)
    attempts_ = session.exec(delete(Attempt).where(older(Attempt, KEEP_ATTEMPTS)))
    failed = session.exec(
        delete(AuditEntry).where(
            AuditEntry.action.in_(FAILED_SIGN_IN_ACTIONS),
            older(AuditEntry, KEEP_FAILED_SIGN_INS),
        )
    )
    sign_ins = session.exec(
        delete(AuditEntry).where(sign_in_entries, older(AuditEntry, KEEP_SIGN_INS))
    )
    addresses = session.exec(
        update(AuditEntry)
        .where(
            sign_in_entries,
            AuditEntry.detail.is_not(None),
            older(AuditEntry, KEEP_ADDRESSES),
        )
        .values(detail=None)
    )
    return Pruned(attempts_.rowcount, failed.rowcount, sign_ins.rowcount, addresses.rowcount)


# Reset and invitation tokens -----------------------------------------------------------------


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="password-reset")


def _fingerprint(user: User) -> str:
    """Changes when the password does, so a link works only until it has been used."""
    material = f"{user.id}:{user.password_hash or 'unset'}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def reset_token(secret_key: str, user: User) -> str:
    return _serializer(secret_key).dumps({"user": user.id, "fp": _fingerprint(user)})


def user_for_token(session: Session, secret_key: str, token: str) -> User | None:
    """The user a valid, unexpired, unused token belongs to."""
    try:
        data = _serializer(secret_key).loads(token, max_age=int(RESET_MAX_AGE.total_seconds()))
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    user = session.get(User, data.get("user"))
    if user is None or not user.active or data.get("fp") != _fingerprint(user):
        return None
    return user


# Managing accounts (curators, or the `directory users` command) ------------------------------


def add_user(
    session: Session, email: str, name: str, role: str, organisations: list[str], actor: str
) -> User:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise AccountError("Enter an email address in the correct format, like name@example.org")
    if find(session, email):
        raise AccountError(f"an account for {email} already exists")
    user = User(email=email, name=name.strip() or email, role=role)
    session.add(user)
    session.flush()
    set_organisations(session, user, organisations)
    audit(
        session,
        actor,
        "user-added",
        email,
        f"role {role}; organisations {', '.join(organisations) or 'none'}",
    )
    return user


def set_organisations(session: Session, user: User, organisations: list[str]) -> None:
    known = set(session.exec(select(OrganisationRow.id)))
    unknown = [o for o in organisations if o not in known]
    if unknown:
        raise AccountError(f"unknown organisation: {', '.join(unknown)}")
    session.exec(delete(OrganisationMember).where(OrganisationMember.user_id == user.id))
    for organisation_id in sorted(set(organisations)):
        session.add(OrganisationMember(user_id=user.id, organisation_id=organisation_id))


def set_role(session: Session, user: User, role: str, actor: str) -> None:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    before = user.role
    user.role = role
    user.session_version += 1
    session.add(user)
    audit(session, actor, "role-changed", user.email, f"{before} -> {role}")


def set_active(session: Session, user: User, active: bool, actor: str) -> None:
    user.active = active
    user.session_version += 1  # a disabled user is signed out at once
    session.add(user)
    audit(session, actor, "user-enabled" if active else "user-disabled", user.email)


__all__ = ["CURATOR", "HUB_LEAD", "ROLES"]
