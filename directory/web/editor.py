"""Editing listings: hub leads propose, curators publish; nothing is ever lost.

Every route here needs a signed-in, active account (checked once, for the
whole blueprint). Listings, pending changes, reports and history belong to
an organisation; a hub lead only ever sees those of their own organisations,
and anything else is "not found", so other organisations' drafts stay hidden.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from directory import catalogue as cat
from directory import editing
from directory.in_words import Describer
from directory.models import PendingChange, ProblemReport, SchemeRow, User
from directory.web import editor_mail, listing_form, representations
from directory.web.helpers import directory, snapshot, today

bp = Blueprint("editor", __name__, url_prefix="/editor")
OUT_OF_DATE = "This form is out of date or was changed: reload the page and edit again"


# The forms whose input is kept when the session ends before they are saved.
KEEPS_WHAT_WAS_TYPED = ("editor.edit_scheme", "editor.new_scheme", "editor.edit_organisation")


@bp.before_request
def _require_sign_in():
    if not current_user.is_authenticated:
        if request.method == "POST" and request.endpoint in KEEPS_WHAT_WAS_TYPED:
            return _keep_for_after_sign_in()
        return current_app.login_manager.unauthorized()
    return None


@bp.app_errorhandler(CSRFError)
def _form_out_of_date(error):
    """A form's security token no longer matches: almost always a session that ended
    while the form was open. Keep what was typed rather than show a bare error."""
    if request.method == "POST" and request.endpoint in KEEPS_WHAT_WAS_TYPED:
        return _keep_for_after_sign_in()
    return render_template("errors/400.html"), 400


def _keep_for_after_sign_in():
    fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    with directory().session() as db:
        token = editing.keep_form(db, request.path, fields)
    back = f"{request.path}?restore={token}"
    if current_user.is_authenticated:
        return redirect(back)
    flash(
        "You were signed out after 30 minutes without saving, so nothing was saved yet. "
        "What you typed is kept: sign in again to carry on with it.",
        "info",
    )
    return redirect(url_for("auth.sign_in", next=back))


@bp.get("/still-here")
def still_here():
    """Signed in for another 30 minutes (each request renews the session)."""
    return {"ok": True, "signed_in": True}


@bp.app_context_processor
def _session_lifetime():
    def session_lifetime_seconds() -> int:
        return int(current_app.permanent_session_lifetime.total_seconds())

    return {"session_lifetime_seconds": session_lifetime_seconds}


def kept_form_data() -> MultiDict | None:
    """What was typed into this page's form before signing in again (see above)."""
    token = request.args.get("restore")
    if request.method != "GET" or not token:
        return None
    with directory().session() as db:
        fields = editing.take_form(db, token, request.path)
    return MultiDict(fields) if fields else None


@bp.app_template_filter("field_label")
def _field_label(path: str) -> str:
    return editing.field_label(path)


def in_words() -> Describer:
    """Differences as people read them: rules as conditions, slugs as names, not JSON."""
    names = {o.id: o.name for o in snapshot().organisations.values()}
    return Describer(directory().vocabulary, names)


def curator_only() -> None:
    if not current_user.is_curator:
        abort(403)


def _me(db: Session) -> User:
    return db.get(User, current_user.id)


def _allowed(db: Session, organisation_id: str) -> bool:
    return editing.may_edit(db, _me(db), organisation_id)


def _row_or_404(db: Session, scheme_id: str) -> SchemeRow:
    row = db.get(SchemeRow, scheme_id)
    if row is None or not _allowed(db, row.provider_id):
        abort(404)
    return row


def _refused(action, back: str, changed_meanwhile: str):
    """Run `action()`; if it is refused, say why and go `back` (None if it went through)."""
    try:
        action()
    except editing.EditConflict:
        flash(changed_meanwhile, "error")
        return redirect(back)
    except editing.NotAllowed as error:
        flash(str(error), "error")
        return redirect(back)
    return None


def _confirm(question: str, explanation: str, button: str, hidden: dict):
    """Ask before an action that publishes at once (the form posts back with confirm=yes)."""
    return render_template(
        "editor/confirm.html",
        question=question,
        explanation=explanation,
        button=button,
        hidden=hidden,
        back=request.referrer or url_for("editor.dashboard"),
    )


