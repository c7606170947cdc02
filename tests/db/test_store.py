"""Import, export and merge on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session, select

from directory import catalogue as cat
from directory import store
from directory.models import Revision, SchemeRow
from tests.conftest import FIXTURE_CATALOGUE, without_header


def import_(engine, catalogue, actor="test import"):
    with Session(engine) as session:
        report = store.import_catalogue(session, catalogue, actor=actor)
        session.commit()
    return report


def edited(catalogue: cat.Catalogue, scheme_id: str, **changes) -> cat.Catalogue:
    """A copy of the catalogue with one scheme changed."""
    schemes = dict(catalogue.schemes)
    schemes[scheme_id] = schemes[scheme_id].model_copy(update=changes)
    return cat.Catalogue(dict(catalogue.organisations), schemes, dict(catalogue.rules))


def without(catalogue: cat.Catalogue, scheme_id: str) -> cat.Catalogue:
    schemes = {k: v for k, v in catalogue.schemes.items() if k != scheme_id}
    return cat.Catalogue(dict(catalogue.organisations), schemes, dict(catalogue.rules))


def edit_on_site(engine, scheme_id: str, **changes) -> None:
    with Session(engine) as session:
        row = session.get(SchemeRow, scheme_id)
        record = cat.Scheme.model_validate(row.document).model_copy(update=changes)
        store.write_record(session, record, row, store.bump_version(session))
        session.commit()


def test_importing_twice_changes_nothing_the_second_time(engine, catalogue):
    first = import_(engine, catalogue)
    assert len(first.added) == len(catalogue.schemes) + len(catalogue.organisations)
    with Session(engine) as session:
        version = store.catalogue_version(session)
        revisions = len(session.exec(select(Revision)).all())
    second = import_(engine, catalogue)
    assert not second.changed
    assert second.unchanged == len(first.added)
    with Session(engine) as session:
        assert store.catalogue_version(session) == version
        assert len(session.exec(select(Revision)).all()) == revisions


def test_the_database_gives_back_the_catalogue_it_was_given(engine, vocabulary, catalogue):
    import_(engine, catalogue)
    with Session(engine) as session:
        loaded = store.load_catalogue(session, vocabulary)
    assert loaded.schemes == catalogue.schemes
    assert loaded.organisations == catalogue.organisations


def test_export_of_an_imported_catalogue_is_the_catalogue_file(engine, vocabulary, catalogue):
    import_(engine, catalogue)
    with Session(engine) as session:
        text = store.export_catalogue(session, vocabulary)
    assert without_header(text) == without_header(FIXTURE_CATALOGUE.read_text())
    again = cat.from_text(text, vocabulary)
    assert import_(engine, again).changed is False


def test_a_change_in_the_file_is_imported_with_a_revision(engine, catalogue):
    import_(engine, catalogue)
    report = import_(engine, edited(catalogue, "csp-mentoring", name="CSP mentoring (renamed)"))
    assert report.updated == ["scheme csp-mentoring"]
    with Session(engine) as session:
        row = session.get(SchemeRow, "csp-mentoring")
        assert row.name == "CSP mentoring (renamed)"
        assert row.version == 2
        numbers = session.exec(
            select(Revision.number).where(Revision.scheme_id == "csp-mentoring")
        ).all()
        assert sorted(numbers) == [1, 2]


def test_a_site_edit_is_kept_when_the_file_did_not_change(engine, catalogue):
    import_(engine, catalogue)
    edit_on_site(engine, "bda-mentoring", cost="Free")
    report = import_(engine, catalogue)
    assert report.kept == ["bda-mentoring"]
    with Session(engine) as session:
        assert session.get(SchemeRow, "bda-mentoring").document["cost"] == "Free"


def test_a_listing_changed_on_both_sides_is_a_conflict_and_nothing_is_written(engine, catalogue):
    import_(engine, catalogue)
    edit_on_site(engine, "bda-mentoring", cost="Free")
    incoming = edited(catalogue, "bda-mentoring", cost="Ask the BDA")
    incoming = edited(incoming, "csp-mentoring", name="A harmless rename")
    report = import_(engine, incoming)
    assert [str(c) for c in report.conflicts] == [
        "scheme bda-mentoring: changed in the file and on the site since the last sync"
    ]
    assert report.summary() == "refused: 1 conflict(s); nothing was written"
    with Session(engine) as session:
        assert session.get(SchemeRow, "csp-mentoring").name != "A harmless rename"
        assert session.get(SchemeRow, "bda-mentoring").document["cost"] == "Free"


def test_export_settles_conflicts_by_making_the_database_the_new_base(
    engine, vocabulary, catalogue
):
    import_(engine, catalogue)
    edit_on_site(engine, "bda-mentoring", cost="Free")
    with Session(engine) as session:
        exported = cat.from_text(store.export_catalogue(session, vocabulary), vocabulary)
        session.commit()
    assert import_(engine, edited(exported, "bda-mentoring", cost="Ask the BDA")).updated == [
        "scheme bda-mentoring"
    ]


def test_a_listing_removed_from_the_file_is_removed_with_a_revision(engine, catalogue):
    import_(engine, catalogue)
    report = import_(engine, without(catalogue, "io-mentoring"))
    assert report.removed == ["scheme io-mentoring"]
    with Session(engine) as session:
        assert session.get(SchemeRow, "io-mentoring") is None
        last = session.exec(
            select(Revision)
            .where(Revision.scheme_id == "io-mentoring")
            .order_by(Revision.number.desc())
        ).first()
        assert (last.action, last.document) == ("remove", None)


def test_removing_a_listing_edited_on_the_site_is_a_conflict(engine, catalogue):
    import_(engine, catalogue)
    edit_on_site(engine, "io-mentoring", cost="Free")
    report = import_(engine, without(catalogue, "io-mentoring"))
    assert [c.id for c in report.conflicts] == ["io-mentoring"]
    with Session(engine) as session:
        assert session.get(SchemeRow, "io-mentoring") is not None


def test_every_import_bumps_the_catalogue_version_once(engine, catalogue):
    import_(engine, catalogue)
    with Session(engine) as session:
        before = store.catalogue_version(session)
    import_(engine, edited(catalogue, "csp-mentoring", cost="Free"))
    with Session(engine) as session:
        assert store.catalogue_version(session) == before + 1


DERIVED = ("ids_by_name", "name_order", "by_provider", "by_mentoring_type", "rule_table")


def derived_tables(catalogue: cat.Catalogue) -> dict:
    return {name: getattr(catalogue, name) for name in DERIVED}


def fresh_tables(catalogue: cat.Catalogue) -> dict:
    """The same tables worked out again from scratch, to compare with."""
    copy = cat.Catalogue(
        catalogue.organisations, catalogue.schemes, catalogue.rules, vocabulary=catalogue.vocabulary
    )
    tables = derived_tables(copy)
    tables["rule_table"] = tables["rule_table"].ids  # the table itself has no equality
    return tables


def comparable(catalogue: cat.Catalogue) -> dict:
    tables = derived_tables(catalogue)
    tables["rule_table"] = tables["rule_table"].ids
    return tables


def test_the_cache_keeps_derived_tables_that_an_edit_leaves_as_they_were(
    engine, catalogue, base_vocabulary
):
    import_(engine, catalogue)
    cache = store.CatalogueCache(base_vocabulary)
    before, _ = cache.get(engine)
    tables = derived_tables(before)

    edit_on_site(engine, "csp-mentoring", summary="A new summary, nothing else.")
    after, _ = cache.get(engine)
    assert after is not before and after.schemes["csp-mentoring"].summary.startswith("A new")
    for name, table in derived_tables(after).items():
        assert table is tables[name], name  # taken over, not worked out again
    assert comparable(after) == fresh_tables(after)

    edit_on_site(engine, "csp-mentoring", name="Zzz last by name")
    renamed, _ = cache.get(engine)
    assert renamed.ids_by_name[-1] == "csp-mentoring"  # worked out again: the name moved
    assert renamed.rule_table is not tables["rule_table"]
    assert comparable(renamed) == fresh_tables(renamed)


def test_the_cache_follows_listings_removed_and_added_back(engine, catalogue, base_vocabulary):
    import_(engine, catalogue)
    cache = store.CatalogueCache(base_vocabulary)
    full, _ = cache.get(engine)
    import_(engine, without(catalogue, "io-mentoring"))
    smaller, _ = cache.get(engine)
    assert "io-mentoring" not in smaller.schemes and "io-mentoring" not in smaller.rules
    assert "io-mentoring" not in smaller.rule_table.ids
    import_(engine, catalogue)
    again, _ = cache.get(engine)
    assert again.schemes.keys() == full.schemes.keys() == again.rules.keys()
    assert list(again.schemes) == sorted(again.schemes)  # still in id order


def test_a_new_catalogue_is_prepared_before_anyone_is_given_it(engine, catalogue, base_vocabulary):
    import_(engine, catalogue)
    cache = store.CatalogueCache(base_vocabulary)
    before, version = cache.get(engine)
    edit_on_site(engine, "csp-mentoring", summary="Prepared first.")
    seen = []

    def prepare(new, new_version):  # e.g. bring the search index up to it
        seen.append((new.schemes["csp-mentoring"].summary, new_version, cache.current[0]))

    after, new_version = cache.get(engine, prepare=prepare)
    assert seen == [("Prepared first.", new_version, before)]  # others still had `before`
    assert cache.current == (after, new_version) and cache.newest == new_version > version
    assert cache.get(engine, prepare=prepare)[0] is after and len(seen) == 1  # nothing new
