"""The search page, /search, and its CSV twin, /search.csv, through the Flask test client.

Expected results are worked out from the catalogue's fields and the checker
(tests/expected.py), never copied from the site's own output.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import Counter
from urllib.parse import urlencode

import pytest

from directory import search
from tests import expected
from tests.web.pages import SearchPage, query_pairs

PAGE_SIZE = search.PAGE_SIZE


def page(client, params=()) -> SearchPage:
    response = client.get("/search?" + urlencode(list(params)))
    assert response.status_code == 200, response.status_code
    return SearchPage(response.get_data(as_text=True))


def all_hits(client, params=()) -> list[str]:
    """Every listing a search finds, following its pages in order."""
    params = [(k, v) for k, v in params if k != "page"]
    first = page(client, params)
    ids = list(first.hit_ids)
    for number in range(2, math.ceil(first.total / PAGE_SIZE) + 1):
        ids += page(client, [*params, ("page", str(number))]).hit_ids
    assert len(ids) == len(set(ids)) == first.total, (ids, first.total)
    return ids


def names_in_order(catalogue, ids=None) -> list[str]:
    schemes = [catalogue.schemes[i] for i in (ids if ids is not None else catalogue.schemes)]
    return [s.id for s in sorted(schemes, key=lambda s: (s.name.lower(), s.id))]


# Paging and sorting ---------------------------------------------------------------------------


def test_an_empty_search_lists_every_listing_on_pages_of_ten(client, catalogue):
    assert 10 < len(catalogue.schemes) <= 20, "the fixture catalogue fills two pages of ten"
    first = page(client)
    second = page(client, [("page", "2")])
    assert first.total == second.total == len(catalogue.schemes)
    assert len(first.hit_ids) == 10
    assert len(second.hit_ids) == len(catalogue.schemes) - 10
    assert set(first.hit_ids) | set(second.hit_ids) == set(catalogue.schemes)
    assert second.title == "Search (page 2 of 2) – AHP Mentoring Directory"


def test_pagination_runs_on_sqlite_and_postgresql_alike(any_db_app, catalogue):
    client = any_db_app.test_client()
    assert sorted(all_hits(client)) == sorted(catalogue.schemes)
    assert len(page(client, [("page", "2")]).hit_ids) == len(catalogue.schemes) - 10


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("1", 1),
        ("2", 2),
        ("abc", 1),
        ("0", 1),
        ("-1", 1),
        ("99999", 2),
        ("", 1),
        ("1.5", 1),
        ("2 ", 2),
        ("9" * 3000, 2),  # absurd, clamped like 99999; longer URLs get a 414
    ],
)
def test_a_page_number_is_clamped_to_the_pages_there_are_never_an_error(client, given, shown):
    got = page(client, [("page", given)])
    assert got.hit_ids == page(client, [("page", str(shown))]).hit_ids
    current = got.root.find("li", class_="govuk-pagination__item--current")
    assert current.text == str(shown)


def test_page_one_links_to_page_two_keeping_the_search(client):
    params = [("q", "mentoring"), ("role", "mentee")]
    first = page(client, params)
    assert first.total > PAGE_SIZE
    (next_link,) = first.root.find("div", class_="govuk-pagination__next").find_all("a")
    assert Counter(query_pairs(next_link.attrs["href"])) == Counter([*params, ("page", "2")])


def test_sorting_by_name_lists_every_listing_alphabetically_across_pages(client, catalogue):
    assert all_hits(client, [("sort", "name")]) == names_in_order(catalogue)


def test_sorting_by_name_orders_a_text_search_alphabetically(client, catalogue):
    found = all_hits(client, [("q", "mentoring"), ("sort", "name")])
    assert len(found) > PAGE_SIZE
    assert found == names_in_order(catalogue, found)


@pytest.mark.parametrize("sort", [None, "relevance", "date", ""])
def test_relevance_is_the_sort_unless_name_is_asked_for(client, sort):
    params = [("q", "physio")] + ([("sort", sort)] if sort is not None else [])
    got = page(client, params)
    assert got.hit_ids[0] == "csp-mentoring"
    assert got.root.find("option", value="relevance").attrs.get("selected") is not None


# Text search ----------------------------------------------------------------------------------


def test_the_words_searched_for_are_shown_in_the_count_and_the_title(client):
    got = page(client, [("q", "physio")])
    assert got.count_region.text == f"{got.total} listings found for physio"
    assert got.title == "physio – Search – AHP Mentoring Directory"


def test_matched_words_are_marked_in_the_results(client):
    got = page(client, [("q", "physiotherapy")])
    assert got.hit_ids[0] == "csp-mentoring"
    assert "Chartered Society of <mark>Physiotherapy</mark> mentoring scheme" in got.html
    csp = got.hit_links[0].parent.parent
    assert [m.text for m in csp.find_all("mark")] == ["Physiotherapy", "Physiotherapy"]


@pytest.mark.parametrize("words", ["OT", "physio"])
def test_a_word_is_only_marked_where_the_search_matched_it(client, words):
    got = page(client, [("q", words)])
    rcslt = got.hit_links[got.hit_ids.index("rcslt-leadership-information")].parent.parent
    assert rcslt.find_all("mark") == []


def test_markup_typed_into_the_search_box_is_shown_as_text(client):
    got = page(client, [("q", '<mark>x</mark><script>alert("hi")</script>')])
    assert "<script>alert" not in got.html
    assert "<mark>x</mark>" not in got.html
    assert got.count_region.find("q").text == '<mark>x</mark><script>alert("hi")</script>'


def test_a_misspelt_search_shows_results_for_the_corrected_spelling(client):
    got = page(client, [("q", "phsyio")])
    assert got.hit_ids == page(client, [("q", "physio")]).hit_ids
    # One sentence, not a count for "phsyio" above "no listings matched phsyio".
    assert got.count_region.text == (
        f"{got.total} listings found for physio, as nothing matched phsyio"
    )
    assert "No listings matched" not in got.root.text


# Filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize("facet", expected.FACET_IDS)
def test_each_filter_value_keeps_exactly_the_listings_that_have_it(
    client, catalogue, vocabulary, facet
):
    for value in expected.filter_values(facet, vocabulary):
        want = expected.listings_with(catalogue, vocabulary, {facet: [value]})
        assert set(all_hits(client, [(facet, value)])) == want, (facet, value)


@pytest.mark.parametrize(
    "filters",
    [
        {"profession": ["physiotherapist", "dietitian"]},
        {"profession": ["radiographer"], "stage": ["student"]},
        {"access": ["members-only", "open"], "role": ["mentor"]},
        {"member_of": ["none-needed"], "listing_type": ["scheme", "network"]},
        {"mentoring_type": ["cross-disciplinary"], "provider_kind": ["research"]},
        {"region": ["london", "not-stated"], "stage": ["qualified"], "role": ["mentee"]},
    ],
)
def test_values_of_one_filter_combine_with_or_and_different_filters_with_and(
    client, catalogue, vocabulary, filters
):
    params = [(facet, v) for facet, values in filters.items() for v in values]
    want = expected.listings_with(catalogue, vocabulary, filters)
    assert set(all_hits(client, params)) == want


def test_filters_narrow_a_text_search(client, catalogue, vocabulary):
    text_only = set(all_hits(client, [("q", "leadership")]))
    filtered = set(all_hits(client, [("q", "leadership"), ("stage", "qualified")]))
    qualified = expected.listings_with(catalogue, vocabulary, {"stage": ["qualified"]})
    assert filtered == text_only & qualified
    assert filtered and filtered != text_only


def test_open_now_keeps_only_listings_taking_applications_today(client, catalogue):
    today = dt.date.today()
    want = {s.id for s in catalogue.schemes.values() if s.window_open_on(today) is True}
    got = page(client, [("open_now", "1")])
    assert set(got.hit_ids) == want
    assert want, "the catalogue has an all-year listing, so something is open"
    assert [c.text for c in got.chips] == ["Remove filter: Applications open now"]
    assert got.root.find("input", id="open_now").attrs.get("checked") is not None


@pytest.mark.parametrize("value", ["0", "yes", "true", ""])
def test_open_now_is_only_on_when_it_is_1(client, catalogue, value):
    assert page(client, [("open_now", value)]).total == len(catalogue.schemes)


@pytest.mark.parametrize(
    ("params", "ignored"),
    [
        ([("profession", "physio")], ["physio"]),
        ([("region", "atlantis"), ("access", "open")], ["atlantis"]),
        ([("stage", "Student")], ["Student"]),
        ([("member_of", "<b>csp</b>"), ("role", "boss")], ["<b>csp</b>", "boss"]),
        ([("listing_type", "scheme"), ("listing_type", "nope")], ["nope"]),
    ],
)
def test_unknown_filter_values_are_ignored_and_the_page_says_so(
    client, catalogue, vocabulary, params, ignored
):
    got = page(client, params)
    known = {}
    for facet, value in params:
        if value not in ignored:
            known.setdefault(facet, []).append(value)
    assert set(all_hits(client, params)) == expected.listings_with(catalogue, vocabulary, known)
    notice = next(p for p in got.root.find_all("p") if "We ignored filters" in p.text)
    assert [q.text for q in notice.find_all("q")] == ignored
    assert "<b>csp</b>" not in got.html


def test_unknown_parameter_names_are_ignored(client, catalogue):
    got = page(client, [("colour", "teal"), ("utm_source", "newsletter")])
    assert got.total == len(catalogue.schemes)


# Search as me (the checker's answers as my_* parameters) --------------------------------------
#
# /search and /search.csv share run_search(); the CSV lets the table below check which
# listings "search as me" keeps.

OT_WITH_NO_MEMBERSHIPS = [("my_profession", "occupational-therapist"), ("my_member_of", "none")]


def csv_ids(client, params=()) -> list[str]:
    return [row["id"] for row in csv_rows(client, params)]


def test_searching_as_an_occupational_therapist_shows_their_listings_without_the_csp_scheme(
    client,
):
    params = [("q", "mentoring"), ("access", "members-only"), *OT_WITH_NO_MEMBERSHIPS]
    got = page(client, OT_WITH_NO_MEMBERSHIPS)
    found = all_hits(client, OT_WITH_NO_MEMBERSHIPS)
    assert "csp-mentoring" not in found
    assert {"elizabeth-casson-trust-mentoring", "cahpr-regional-hubs"} <= set(found)
    inset = got.root.find("div", class_="govuk-inset-text")
    assert inset.text.startswith("Showing only listings open to you, or that you could join")
    (all_link,) = inset.find_all("a")
    assert all_link.text == "Search all listings"
    assert query_pairs(all_link.attrs["href"]) == []
    # Chips keep the answers; facet counts hold while searching as me.
    filtered = page(client, params)
    (chip,) = filtered.chips
    assert Counter(query_pairs(chip.href)) == Counter([("q", "mentoring"), *OT_WITH_NO_MEMBERSHIPS])
    for option in filtered.facet_options:
        changed = [p for p in params if p[0] != option.facet] + [(option.facet, option.value)]
        assert page(client, changed).total == option.count, option


def test_searching_as_an_occupational_therapist_leaves_out_the_csp_scheme(client):
    found = csv_ids(client, OT_WITH_NO_MEMBERSHIPS)
    assert "csp-mentoring" not in found
    assert {"elizabeth-casson-trust-mentoring", "cahpr-regional-hubs"} <= set(found)
    assert len(found) < len(csv_ids(client))


def test_search_as_me_works_on_sqlite_and_postgresql_alike(any_db_app):
    found = csv_ids(any_db_app.test_client(), OT_WITH_NO_MEMBERSHIPS)
    assert "csp-mentoring" not in found
    assert "elizabeth-casson-trust-mentoring" in found


@pytest.mark.parametrize(
    "case", expected.AS_ME_CASES, ids=[c["name"] for c in expected.AS_ME_CASES]
)
def test_search_as_me_agrees_with_the_checker(client, catalogue, vocabulary, case):
    found = set(csv_ids(client, expected.as_me_parameters(case["answers"])))
    for scheme_id, want in case["expect"].items():
        if expected.expectation(want)["status"] == "ineligible":
            assert scheme_id not in found, scheme_id
        else:
            assert scheme_id in found, scheme_id
    assert found == expected.open_to(catalogue, vocabulary, case["answers"])


def test_search_as_me_combines_with_words_and_filters(client, catalogue, vocabulary):
    answers = {"profession": "radiographer", "stage": "student", "member_of": "none"}
    params = [("q", "leadership"), ("access", "members-only")]
    found = set(csv_ids(client, [*params, *expected.as_me_parameters(answers)]))
    everyone = set(csv_ids(client, params))
    assert found == everyone & expected.open_to(catalogue, vocabulary, answers)
    assert "sor-student-leadership-elective" in found


@pytest.mark.parametrize(
    "answers",
    [
        [("my_profession", "physio")],
        [("my_profession", "paramedic"), ("my_profession", "nurse")],
        [("my_member_of", "none"), ("my_member_of", "csp")],
    ],
)
def test_answers_the_checker_cannot_read_do_not_break_the_page(client, answers):
    assert page(client, answers).total > 0


# Chips: one link per chosen filter, which removes exactly that filter ---------------------------


def chip_cases():
    """For each filter, one state with it chosen among others."""
    cases = []
    for facet in expected.FACET_IDS:
        value = expected.filter_values(facet, expected.VOCABULARY)[0]
        other = ("access", "open") if facet != "access" else ("role", "mentee")
        params = [("q", "mentoring"), (facet, value), other, ("sort", "name")]
        cases.append(pytest.param(params, (facet, value), id=f"{facet}={value}"))
    return cases


@pytest.mark.parametrize(
    ("params", "chosen"),
    [
        *chip_cases(),
        pytest.param(
            [("open_now", "1"), ("profession", "physiotherapist")],
            ("open_now", "1"),
            id="open_now",
        ),
    ],
)
def test_each_chosen_filter_has_a_chip_that_removes_exactly_that_filter(
    client, vocabulary, params, chosen
):
    got = page(client, [*params, ("page", "2")])
    facet, value = chosen
    label = (
        "Applications open now"
        if facet == "open_now"
        else expected.filter_label(facet, value, vocabulary)
    )
    (chip,) = [c for c in got.chips if c.text == f"Remove filter: {label}"]
    assert chip.hidden_text == "Remove filter: "
    kept = [p for p in params if p != chosen]
    assert Counter(query_pairs(chip.href)) == Counter(kept)


def test_there_is_one_chip_per_chosen_value(client, vocabulary):
    params = [("profession", "physiotherapist"), ("profession", "dietitian"), ("region", "wales")]
    got = page(client, params)
    assert [c.text for c in got.chips] == [
        "Remove filter: Physiotherapist",
        "Remove filter: Dietitian",
        "Remove filter: Wales",
    ]
    for chip, removed in zip(got.chips, params, strict=True):
        assert Counter(query_pairs(chip.href)) == Counter(p for p in params if p != removed)


def test_a_search_without_filters_has_no_chips(client):
    assert page(client, [("q", "physio")]).chips == []


# The count, and facet counts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "sentence"),
    [
        ([], f"{len(expected.CATALOGUE.schemes)} listings found"),
        ([("q", "research mentoring NIHR")], "1 listing found for research mentoring NIHR"),
        ([("q", "zzzzqqqxx")], "0 listings found for zzzzqqqxx"),
    ],
)
def test_the_result_count_is_announced_in_a_live_region(client, params, sentence):
    got = page(client, params)
    assert got.count_region.text == sentence
    live = [got.count_region, *got.count_region.ancestors()]
    assert any(e.attrs.get("aria-live") == "polite" for e in live)
    assert got.total == len(all_hits(client, params))


@pytest.mark.parametrize(
    "params",
    [
        [("profession", "physiotherapist"), ("profession", "radiographer")],
        [("q", "leadership"), ("stage", "student"), ("access", "members-only")],
        [("open_now", "1")],
    ],
    ids=["two-professions", "words-and-filters", "open-now"],  # more states in test_api
)
def test_each_facet_count_is_the_number_of_results_that_filter_gives(client, params):
    """A profession's count leaves out the listings open to all AHPs, counted once apart."""
    got = page(client, params)
    assert got.facet_options
    for option in got.facet_options:
        # Choosing that value alone in its facet (other facets as they are).
        changed = [p for p in params if p[0] != option.facet] + [(option.facet, option.value)]
        if option.facet == "profession" and option.value != "all-ahps":
            to_all = [p for p in params if p[0] != "profession"] + [("profession", "all-ahps")]
            found = set(all_hits(client, changed)) - set(all_hits(client, to_all))
            assert len(found) == option.count, option
        else:
            assert page(client, changed).total == option.count, option