def _after_change() -> None:
    """Bring this host's search index up to date now; other hosts follow on their next request."""
    directory().refresh_index()


# Dashboard -----------------------------------------------------------------------------------


@bp.get("/")
def dashboard():
    with directory().session() as db:
        mine = editing.organisations_of(db, _me(db))
        listings = editing.listings_of(db, mine)
        changes = editing.pending_changes(db, mine)
        return render_template(
            "editor/dashboard.html",
            listings=listings,
            changes=changes,
            authors=_authors(db, changes),
            reports=editing.problem_reports(db, mine, only_open=True),
            due=editing.review_queue(listings, today()),
            organisations=sorted(mine),
        )


def _authors(db: Session, changes) -> dict[int, User]:
    return {c.author_id: db.get(User, c.author_id) for c in changes}


# Editing a listing -----------------------------------------------------------------------------


def _provider_choices(db: Session) -> list[tuple[str, str]]:
    catalogue = snapshot()
    mine = editing.organisations_of(db, _me(db))
    return sorted(
        ((o.id, o.name) for o in catalogue.organisations.values() if o.id in mine),
        key=lambda pair: pair[1].lower(),
    )


@bp.route("/schemes/new", methods=["GET", "POST"])
def new_scheme():
    vocabulary = directory().vocabulary
    with directory().session() as db:
        choices = _provider_choices(db)
        if not choices:
            abort(403)
        form_class = listing_form.listing_form_class(vocabulary, choices, new=True)
        kept = kept_form_data()
        if kept:
            form = form_class(formdata=kept)
        elif request.method == "GET":
            starter = _starter(request.args.get("provider"), choices, request.args.get("template"))
            form = form_class(data=starter)
        else:
            form = form_class()
        title = "Add a new listing" if current_user.is_curator else "Propose a new listing"
        return _edit(db, form, scheme_id=None, version=None, title=title, restored=bool(kept))


def _starter(provider: str | None, choices, template: str | None) -> dict:
    """Initial data for a new listing: the provider chosen, roles offered."""
    data = {
        # Only someone who looks after one organisation gets it chosen for them.
        "provider": provider
        if provider in dict(choices)
        else (choices[0][0] if len(choices) == 1 else ""),
        "listing_type": "scheme",
        "applications_timing": "unknown",
        "regions_stated": "no",
        "access": "",
        "role_mentee": {"offered": True},
        "role_mentor": {"offered": False},
        "windows": [{}],
        "sources": [{}],
        "status_state": "unknown",
        "status_evidence": [{}],
    }
    if template == "near-peer":  # the guide's "Start a near-peer scheme on your course"
        # As on the LJMU MPharm: Level 6 students mentor Level 4, Level 7 mentor Level 5.
        university = data["provider"] if data["provider"] in _institutions() else None
        where = {"institution_values": [university]} if university else {}
        data.update(
            mentoring_types=["peer"],
            access="open",
            role_mentee={
                "offered": True,
                "stage_values": ["student"],
                "level_values": ["4", "5"],
                **where,
            },
            role_mentor={
                "offered": True,
                "stage_values": ["student"],
                "level_values": ["6", "7"],
                **where,
            },
        )
    return data


def _institutions() -> set[str]:
    return set(directory().vocabulary.slugs("institutions"))


@bp.route("/schemes/<scheme_id>/edit", methods=["GET", "POST"])
def edit_scheme(scheme_id: str):
    vocabulary = directory().vocabulary
    with directory().session() as db:
        row = _row_or_404(db, scheme_id)
        scheme = cat.Scheme.model_validate(row.document)
        form_class = listing_form.listing_form_class(vocabulary, _provider_choices(db), new=False)
        kept = kept_form_data()
        if kept:
            form = form_class(formdata=kept)
        elif request.method == "GET":
            form = form_class(data=listing_form.form_data(scheme, vocabulary, row.version))
        else:
            form = form_class()
        return _edit(
            db,
            form,
            scheme_id=scheme_id,
            version=row.version,
            title=f"Edit {scheme.name}",
            last_verified=scheme.last_verified,
            restored=bool(kept),
        )


