"""Curators' pages: accounts, organisations and the audit log (part of the editor)."""

from __future__ import annotations

import json
import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from directory import accounts, editing, store, validation
from directory import catalogue as cat
from directory.models import OrganisationRow, User
from directory.web.editor import bp, curator_only, kept_form_data
from directory.web.forms import InviteForm, OrganisationForm
from directory.web.helpers import directory, snapshot
from directory.yamlfile import LocatedDocument


@bp.before_request
def _curators_only_here():
    if request.endpoint in CURATOR_ENDPOINTS and current_user.is_authenticated:
        curator_only()


def _reset_link(user: User) -> str:
    token = accounts.reset_token(current_app.config["SECRET_KEY"], user)
    return url_for("auth.reset_password", token=token, _external=True)


@bp.get("/users")
def users():
    with directory().session() as db:
        people, orgs = accounts.everyone(db)
        return render_template("editor/users.html", people=people, orgs=orgs, roles=editing.ROLES)


@bp.route("/users/new", methods=["GET", "POST"])
def invite():
    form = InviteForm()
    form.organisations.choices = sorted(
        ((o.id, o.name) for o in snapshot().organisations.values()),
        key=lambda pair: pair[1].lower(),
    )
    if form.validate_on_submit():
        with directory().session() as db:
            try:
                user = accounts.add_user(
                    db,
                    form.email.data,
                    form.name.data,
                    form.role.data,
                    list(form.organisations.data or []),
                    current_user.email,
                )
            except accounts.AccountError as error:
                form.email.errors = [str(error)]
            else:
                link = _reset_link(user)
                return render_template("editor/invited.html", user=user, link=link)
    return render_template("editor/invite.html", form=form)