def test_listings_open_to_all_ahps_are_counted_once_not_under_every_profession(
    client, catalogue, vocabulary
):
    """Issue #19: in a physiotherapy search, the listings open to every AHP show as "Open
    to all AHPs (n)", not as n art-therapy listings; choosing a profession keeps them."""
    got = page(client, [("q", "physiotherapy")])
    found = set(all_hits(client, [("q", "physiotherapy")]))
    to_all = found & expected.listings_with(catalogue, vocabulary, {"profession": ["all-ahps"]})
    art = found & expected.listings_with(catalogue, vocabulary, {"profession": ["art-therapist"]})
    assert to_all and to_all <= art  # open to all AHPs, so open to art therapists
    options = {o.value: o for o in got.facet_options if o.facet == "profession"}
    assert options["all-ahps"].label == "Open to all AHPs"
    assert options["all-ahps"].count == len(to_all)
    assert next(o.value for o in got.facet_options if o.facet == "profession") == "all-ahps"
    if art - to_all:
        assert options["art-therapist"].count == len(art - to_all)
    else:
        assert "art-therapist" not in options
    assert "leaves out listings open to all AHPs" in got.root.text
    chosen = set(all_hits(client, [("q", "physiotherapy"), ("profession", "art-therapist")]))
    assert chosen == art