def _edit(
    db: Session,
    form,
    scheme_id: str | None,
    version: int | None,
    title: str,
    last_verified=None,
    restored: bool = False,
):
    vocabulary = directory().vocabulary
    action = request.form.get("action", "")
    preview = conflict = None
    unmeetable = listing_form.Unmet()
    if request.method == "POST" and action.startswith("add-way-"):
        role_field = f"role_{action.removeprefix('add-way-')}"
        if role_field in form:
            listing_form.add_way(form[role_field].form)
    elif request.method == "POST" and action.startswith("add-"):
        {"add-source": form.sources, "add-evidence": form.status_evidence}.get(
            action, form.windows
        ).append_entry()
    elif request.method == "POST" and _validated(form):
        target_id = scheme_id or (form.scheme_id.data or "").strip()
        raw = listing_form.record_data(form, vocabulary, target_id, last_verified)
        record, problems = editing.validate_scheme(
            raw, vocabulary, list(snapshot().organisations.values())
        )
        if record is not None and record.provider not in dict(_provider_choices(db)):
            problems = [("provider", "You can only choose an organisation you look after")]
            record = None
        if record is not None and scheme_id is None and editing.id_taken(db, record.id):
            problems = [
                ("id", f"The address /schemes/{record.id} is already taken: choose another")
            ]
            record = None
        if record is not None:
            unmeetable = listing_form.unmeetable(form, record, vocabulary)
        if record is None:
            listing_form.attach_problems(form, problems)
        elif action == "preview":
            preview = _preview(record)
        elif listing_form.ask_to_confirm_unmeetable(form, unmeetable):
            pass  # shown beside the rule, with the box to tick
        elif scheme_id is not None and not (form.version.data or "").isdigit():
            form.form_errors.append(
                "This form is out of date or was changed: reload the page and edit again"
            )
        else:
            expected = int(form.version.data) if form.version.data else None
            accepted = form.accepted_version.data or ""
            if expected is not None:
                record = _only_what_was_changed(db, form, record, expected)
            try:
                return _save(
                    db,
                    record,
                    expected,
                    int(accepted) if (accepted or "").isdigit() else None,
                    (form.note.data or "").strip()[:2000] or None,
                )
            except editing.EditConflict as error:
                conflict = error
                conflict.changes = in_words().changes(error.changes)
                conflict.overlaps = in_words().overlaps(error.overlaps)
                if error.version is not None:
                    # Saving again replaces theirs in the overlapping fields shown, and
                    # only there: the form still starts from the version first opened.
                    form.accepted_version.data = str(error.version)
    return render_template(
        "editor/edit.html",
        form=form,
        title=title,
        scheme_id=scheme_id,
        preview=preview,
        conflict=conflict,
        restored=restored,
        is_curator=current_user.is_curator,
        rule_questions=[
            q
            for q in vocabulary.questions.values()
            if q.id not in listing_form.RULE_QUESTIONS_EXCLUDED
        ],
        advanced=listing_form.advanced_summaries(form, vocabulary),
        unmeetable=unmeetable,
        waiting=_waiting(db, scheme_id),
    ), (409 if conflict else 200)


def _validated(form) -> bool:
    """The form's own checks, with each message naming the part of the form it is about."""
    valid = form.validate_on_submit()
    listing_form.number_window_errors(form)
    return valid


def _waiting(db: Session, scheme_id: str | None) -> list[tuple[PendingChange, User]]:
    """Changes to this listing already waiting for a curator, with who proposed them."""
    if scheme_id is None:
        return []
    return [(c, db.get(User, c.author_id)) for c in editing.pending_for(db, scheme_id)]


def _only_what_was_changed(db: Session, form, record: cat.Scheme, base_version: int):
    """The submitted listing, with every field the editor left alone exactly as the
    version they opened had it (the form may write a field differently unchanged)."""
    base = editing.revision_at(db, record.id, base_version)
    if base is None or base.document is None:
        return record
    vocabulary = directory().vocabulary
    original = cat.Scheme.model_validate(base.document)
    shown_form = type(form)(
        formdata=None, data=listing_form.form_data(original, vocabulary, base_version)
    )
    shown_raw = listing_form.record_data(shown_form, vocabulary, record.id, original.last_verified)
    shown, _ = editing.validate_scheme(
        shown_raw, vocabulary, list(snapshot().organisations.values())
    )
    if shown is None:
        return record
    kept = editing.keep_untouched(base.document, cat.record(shown), cat.record(record))
    return cat.Scheme.model_validate(kept)