def _user_or_404(db, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    role = request.form.get("role", "")
    with directory().session() as db:
        user = _user_or_404(db, user_id)
        if user.id == current_user.id:
            flash("You cannot change your own role: ask another curator.", "error")
            return redirect(url_for("editor.users"))
        try:
            accounts.set_role(db, user, role, current_user.email)
            if "organisations" in request.form:
                accounts.set_organisations(db, user, request.form.getlist("organisations"))
        except accounts.AccountError as error:
            flash(str(error), "error")
            return redirect(url_for("editor.users"))
    flash(f"{user.email} is now a {role.replace('_', ' ')}.", "success")
    return redirect(url_for("editor.users"))


@bp.post("/users/<int:user_id>/access")
def change_access(user_id: int):
    active = request.form.get("active") == "1"
    with directory().session() as db:
        user = _user_or_404(db, user_id)
        if user.id == current_user.id:
            flash("You cannot disable your own account.", "error")
            return redirect(url_for("editor.users"))
        accounts.set_active(db, user, active, current_user.email)
    flash(
        f"{user.email} {'can sign in again' if active else 'is disabled and signed out'}.",
        "success",
    )
    return redirect(url_for("editor.users"))


@bp.post("/users/<int:user_id>/reset-link")
def reset_link(user_id: int):
    with directory().session() as db:
        user = _user_or_404(db, user_id)
        link = _reset_link(user)
        editing.audit(db, current_user.email, "reset-link-made", user.email)
        return render_template("editor/invited.html", user=user, link=link, reset=True)


@bp.get("/organisations")
def organisations():
    catalogue = snapshot()
    return render_template(
        "editor/organisations.html",
        organisations=sorted(catalogue.organisations.values(), key=lambda o: o.name.lower()),
    )


@bp.route("/organisations/new", methods=["GET", "POST"], defaults={"org_id": None})
@bp.route("/organisations/<org_id>/edit", methods=["GET", "POST"])
def edit_organisation(org_id: str | None):
    vocabulary = directory().vocabulary
    catalogue = snapshot()
    existing = catalogue.organisations.get(org_id) if org_id else None
    if org_id and existing is None:
        abort(404)
    initial = None
    kept = kept_form_data()
    if kept:
        form = OrganisationForm(formdata=kept)
        form.kind.choices = _kinds(vocabulary)
        return render_template(
            "editor/organisation.html", form=form, existing=existing, restored=True
        )
    if existing and request.method == "GET":
        initial = {
            **existing.model_dump(),
            "programmes": _programme_lines(existing.programmes),
            "sources": [*(s.model_dump() for s in existing.sources), {}],
        }
    form = OrganisationForm(data=initial)
    form.kind.choices = _kinds(vocabulary)
    if request.method == "POST" and request.form.get("action") == "add-source":
        form.sources.append_entry()
        return render_template("editor/organisation.html", form=form, existing=existing)
    if form.validate_on_submit():
        organisation, problems = _organisation_from(form, org_id, existing, catalogue)
        if problems:
            for field, message in problems:
                target = _organisation_field(form, field)
                target.errors = [*list(target.errors), message]
        else:
            with directory().session() as db:
                row = db.get(OrganisationRow, organisation.id)
                store.write_record(db, organisation, row, store.bump_version(db))
                editing.audit(db, current_user.email, "organisation-saved", organisation.id)
            directory().refresh_index()
            flash(f"Saved {organisation.name}.", "success")
            return redirect(url_for("editor.organisations"))
    return render_template("editor/organisation.html", form=form, existing=existing)


def _kinds(vocabulary) -> list[tuple[str, str]]:
    return [(t.slug, t.label) for t in vocabulary.term_sets["provider_kinds"].terms]


def _organisation_field(form, path: str):
    """The form field a problem's path ("sources[1].url", "name") names."""
    match = re.match(r"^sources\[(\d+)\]\.?(\w*)", path)
    if match and int(match.group(1)) < len(form.sources.entries):
        entry = form.sources.entries[int(match.group(1))].form
        return entry._fields.get(match.group(2)) or entry.title
    return form._fields.get(path.split(".")[0].split("[")[0]) or form.name


def _organisation_from(form, org_id, existing, catalogue):
    """The organisation a form describes, checked like a catalogue file: (record, problems)."""
    # A form never writes a field it did not show: a field missing from what was sent
    # (an older page, a tampered form) keeps what the organisation has.
    raw = {
        k: (form[k].data or None) if k in request.form or not existing else getattr(existing, k)
        for k in ("name", "abbreviation", "kind", "url", "description")
    }
    raw["id"] = org_id or (form.id.data or "").strip()
    if "sources-0-title" in request.form or not existing:
        raw["sources"] = _sources_from(form.sources)
    else:
        raw["sources"] = [s.model_dump() for s in existing.sources]
    if "programmes" in request.form or not existing:
        raw["programmes"], problems = _parse_programmes(form.programmes.data or "", existing)
    else:
        raw["programmes"], problems = [p.model_dump() for p in existing.programmes], []
    problems += _courses_in_use(existing, raw["programmes"], catalogue)
    if problems:
        return None, problems
    document = LocatedDocument("form", None)
    organisation, found = validation.validate(document, cat.Organisation, raw)
    problems = [(p.field, p.message) for p in found]
    if organisation is None:
        return None, problems
    base = directory().base_vocabulary
    if base.find("provider_kinds", organisation.kind) is None:
        problems.append(("kind", "Select a type of provider"))
    if not org_id and organisation.id in catalogue.organisations:
        problems.append(("id", "That short name is already used by another organisation"))
    # Courses become answers shared by every university: no clash with another's.
    others = [o for o in catalogue.organisations.values() if o.id != organisation.id]
    problems += [
        ("programmes", p.message)
        for p in cat.check_programmes(document, [*others, organisation], base)
    ]
    return (None if problems else organisation), problems


def _sources_from(entries) -> list[dict]:
    keys = ("title", "url", "date", "quote", "note")
    return [
        {k: (getattr(e, k).data or None) for k in keys}
        for e in entries
        if any(getattr(e, k).data for k in keys)
    ]


def _courses_in_use(existing, programmes: list[dict], catalogue) -> list[tuple[str, str]]:
    """A course a listing's rule names cannot be removed: the rule would stop working."""
    if existing is None:
        return []
    kept = {p["slug"] for p in programmes}
    problems = []
    for programme in existing.programmes:
        if programme.slug in kept:
            continue
        users = [
            s.name
            for s in catalogue.schemes.values()
            if f'"{programme.slug}"' in json.dumps(cat.record(s)["eligibility"])
        ]
        if users:
            problems.append(
                (
                    "programmes",
                    f"Keep {programme.label}: {', '.join(sorted(users))} "
                    "asks about it. Change that listing first",
                )
            )
    return problems


def _programme_lines(programmes) -> str:
    return "\n".join(f"{p.slug}: {p.label}" for p in programmes)


def _parse_programmes(text: str, existing) -> tuple[list[dict], list[tuple[str, str]]]:
    """ "slug: Full name" lines; a course that already exists keeps its phrase and synonyms."""
    known = {p.slug: p for p in existing.programmes} if existing else {}
    programmes, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        slug, separator, label = line.partition(":")
        if not separator or not slug.strip() or not label.strip():
            problems.append(
                ("programmes", f"Line {number}: write a short name, a colon, then the full name")
            )
            continue
        slug, label = slug.strip(), label.strip()
        before = known.get(slug)
        programme = {"slug": slug, "label": label}
        if before and before.label == label:
            programme.update(phrase=before.phrase, synonyms=list(before.synonyms))
        programmes.append(programme)
    return programmes, problems


# What each audit entry records, in words (an action not listed shows as it is stored).
AUDIT_ACTIONS = {
    "publish": "Published an edit",
    "new-listing": "Added a listing",
    "approve": "Approved a change",
    "reject": "Rejected a change",
    "restore": "Restored an earlier revision",
    "verify": "Marked as verified",
    "import": "Imported the catalogue file",
    "organisation-saved": "Saved an organisation",
    "report-resolved": "Resolved a problem report",
    "sign-in": "Signed in",
    "sign-out": "Signed out",
    "sign-in-failed": "Failed to sign in",
    "sign-in-throttled": "Refused a sign-in (too many attempts)",
    "password-set": "Set their password",
    "reset-link-made": "Made a link to set a password",
    "user-added": "Invited someone",
    "role-changed": "Changed someone’s role",
    "user-enabled": "Let someone sign in again",
    "user-disabled": "Stopped someone signing in",
}


@bp.get("/audit")
def audit_log():
    with directory().session() as db:
        entries = editing.audit_entries(db, limit=500)
        return render_template("editor/audit.html", entries=entries, actions=AUDIT_ACTIONS)


CURATOR_ENDPOINTS = {
    f"editor.{name}"
    for name in (
        "users",
        "invite",
        "change_role",
        "change_access",
        "reset_link",
        "organisations",
        "edit_organisation",
        "audit_log",
    )
}