def test_facets_list_only_values_with_results_or_chosen(client):
    got = page(client, [("q", "MPharm"), ("region", "wales")])
    assert got.total == 0
    options = {(o.facet, o.value): o for o in got.facet_options}
    assert options[("region", "wales")].checked
    assert all(o.count > 0 or o.checked for o in options.values())


def test_facet_labels_come_from_the_vocabulary(client, vocabulary):
    for option in page(client).facet_options:
        assert option.label == expected.filter_label(option.facet, option.value, vocabulary)


# No results -----------------------------------------------------------------------------------


def test_no_results_offers_the_spelling_removing_each_filter_and_browsing(client):
    params = [("q", "leadershp"), ("profession", "paramedic"), ("listing_type", "network")]
    got = page(client, params)
    assert got.total == 0
    assert "Try:" in got.root.text
    (spelling,) = {a.attrs["href"] for a in got.links() if a.text == "leadership"}
    assert Counter(query_pairs(spelling)) == Counter(
        [("q", "leadership"), ("profession", "paramedic"), ("listing_type", "network")]
    )
    (no_paramedic,) = got.links("removing the filter “Paramedic”")
    assert Counter(query_pairs(no_paramedic.attrs["href"])) == Counter(
        [("q", "leadershp"), ("listing_type", "network")]
    )
    (no_network,) = got.links("removing the filter “Network that helps you find a mentor”")
    assert Counter(query_pairs(no_network.attrs["href"])) == Counter(
        [("q", "leadershp"), ("profession", "paramedic")]
    )
    assert [a.attrs["href"] for a in got.links("browsing all listings")] == ["/browse"]
    assert [a.attrs["href"] for a in got.links("listings by type of mentoring")] == [
        "/guide/forms-of-mentoring"
    ]