def _save(
    db: Session, record: cat.Scheme, expected: int | None, accepted: int | None, note: str | None
):
    me = _me(db)
    if me.role == editing.CURATOR:
        with directory().session() as write:  # a fresh transaction: the version check comes first
            editing.publish(write, record, me.email, expected, accepted_version=accepted)
            editing.audit(write, me.email, "publish" if expected else "new-listing", record.id)
        _after_change()
        flash(f"Published: {record.name}.", "success")
        return redirect(url_for("public.scheme", scheme_id=record.id))
    change = editing.propose(db, record, me, expected, accepted, note)
    editor_mail.proposal_waiting(db, change, me)
    told = " They have been sent an email." if editor_mail.mail_sends() else ""
    flash(
        f"Sent to a curator for review.{told} "
        "The public sees the current version until it is approved.",
        "success",
    )
    return redirect(url_for("editor.change", change_id=change.id))


def _preview(record: cat.Scheme) -> dict:
    """The listing as the public would see it, before saving."""
    catalogue = snapshot()
    compiled, _ = cat.compile_scheme(record, directory().vocabulary)
    preview_catalogue = cat.Catalogue(
        catalogue.organisations,
        {**catalogue.schemes, record.id: record},
        {**catalogue.rules, record.id: compiled},
    )
    return {
        "scheme": record,
        "view": representations.scheme_view(record, preview_catalogue, directory().vocabulary),
    }


# Verification, history, restore ----------------------------------------------------------------


@bp.post("/schemes/<scheme_id>/verify")
def verify(scheme_id: str):
    with directory().session() as db:
        row = _row_or_404(db, scheme_id)
        version = row.version
        if request.form.get("confirm") != "yes":
            return _confirm(
                f"Mark {row.name} as verified today?",
                "Only if you have just checked every fact on it against the provider’s own "
                "pages. Its “last verified” date becomes today.",
                "Yes, mark it verified today",
                {"version": version},
            )

    def mark_verified():
        with directory().session() as write:
            editing.verify(write, scheme_id, current_user.email, version, dt.date.today())

    refused = _refused(
        mark_verified,
        url_for("editor.dashboard"),
        "The listing changed while you were looking at it. Check it again, then mark it verified.",
    )
    if refused:
        return refused
    _after_change()
    flash("Marked as verified today.", "success")
    return redirect(url_for("public.scheme", scheme_id=scheme_id))


@bp.get("/schemes/<scheme_id>/history")
def history(scheme_id: str):
    with directory().session() as db:
        row = _row_or_404(db, scheme_id)
        words = in_words()
        entries = [
            {"revision": revision, "what": _done(revision), "changes": words.changes(changes)}
            for revision, changes in editing.history(db, scheme_id)
        ]
        return render_template(
            "editor/history.html", row=row, entries=entries, is_curator=current_user.is_curator
        )


# What a revision did, as the start of a sentence ("Edited by cara@... on ...").
REVISION_ACTIONS = {
    "import": "Imported from the catalogue file",
    "edit": "Edited",
    "verify": "Marked as verified",
    "remove": "Removed",
}


def _done(revision) -> str:
    if revision.action == "restore":  # its comment says which: "Restored revision 1"
        return revision.comment or "Restored an earlier revision"
    return REVISION_ACTIONS.get(revision.action, revision.action.capitalize())


@bp.post("/schemes/<scheme_id>/revisions/<int:number>/restore")
def restore(scheme_id: str, number: int):
    curator_only()
    with directory().session() as db:
        row = _row_or_404(db, scheme_id)
        version = int(request.form.get("version") or row.version)
        if request.form.get("confirm") != "yes":
            return _confirm(
                f"Restore revision {number} of {row.name}?",
                "It is published at once as a new revision, replacing what the public sees "
                "now. Nothing is lost: the current version stays in the history.",
                f"Yes, restore revision {number}",
                {"version": version},
            )

    def restore_it():
        with directory().session() as write:
            editing.restore(write, scheme_id, number, current_user.email, version)

    refused = _refused(
        restore_it,
        url_for("editor.history", scheme_id=scheme_id),
        "The listing changed while you were looking at its history. Look again before restoring.",
    )
    if refused:
        return refused
    _after_change()
    flash(f"Restored revision {number} as a new revision.", "success")
    return redirect(url_for("editor.history", scheme_id=scheme_id))


