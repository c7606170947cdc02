"""The catalogue as HSDS 3.0 open data: valid against the vendored schemas, stable, honest."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from directory import catalogue as cat
from directory import facets, hsds
from directory.models import Revision
from tests.hsds_schemas import compiled, problems

BASE = "https://mentoring.example.org"
IMPORTED = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
EDITED = dt.datetime(2026, 2, 1, 14, 0)  # naive, as SQLite hands it back: UTC


def history_of(scheme: cat.Scheme) -> list[Revision]:
    """Imported, then edited on the site: how and cost changed."""
    edited = scheme.model_copy(
        update={
            "cost": "Free",
            "applications": scheme.applications.model_copy(update={"how": "Email the team."}),
        }
    )
    return [
        Revision(
            scheme_id=scheme.id,
            number=1,
            action="import",
            actor="import data/schemes.yaml",
            document=cat.record(scheme),
            created_at=IMPORTED,
        ),
        Revision(
            scheme_id=scheme.id,
            number=2,
            action="edit",
            actor="jo@example.org (approved by sam@example.org)",
            document=cat.record(edited),
            created_at=EDITED,
        ),
    ]


@pytest.fixture(scope="module")
def exported(catalogue):
    history = {s.id: history_of(s) for s in catalogue.schemes.values()}
    return json.loads(hsds.export(catalogue, BASE, history))


def test_the_export_lists_every_organisation_and_listing(catalogue, exported):
    assert [o["name"] for o in exported["organizations"]] == [
        catalogue.organisations[slug].name for slug in sorted(catalogue.organisations)
    ]
    assert [s["name"] for s in exported["services"]] == [
        catalogue.schemes[slug].name for slug in sorted(catalogue.schemes)
    ]


def test_every_organization_is_valid_hsds(exported):
    for organization in exported["organizations"]:
        assert problems("organization", organization) == [], organization["name"]


def test_every_service_is_valid_hsds(exported):
    for service in exported["services"]:
        assert problems("service", service) == [], service["name"]


def test_every_service_with_its_organization_nested_is_valid_hsds(catalogue):
    for service in hsds.services(catalogue, BASE, with_organization=True):
        assert service["organization"]["id"] == service["organization_id"]
        assert problems("service", service) == [], service["name"]


def test_the_validator_follows_references_between_schema_files(catalogue):
    """A broken nested object must fail, or the tests above prove nothing."""
    service = hsds.service(catalogue.schemes["csp-mentoring"], catalogue, BASE, [])
    service["metadata"] = [{"id": "x", "last_action_type": "update"}]
    service["attributes"][0]["taxonomy_term"]["taxonomy_detail"] = {"id": "t"}
    service["organization"] = {"id": "o", "name": "No description"}
    found = problems("service", service)
    assert "metadata/0: 'field_name' is a required property" in found
    assert "attributes/0/taxonomy_term/taxonomy_detail: 'name' is a required property" in found
    assert "organization: 'description' is a required property" in found


def test_the_schemas_are_hsds_3_0_as_released_where_taxonomy_is_text(catalogue):
    """The pre-release draft we once vendored took the taxonomy object in `taxonomy`."""
    service = hsds.service(catalogue.schemes["csp-mentoring"], catalogue, BASE)
    term = service["attributes"][0]["taxonomy_term"]
    term["taxonomy"] = term["taxonomy_detail"]
    found = problems("service", service)
    assert found and all(m.startswith("attributes/0/taxonomy_term/taxonomy:") for m in found)


def test_the_compiled_schema_has_every_reference_written_out():
    organization = compiled("service")["properties"]["organization"]
    assert organization["required"] == ["id", "name", "description"]
    term = compiled("attribute")["properties"]["taxonomy_term"]["properties"]
    assert term["taxonomy"]["type"] == "string"
    assert term["taxonomy_detail"]["required"] == ["id", "name", "description"]


def test_every_real_listing_and_organisation_is_valid_hsds(real_catalogue):
    """What the site publishes, not only the fixture: the probe found every real one failing."""
    document = json.loads(hsds.export(real_catalogue, BASE, {}))
    for organization in document["organizations"]:
        assert problems("organization", organization) == [], organization["name"]
    for service in hsds.services(real_catalogue, BASE, with_organization=True):
        assert problems("service", service) == [], service["name"]


def test_every_service_belongs_to_an_exported_organization(exported):
    organizations = {o["id"] for o in exported["organizations"]}
    assert {s["organization_id"] for s in exported["services"]} <= organizations


def test_ids_are_the_same_in_every_run_and_never_collide(catalogue, exported):
    again = json.loads(
        hsds.export(catalogue, BASE, {s.id: history_of(s) for s in catalogue.schemes.values()})
    )
    assert again == exported
    ids = [o["id"] for o in exported["organizations"]] + [
        item["id"]
        for service in exported["services"]
        for item in [service, *service["attributes"], *service["metadata"]]
    ]
    assert len(ids) == len(set(ids))


def test_ids_are_derived_from_slugs_with_a_fixed_namespace():
    """Published ids: changing NAMESPACE or the recipe would break every consumer."""
    assert hsds.service_id("csp-mentoring") == "f4722b73-b3da-5302-8181-8953a08dbb41"
    assert hsds.organization_id("csp") == hsds.stable_id("organization", "csp")
    assert hsds.service_id("csp") != hsds.organization_id("csp")


def test_a_listing_never_verified_has_no_assured_date(catalogue):
    scheme = catalogue.schemes["bapo-mentoring"]
    assert scheme.last_verified is None
    service = hsds.service(scheme, catalogue, BASE)
    assert "assured_date" not in service
    verified = scheme.model_copy(update={"last_verified": dt.date(2026, 3, 14)})
    assert hsds.service(verified, catalogue, BASE)["assured_date"] == "2026-03-14"


def test_unknown_facts_are_left_out_not_invented(catalogue):
    scheme = catalogue.schemes["bapo-mentoring"]
    assert (scheme.url, scheme.cost, scheme.regions) == (None, None, None)
    service = hsds.service(scheme, catalogue, BASE)
    for field in ("url", "fees_description", "service_areas", "email", "metadata"):
        assert field not in service
    assert None not in service.values()


def test_known_facts_are_carried_over(catalogue):
    scheme = catalogue.schemes["csp-mentoring"]
    service = hsds.service(scheme, catalogue, BASE)
    assert service["url"] == scheme.url
    assert service["fees_description"] == "Free for CSP members"
    assert service["description"] == f"{scheme.summary}\n\n{scheme.description}"


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("running", "active"),
        ("not-running-now", "temporarily closed"),
        ("ended", "defunct"),
        ("unknown", "active"),
    ],
)
def test_a_listing_status_becomes_the_hsds_service_status(catalogue, state, status):
    scheme = catalogue.schemes["csp-mentoring"]
    scheme = scheme.model_copy(update={"status": cat.ListingStatus(state=state)})
    service = hsds.service(scheme, catalogue, BASE)
    assert service["status"] == status
    assert problems("service", service) == []


def test_an_unknown_status_is_exported_as_active_with_the_doubt_as_an_alert(catalogue):
    scheme = catalogue.schemes["csp-mentoring"]
    unknown = scheme.model_copy(update={"status": cat.ListingStatus(state="unknown")})
    assert hsds.service(unknown, catalogue, BASE)["alert"] == hsds.UNKNOWN_STATUS_ALERT
    running = scheme.model_copy(update={"status": cat.ListingStatus(state="running")})
    assert "alert" not in hsds.service(running, catalogue, BASE)


def test_every_status_in_the_vocabulary_has_an_hsds_status(catalogue):
    assert set(catalogue.vocabulary.slugs("statuses")) == set(hsds.SERVICE_STATUS)


def test_an_organisation_without_a_description_is_described_by_its_kind(catalogue):
    bda = hsds.organization(catalogue.organisations["bda"], catalogue.vocabulary)
    assert bda == {
        "id": hsds.organization_id("bda"),
        "name": "British Dietetic Association",
        "alternate_name": "BDA",
        "description": "Professional body.",
        "website": "https://www.bda.uk.com/",
    }
    employers = hsds.organization(catalogue.organisations["employers"], catalogue.vocabulary)
    assert employers["description"].startswith("Your own employer")
    assert "website" not in employers and "alternate_name" not in employers


def test_regions_become_service_areas(catalogue):
    service = hsds.service(catalogue.schemes["codh-student-leadership-programme"], catalogue, BASE)
    assert [area["name"] for area in service["service_areas"]] == ["Anywhere in the UK"]


def test_eligibility_reads_like_the_scheme_page(catalogue):
    text = hsds.service(catalogue.schemes["bapo-mentoring"], catalogue, BASE)[
        "eligibility_description"
    ]
    assert text == (
        "As a mentee, you can take part if all of these apply:\n"
        "- You are a prosthetist or orthotist\n"
        "- You are a member of the British Association of Prosthetists and Orthotists (BAPO)\n"
        "\n"
        "As a mentor, you can take part if all of these apply:\n"
        "- You are an Allied Health Professional (AHP)\n"
        "- You contact the CAHPR research leads or BAPO to ask about opportunities to mentor\n"
        "\n"
        "Students: your profession is the one you are studying for."
    )


def test_eligibility_has_notes_and_says_which_role_is_not_offered(catalogue):
    text = hsds.eligibility_description(
        catalogue.schemes["elizabeth-casson-trust-mentoring"], catalogue
    )
    assert text.startswith("As a mentee, you can take part if you are an occupational therapist.")
    assert "This listing does not describe a way to become a mentor." in text
    nihr = hsds.eligibility_description(catalogue.schemes["nihr-academy-mentoring"], catalogue)
    assert "member.\nAlso check:\n- The NIHR's FAQ says mentees are" in nihr
    assert "\n- Former mentees wait at least two years before applying again.\n" in nihr


def test_a_rule_with_no_conditions_says_anyone_can_take_part(catalogue):
    text = hsds.eligibility_description(
        catalogue.schemes["rcslt-leadership-information"], catalogue
    )
    assert text.startswith("As a mentee, anyone can take part: there are no conditions.")


@pytest.mark.parametrize(
    ("applications", "expected"),
    [
        (cat.Applications(), None),
        (
            cat.Applications(how="Contact BAPO."),
            "Contact BAPO. Our sources do not say when applications open.",
        ),
        (cat.Applications(timing="all-year"), "You can apply at any time of year."),
        (
            cat.Applications(timing="windows"),
            "Applications open in rounds; the dates are not published.",
        ),
        (
            cat.Applications(
                how="Apply online.",
                timing="windows",
                windows=(
                    cat.Window(opens=dt.date(2026, 3, 1), closes=dt.date(2026, 3, 31)),
                    cat.Window(
                        opens=dt.date(2026, 9, 1), closes=dt.date(2026, 9, 30), note="autumn"
                    ),
                ),
            ),
            "Apply online. Applications open: 1 March 2026 to 31 March 2026; "
            "1 September 2026 to 30 September 2026 (autumn).",
        ),
    ],
)
def test_application_process_says_how_and_when_as_far_as_known(applications, expected):
    assert hsds.application_process(applications) == expected


def test_professions_and_mentoring_types_are_taxonomy_attributes(catalogue):
    scheme = catalogue.schemes["sor-leadership-mentoring"]
    service = hsds.service(scheme, catalogue, BASE)
    by_taxonomy: dict[str, list[str]] = {}
    for attribute in service["attributes"]:
        term = attribute["taxonomy_term"]
        assert attribute["taxonomy_term_id"] == term["id"]
        assert attribute["link_id"] == service["id"]
        assert term["taxonomy_id"] == term["taxonomy_detail"]["id"]
        assert term["taxonomy"] == term["taxonomy_detail"]["name"]
        by_taxonomy.setdefault(term["taxonomy"], []).append(term["code"])
    assert by_taxonomy == {
        "ahp-directory-professions": facets.scheme_facets(scheme, catalogue)["profession"],
        "ahp-directory-mentoring-types": ["traditional", "cross-disciplinary"],
    }
    traditional = service["attributes"][-2]["taxonomy_term"]
    assert traditional["name"] == "Traditional mentoring"
    assert traditional["description"].startswith("A mentor who is more senior")
    assert traditional["term_uri"] == f"{BASE}/mentoring-types/traditional"


def test_metadata_records_each_change_newest_first_without_naming_editors(catalogue, exported):
    scheme = catalogue.schemes["bapo-mentoring"]
    service = next(s for s in exported["services"] if s["id"] == hsds.service_id(scheme.id))
    entries = [
        (m["last_action_date"], m["last_action_type"], m["field_name"], m["updated_by"])
        for m in service["metadata"]
    ]
    assert entries == [
        ("2026-02-01T14:00:00Z", "update", "applications.how", "directory editor"),
        ("2026-02-01T14:00:00Z", "update", "cost", "directory editor"),
        ("2026-01-05T09:30:00Z", "create", "", "catalogue import"),
    ]
    how = service["metadata"][0]
    assert (how["previous_value"], how["replacement_value"]) == ("Contact BAPO.", "Email the team.")
    cost = service["metadata"][1]
    assert (cost["previous_value"], cost["replacement_value"]) == ("", "Free")
    assert "@" not in json.dumps(exported)


def test_a_removed_and_restored_listing_shows_delete_then_create(catalogue):
    scheme = catalogue.schemes["bapo-mentoring"]
    first, _ = history_of(scheme)
    removed = Revision(
        scheme_id=scheme.id, number=2, action="remove", actor="import", created_at=EDITED
    )
    back = first.model_copy(update={"number": 3, "created_at": EDITED + dt.timedelta(days=1)})
    actions = [m["last_action_type"] for m in hsds.metadata(scheme.id, [first, removed, back])]
    assert actions == ["create", "delete", "create"]