def test_no_results_for_unknown_words_still_offers_browsing(client):
    got = page(client, [("q", "zzzzqqqxx")])
    assert got.total == 0
    assert "fewer or different words" in got.root.text
    assert got.links("browsing all listings")
    assert not got.links("searching for")


def test_a_corrected_search_that_filters_leave_empty_does_not_claim_results(client):
    got = page(
        client,
        [("q", "leadershp"), ("profession", "paramedic"), ("listing_type", "network")],
    )
    assert got.total == 0
    assert "so these are for" not in got.root.text


# CSV export ------------------------------------------------------------------------------------

CSV_HEADER = ["id", "name", "provider", "listing_type", "access", "summary", "url", "last_verified"]


def csv_rows(client, params=()) -> list[dict]:
    response = client.get("/search.csv?" + urlencode(list(params)))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    reader = csv.reader(io.StringIO(response.get_data(as_text=True)))
    header, *rows = list(reader)
    assert header == CSV_HEADER
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.mark.parametrize(
    "params",
    [
        [],
        [("q", "mentoring")],
        [("q", "mentoring"), ("sort", "name"), ("page", "2")],
        [("profession", "radiographer"), ("stage", "student")],
        [("open_now", "1"), ("listing_type", "scheme")],
        [("q", "zzzzqqqxx")],
    ],
)
def test_the_csv_has_a_header_and_one_row_per_result_across_all_pages(client, params):
    rows = csv_rows(client, params)
    assert [r["id"] for r in rows] == all_hits(client, params)