# Pending changes --------------------------------------------------------------------------------


def _change_or_404(db: Session, change_id: int) -> PendingChange:
    change = db.get(PendingChange, change_id)
    if change is None or not _allowed(db, change.organisation_id):
        abort(404)
    return change


@bp.get("/changes")
def changes():
    with directory().session() as db:
        mine = editing.organisations_of(db, _me(db))
        rows = editing.pending_changes(db, mine, only_pending=False)
        return render_template("editor/changes.html", changes=rows, authors=_authors(db, rows))


@bp.get("/changes/<int:change_id>")
def change(change_id: int):
    with directory().session() as db:
        change = _change_or_404(db, change_id)
        author = db.get(User, change.author_id)
        overlaps = editing.blocking_overlaps(db, change)
        record = cat.Scheme.model_validate(change.document)
        return render_template(
            "editor/change.html",
            change=change,
            author=author,
            changes=in_words().changes(editing.change_made(db, change)),
            merges=overlaps is not None and not overlaps,
            stale=bool(overlaps),
            overlaps=overlaps or [],
            preview=_preview(record),
            is_curator=current_user.is_curator,
            is_author=author.id == current_user.id,
        )


@bp.post("/changes/<int:change_id>/approve")
def approve(change_id: int):
    curator_only()
    comment = (request.form.get("comment") or "").strip()[:2000] or None

    def approve_it():
        with directory().session() as write:
            change = _change_or_404(write, change_id)
            editing.approve(write, change, _me(write), comment)
            editor_mail.change_decided(write, change, _me(write))

    refused = _refused(
        approve_it,
        url_for("editor.change", change_id=change_id),
        "The published listing changed since this was proposed, in the same fields, so "
        "approving it would undo that change. Reject it with a comment asking for the edit "
        "to be made again.",
    )
    if refused:
        return refused
    _after_change()
    flash("Approved and published.", "success")
    return redirect(url_for("editor.changes"))


@bp.post("/changes/<int:change_id>/reject")
def reject(change_id: int):
    curator_only()
    comment = (request.form.get("comment") or "").strip()[:2000]
    with directory().session() as db:
        change = _change_or_404(db, change_id)
        if not comment:
            flash("Enter a comment saying why, so the hub lead can put it right.", "error")
            return redirect(url_for("editor.change", change_id=change_id))
        refused = _refused(
            lambda: (
                editing.reject(db, change, _me(db), comment),
                editor_mail.change_decided(db, change, _me(db)),
            ),
            url_for("editor.change", change_id=change_id),
            "",
        )
        if refused:
            return refused
    flash("Rejected, with your comment.", "success")
    return redirect(url_for("editor.changes"))


@bp.post("/changes/<int:change_id>/withdraw")
def withdraw(change_id: int):
    with directory().session() as db:
        change = _change_or_404(db, change_id)
        if change.author_id != current_user.id:
            abort(403)
        refused = _refused(
            lambda: editing.withdraw(db, change, _me(db)), url_for("editor.changes"), ""
        )
        if refused:
            return refused
    flash("Withdrawn: a curator will not see it now.", "success")
    return redirect(url_for("editor.changes"))


# Problem reports --------------------------------------------------------------------------------


@bp.get("/reports")
def reports():
    with directory().session() as db:
        mine = editing.organisations_of(db, _me(db))
        rows = editing.problem_reports(db, mine)
        return render_template("editor/reports.html", reports=rows, schemes=snapshot().schemes)


@bp.post("/reports/<int:report_id>/resolve")
def resolve_report(report_id: int):
    note = (request.form.get("note") or "").strip()[:2000]
    with directory().session() as db:
        report = db.get(ProblemReport, report_id)
        if report is None or not _allowed(db, report.organisation_id):
            abort(404)
        if not note:
            flash("Enter a note saying what you did about the report.", "error")
            return redirect(url_for("editor.reports"))
        editing.resolve_report(db, report, _me(db), note)
    flash("Report resolved.", "success")
    return redirect(url_for("editor.reports"))
