"""Issue 17, item 11: restoring and verifying ask first, and the audit log records every
change to the catalogue: edits, new listings (published or approved), restores,
verifications and imports."""

from __future__ import annotations

from sqlmodel import select

from directory import editing
from directory.models import AuditEntry, SchemeRow
from tests.web.conftest import text_of
from tests.web.editing_fixtures import CSP_LEAD, CURATOR, sign_in
from tests.web.html_forms import main_form


def audited(app, target_part: str) -> list[tuple[str, str]]:
    with app.extensions["directory"].session() as db:
        return [
            (e.action, e.actor)
            for e in db.exec(select(AuditEntry).order_by(AuditEntry.id))
            if target_part in (e.target or "")
        ]


def version_of(app, scheme_id: str) -> int:
    with app.extensions["directory"].session() as db:
        return db.get(SchemeRow, scheme_id).version


def test_verifying_asks_first_and_changes_nothing_until_confirmed(editing_app):
    hub = editing_app.test_client()
    sign_in(hub, CSP_LEAD)
    before = version_of(editing_app, "csp-mentoring")
    asked = hub.post("/editor/schemes/csp-mentoring/verify", data={})
    assert asked.status_code == 200
    page = text_of(asked.get_data(as_text=True))
    assert "Mark Chartered Society of Physiotherapy mentoring scheme as verified today?" in page
    assert version_of(editing_app, "csp-mentoring") == before
    assert ("verify", CSP_LEAD) not in audited(editing_app, "csp-mentoring")
    form = main_form(asked.get_data(as_text=True))
    assert form["confirm"] == "yes"
    hub.post("/editor/schemes/csp-mentoring/verify", data=form)
    assert version_of(editing_app, "csp-mentoring") > before
    assert ("verify", CSP_LEAD) in audited(editing_app, "csp-mentoring")


def test_restoring_asks_first(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    with editing_app.extensions["directory"].session() as db:
        scheme, version = editing.published(db, "io-mentoring")
        editing.publish(db, scheme.model_copy(update={"cost": "Free"}), CURATOR, version)
    before = version_of(editing_app, "io-mentoring")
    url = "/editor/schemes/io-mentoring/revisions/1/restore"
    asked = curator.post(url, data={"version": before})
    assert "Restore revision 1 of" in text_of(asked.get_data(as_text=True))
    assert version_of(editing_app, "io-mentoring") == before
    curator.post(url, data=main_form(asked.get_data(as_text=True)))
    assert version_of(editing_app, "io-mentoring") > before
    assert ("restore", CURATOR) in audited(editing_app, "io-mentoring")


def new_listing_form(client, scheme_id: str, provider: str) -> dict:
    form = main_form(client.get("/editor/schemes/new").get_data(as_text=True))
    form["scheme_id"], form["name"], form["provider"] = scheme_id, "A new listing", provider
    form["summary"], form["description"] = "A short summary.", "What it is."
    form["sources-0-title"] = "Its own page"
    form["role_mentee-reference"] = "Its own page"
    form["action"] = "save"
    return form


def test_new_listings_published_or_approved_are_in_the_audit_log(editing_app):
    curator = editing_app.test_client()
    sign_in(curator, CURATOR)
    published = curator.post("/editor/schemes/new", data=new_listing_form(curator, "new-a", "io"))
    assert published.status_code == 302, text_of(published.get_data(as_text=True))
    assert ("new-listing", CURATOR) in audited(editing_app, "new-a")

    hub = editing_app.test_client()
    sign_in(hub, CSP_LEAD)
    proposed = hub.post("/editor/schemes/new", data=new_listing_form(hub, "new-b", "csp"))
    assert proposed.status_code == 302, text_of(proposed.get_data(as_text=True))
    change = proposed.location.rsplit("/", 1)[1]
    curator.post(f"/editor/changes/{change}/approve", data={"comment": "Thanks"})
    assert ("approve", CURATOR) in audited(editing_app, "(new-b)")

    log = text_of(curator.get("/editor/audit").get_data(as_text=True))
    assert "Added a listing: new-a" in log and f"Approved a change: change {change} (new-b)" in log


def test_importing_a_changed_catalogue_is_in_the_audit_log(editing_app):
    service = editing_app.extensions["directory"]
    catalogue = service.snapshot()[0]
    changed = catalogue.schemes["io-mentoring"].model_copy(update={"cost": "Imported cost"})
    edited = type(catalogue)(
        catalogue.organisations, {**catalogue.schemes, "io-mentoring": changed}, catalogue.rules
    )
    report = service.import_catalogue(edited, actor="import data/schemes.yaml")
    assert report.changed
    with service.session() as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.action == "import")).one()
    assert entry.actor == "import data/schemes.yaml" and "io-mentoring" in entry.detail