@pytest.mark.parametrize(
    "params",
    [
        [("q", "csp"), ("profession", "dietitian")],
        [("q", "csp"), ("open_now", "1")],
        [("q", "csp"), ("my_profession", "dietitian")],
    ],
)
def test_the_csv_of_a_search_that_filters_leave_empty_has_only_the_header(client, params):
    assert csv_rows(client, params) == []


def test_csv_rows_describe_each_listing(client, catalogue):
    for row in csv_rows(client):
        scheme = catalogue.schemes[row["id"]]
        assert row["name"] == scheme.name
        assert row["summary"] == scheme.summary
        assert row["provider"] == catalogue.organisations[scheme.provider].name
        assert row["listing_type"] == scheme.listing_type
        assert row["access"] == (scheme.access or "")
        assert row["url"] == f"http://localhost/schemes/{scheme.id}"


def test_the_csv_works_on_sqlite_and_postgresql_alike(any_db_app, catalogue):
    rows = csv_rows(any_db_app.test_client(), [("sort", "name")])
    assert [r["id"] for r in rows] == names_in_order(catalogue)


def test_the_page_links_to_the_csv_of_the_same_search(client):
    params = [("q", "mentoring"), ("role", "mentor"), ("sort", "name")]
    got = page(client, [*params, ("page", "2")])
    (link,) = got.links("as a spreadsheet (CSV)")
    assert link.attrs["href"].startswith("/search.csv?")
    assert Counter(query_pairs(link.attrs["href"])) == Counter(params)
    assert got.total > 1
    assert link.text == f"Download these {got.total} listings as a spreadsheet (CSV)"


def test_the_csv_link_for_one_listing_says_this_listing(client):
    got = page(client, [("q", "Liverpool")])  # the one listing at Liverpool John Moores
    assert got.total == 1
    (link,) = got.links("as a spreadsheet (CSV)")
    assert link.text == "Download this listing as a spreadsheet (CSV)"


# No index to wait for ----------------------------------------------------------------------------


def test_an_app_started_without_building_the_index_finds_listings_at_once(tmp_path):
    """The index is built in memory from the catalogue on first use: nothing to rebuild."""
    from tests.web.conftest import make_app

    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'test.sqlite3'}", BUILD_INDEX=False)
    try:
        found = page(app.test_client(), [("q", "physiotherapy")])
        assert found.hit_ids[0] == "csp-mentoring"
        assert "rebuilt" not in found.root.text
    finally:
        app.extensions["directory"].close()
