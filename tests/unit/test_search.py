"""Search quality against the real catalogue, using directory.search directly (no Flask).

Synonyms, spelling, stemming, field boosts, facet counts, the example queries
from issue #4, and safe highlighting. Tiny synthetic catalogues stand in where
the real one cannot show a property on its own.
"""

from __future__ import annotations

import re

import pytest
import yaml
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from directory import catalogue as cat
from directory import search
from directory.search.query import add_to_counter
from tests import expected

VOCABULARY = expected.VOCABULARY


@pytest.fixture(scope="module")
def index(catalogue) -> search.Snapshot:
    return search.LiveIndex().get(catalogue, 1)


def run(index, text="", **kwargs) -> search.Results:
    return index.run(search.Query(text, page_size=100, **kwargs))


def ids(index, text="", **kwargs) -> list[str]:
    return [hit.id for hit in run(index, text, **kwargs).hits]


def synthetic_index(tmp_path, vocabulary, *schemes: dict, organisations=None):
    """An index over a made-up catalogue of listings open to everyone."""
    organisations = organisations or [{"id": "body", "name": "Test body", "kind": "charity"}]
    document = {
        "organisations": organisations,
        "schemes": [
            {
                "listing_type": "scheme",
                "provider": organisations[0]["id"],
                "description": "Nothing in particular.",
                "eligibility": {"mentee": {"rule": {"all": []}, "reference": "tests"}},
                "sources": [{"title": "Test fixture"}],
                **scheme,
            }
            for scheme in schemes
        ],
    }
    catalogue = cat.from_text(yaml.safe_dump(document), vocabulary)
    return search.LiveIndex().get(catalogue, 1)


# Synonyms ---------------------------------------------------------------------------------------


def _profession_cases():
    cases = []
    for term in VOCABULARY.term_sets["professions"].terms:
        for word in (term.label, *term.synonyms):
            cases.append(pytest.param(term.slug, word, id=f"{word}->{term.slug}"))
    return cases


@pytest.mark.parametrize(("slug", "word"), _profession_cases())
def test_every_name_for_a_profession_finds_its_listings_first(
    index, catalogue, vocabulary, slug, word
):
    found = ids(index, word)
    own = expected.naming_profession(catalogue, slug)
    assert found, f"{word!r} found nothing"
    if own:  # a listing for this profession itself comes first
        assert found[0] in own, (word, found[:3])
        assert own <= set(found)
    # Everything found is open to that profession, as the checker sees it, or has ended
    # (findable by the words it uses, and open to nobody).
    not_joinable = {s.id for s in catalogue.schemes.values() if not s.joinable}
    assert set(found) - not_joinable <= expected.open_to(
        catalogue, vocabulary, {"profession": slug}
    )


@pytest.mark.parametrize(
    ("word", "first"),
    [
        ("physio", "csp-mentoring"),
        ("SALT", "rcslt-leadership-information"),
        ("SLT", "rcslt-leadership-information"),
        ("OT", "elizabeth-casson-trust-mentoring"),
        ("chiropody", "rcpod-mentoring"),
        ("chiropodist", "rcpod-mentoring"),
        ("P&O", "bapo-mentoring"),
        ("p and o", "bapo-mentoring"),
        ("dietician", "bda-mentoring"),
        ("osteo", "io-mentoring"),
        ("radiography", "sor-student-leadership-elective"),
    ],
)
def test_the_words_people_type_find_the_right_listing_first(index, word, first):
    assert ids(index, word)[0] == first


def test_odp_finds_listings_open_to_every_profession_though_none_is_for_odps_alone(
    index, catalogue, vocabulary
):
    assert expected.naming_profession(catalogue, "operating-department-practitioner") == set()
    found = set(ids(index, "ODP"))
    assert {"cahpr-regional-hubs", "employer-mentoring"} <= found
    odp = {"profession": "operating-department-practitioner"}
    assert found <= expected.open_to(catalogue, vocabulary, odp)


def _membership_cases():
    catalogue = cat.load(expected.FIXTURE_CATALOGUE, VOCABULARY)
    cases = []
    for term in VOCABULARY.term_sets["memberships"].terms:
        if expected.listings_with(catalogue, VOCABULARY, {"member_of": [term.slug]}):
            for word in (term.label, *term.synonyms):
                cases.append(pytest.param(term.slug, word, id=f"{word}->{term.slug}"))
    return cases


@pytest.mark.parametrize(("slug", "word"), _membership_cases())
def test_every_name_for_a_membership_finds_the_listings_that_ask_for_it(
    index, catalogue, vocabulary, slug, word
):
    asking = expected.listings_with(catalogue, vocabulary, {"member_of": [slug]})
    found = ids(index, word)
    assert found[0] in asking
    assert asking <= set(found)


# Spelling and stemming -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("phsyio", "physio"),
        ("leadershp", "leadership"),
        ("dietitan", "dietitian"),
        ("radiografy", "radiography"),
        ("mentorign", "mentoring"),
        ("podiatyr", "podiatry"),
    ],
)
def test_a_misspelling_is_corrected_and_finds_what_was_meant(index, typed, meant):
    results = run(index, typed)
    assert (results.suggestion, results.corrected) == (meant, True)
    assert [h.id for h in results.hits] == ids(index, meant)
    assert results.hits


def test_a_correct_word_gets_no_suggestion(index):
    results = run(index, "leadership")
    assert (results.suggestion, results.corrected, results.relaxed) == (None, False, False)


def test_nonsense_finds_nothing_and_suggests_nothing(index):
    results = run(index, "zzzzqqqxx")
    assert (results.total, results.hits, results.suggestion) == (0, [], None)


@pytest.mark.parametrize(
    "forms",
    [
        ("mentors", "mentor", "mentoring", "mentored"),
        ("leaders", "leader"),
        ("students", "student"),
    ],
)
def test_forms_of_a_word_find_the_same_listings(index, forms):
    found = [set(ids(index, form)) for form in forms]
    assert found[0], forms[0]
    assert all(f == found[0] for f in found), dict(zip(forms, found, strict=True))


def test_mentors_finds_listings_that_only_say_mentor_or_mentoring(index, catalogue):
    def text(scheme_id):
        scheme = catalogue.schemes[scheme_id]
        return f"{scheme.name} {scheme.summary} {scheme.description}".lower()

    found = set(ids(index, "mentors"))
    assert {i for i in catalogue.schemes if re.search(r"\bmentor(s|ing|ed)?\b", text(i))} <= found
    assert any(not re.search(r"\bmentors\b", text(i)) for i in found)


def test_several_words_must_all_match_unless_nothing_has_them_all(index):
    both = run(index, "radiography students")
    assert not both.relaxed
    assert {h.id for h in both.hits} <= set(ids(index, "radiography")) & set(ids(index, "students"))
    some = run(index, "radiography zzzzqqqxx")
    assert some.relaxed and some.hits


@pytest.mark.parametrize(
    ("syntax", "plain"),
    [
        ("physio*", "physio"),
        ("(physio)", "physio"),
        ('"physio"', "physio"),
        ("physio~2", "physio 2"),
        ("physio^5", "physio 5"),
        ("name:leadership", "name leadership"),
        ("leadership AND", "leadership"),
        ("NOT leadership", "leadership"),
    ],
)
def test_query_syntax_is_read_as_plain_words(index, syntax, plain):
    assert ids(index, syntax) == ids(index, plain)


# Ranking ----------------------------------------------------------------------------------------


# Without the field boosts these orders flip: the long name or provider loses to the one-word
# description on length alone, so each test shows the boost, not just a word count.
LONG = "for allied health professionals in every region of the country"


def test_a_name_match_ranks_above_a_summary_match_above_a_description_match(tmp_path, vocabulary):
    synthetic = synthetic_index(
        tmp_path,
        vocabulary,
        {"id": "in-description", "name": "Another scheme", "summary": "Also a scheme.",
         "description": "Wellbeing."},
        {"id": "in-summary", "name": "Third scheme", "summary": f"Wellbeing support {LONG}."},
        {"id": "in-name", "name": f"Wellbeing mentoring {LONG}", "summary": "A scheme."},
    )  # fmt: skip
    assert ids(synthetic, "wellbeing") == ["in-name", "in-summary", "in-description"]


def test_a_provider_match_ranks_above_a_description_match(tmp_path, vocabulary):
    synthetic = synthetic_index(
        tmp_path,
        vocabulary,
        {"id": "described", "name": "One", "summary": "A scheme.", "description": "Wellbeing.",
         "provider": "plain"},
        {"id": "provided", "name": "Two", "summary": "A scheme.", "provider": "wellbeing"},
        organisations=[
            {"id": "plain", "name": "Plain body", "kind": "charity"},
            {"id": "wellbeing", "name": f"The Wellbeing Trust {LONG}", "kind": "charity"},
        ],
    )  # fmt: skip
    assert ids(synthetic, "wellbeing") == ["provided", "described"]


# The example queries from issue #4 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "top", "why"),
    [
        (
            "physio leadership",
            "codh-student-leadership-programme",
            "no leadership listing is for physiotherapists alone; this leadership programme's "
            "mentoring is open to physiotherapy students",
        ),
        ("SALT mentor", "rcslt-leadership-information", "the RCSLT's own listing"),
        ("radiography students", "sor-student-leadership-elective", "the SoR's student elective"),
        ("research mentoring NIHR", "nihr-academy-mentoring", "the NIHR's programme"),
    ],
)
def test_the_example_searches_put_the_sensible_listing_first(index, words, top, why):
    found = ids(index, words)
    assert found and found[0] == top, (why, found[:3])


def test_physio_leadership_only_finds_listings_open_to_physiotherapists(
    index, catalogue, vocabulary
):
    found = set(ids(index, "physio leadership"))
    assert found <= expected.open_to(catalogue, vocabulary, {"profession": "physiotherapist"})


# Facets -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ("", {}),
        ("mentoring", {}),
        ("leadership", {"stage": ["student"]}),
        ("", {"profession": ["physiotherapist", "radiographer"], "role": ["mentor"]}),
        ("physio", {"access": ["members-only"]}),
    ],
)
def test_each_facet_count_is_the_number_of_results_that_filter_gives(index, text, filters):
    results = run(index, text, filters=filters)
    assert results.facet_counts
    for facet, counts in results.facet_counts.items():
        for value, count in counts.items():
            changed = {**filters, facet: [value]}
            assert run(index, text, filters=changed).total == count, (facet, value)


def test_facet_counts_with_no_filters_match_the_catalogue(index, catalogue, vocabulary):
    counts = run(index).facet_counts
    for facet in expected.FACET_IDS:
        for value in expected.filter_values(facet, vocabulary):
            want = len(expected.listings_with(catalogue, vocabulary, {facet: [value]}))
            assert counts[facet].get(value, 0) == want, (facet, value)


def test_each_professions_own_count_leaves_out_listings_open_to_all_ahps(index):
    """Listings open to every AHP are counted once, under "all-ahps" (issue #19)."""
    results = run(index, "mentoring", filters={"stage": ["student"]})
    everyone = set(
        ids(index, "mentoring", filters={"stage": ["student"], "profession": ["all-ahps"]})
    )
    assert everyone and results.facet_counts["profession"]["all-ahps"] == len(everyone)
    assert "all-ahps" not in results.profession_only_counts
    assert set(results.profession_only_counts) == set(results.facet_counts["profession"]) - {
        "all-ahps"
    }
    for value, count in results.profession_only_counts.items():
        chosen = ids(index, "mentoring", filters={"stage": ["student"], "profession": [value]})
        assert count == len(set(chosen) - everyone), value


def test_search_as_me_limits_results_and_counts_to_the_listings_given(index, catalogue):
    within = frozenset({"csp-mentoring", "bda-mentoring", "cahpr-regional-hubs"})
    results = run(index, "mentoring", within=within)
    assert {h.id for h in results.hits} <= within
    assert results.facet_counts["listing_type"] == {"scheme": 2, "network": 1, "guidance": 0}


def test_sorting_by_name_is_alphabetical_and_pages_split_it(index, catalogue):
    names = sorted(catalogue.schemes.values(), key=lambda s: (s.name.lower(), s.id))
    first = index.run(search.Query(sort="name", page=1))
    second = index.run(search.Query(sort="name", page=2))
    total = len(catalogue.schemes)
    assert 10 < total <= 20, "the fixture catalogue fills two pages of ten"
    assert (first.pages, len(first.hits), len(second.hits)) == (2, 10, total - 10)
    assert [h.id for h in first.hits + second.hits] == [s.id for s in names]


@pytest.mark.parametrize(
    "query",
    [
        search.Query("csp", filters={"profession": ["dietitian"]}),
        search.Query("csp", within=frozenset({"bda-mentoring"})),
        search.Query("csp", within=frozenset()),
    ],
)
def test_no_hits_come_back_when_filters_leave_nothing(index, query):
    results = index.run(query)
    assert (results.total, results.hits) == (0, [])


# Highlighting ----------------------------------------------------------------------------------

MALICIOUS = {
    "id": "malicious",
    "name": "<script>alert(1)</script> wellbeing <b>club</b>",
    "summary": '<img src=x onerror="alert(2)"> wellbeing & friends',
}


@pytest.mark.parametrize("words", ["wellbeing", "script", "alert", "img onerror", "club", ""])
def test_highlights_escape_markup_in_listings(tmp_path, vocabulary, words):
    synthetic = synthetic_index(tmp_path, vocabulary, MALICIOUS)
    (hit,) = synthetic.run(search.Query(words)).hits
    for html in (hit.name_html, hit.summary_html):
        without_marks = html.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in without_marks and ">" not in without_marks, html
    assert hit.name_html.replace("<mark>", "").replace("</mark>", "") == (
        "&lt;script&gt;alert(1)&lt;/script&gt; wellbeing &lt;b&gt;club&lt;/b&gt;"
    )


def test_matched_words_are_wrapped_in_mark(tmp_path, vocabulary):
    synthetic = synthetic_index(tmp_path, vocabulary, MALICIOUS)
    (hit,) = synthetic.run(search.Query("wellbeing")).hits
    assert "<mark>wellbeing</mark>" in hit.name_html
    assert "<mark>wellbeing</mark>" in hit.summary_html


def test_similar_listings_from_the_index_match_the_plain_scan(index, catalogue):
    for scheme in catalogue.schemes.values():
        expected = search.similar_by_scan(scheme, catalogue, limit=4)
        assert index.similar(scheme, limit=4) == expected, scheme.id


def test_similar_listings_put_the_same_provider_first_then_shared_values(index, catalogue):
    sor = catalogue.schemes["sor-leadership-mentoring"]
    similar = [catalogue.schemes[i] for i in index.similar(sor, limit=3)]
    assert similar and all(s.id != "sor-leadership-mentoring" for s in similar)
    siblings = [s for s in catalogue.schemes.values() if s.provider == "sor" and s is not sor]
    assert [s.provider for s in similar[: len(siblings)]] == ["sor"] * min(3, len(siblings))
    scores = [search.similarity(sor, s, catalogue) for s in similar]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0


def _relating(catalogue, vocabulary, scheme) -> set[tuple[str, str]]:
    """Who a listing is for (unless everyone: every AHP, every stage), the memberships it
    asks for, its forms of mentoring: from the catalogue and the checker (tests/expected)."""

    def having(facet, values):
        return {v for v in values if expected.has_value(catalogue, vocabulary, scheme.id, facet, v)}

    found = {("mentoring_type", t) for t in scheme.mentoring_types}
    found |= {("member_of", m) for m in having("member_of", vocabulary.slugs("memberships"))}
    for facet, term_set in (("profession", "professions"), ("stage", "stages")):
        values = having(facet, vocabulary.slugs(term_set))
        everyone = vocabulary.expand("professions", "ahp") if facet == "profession" else None
        if not values >= (everyone or set(vocabulary.slugs(term_set))):
            found |= {(facet, v) for v in values}
    return found


def test_related_listings_share_who_they_are_for_a_membership_or_a_form(
    index, catalogue, vocabulary
):
    """Issue #19: "Related listings" are related by profession, stage, membership or
    form of mentoring; never guidance, nor another listing of the provider alone."""
    relating = {s.id: _relating(catalogue, vocabulary, s) for s in catalogue.schemes.values()}
    shown = 0
    for scheme in catalogue.schemes.values():
        if not scheme.joinable:
            continue
        related = index.similar(scheme, limit=20)
        shown += len(related)
        for other in related:
            assert catalogue.schemes[other].listing_type != "guidance", (scheme.id, other)
            assert relating[scheme.id] & relating[other], (scheme.id, other)
        unrelated = {
            s.id
            for s in catalogue.schemes.values()
            if s.provider == scheme.provider and not relating[scheme.id] & relating[s.id]
        }
        assert not unrelated & set(related), scheme.id
    assert shown


def test_a_listing_is_related_by_what_it_shares_not_by_its_provider_or_guidance(
    tmp_path, vocabulary
):
    def for_(profession, **more):
        rule = {"profession": profession} if profession else {"all": []}
        return {"eligibility": {"mentee": {"rule": rule, "reference": "tests"}}, **more}

    organisations = [
        {"id": "body", "name": "Test body", "kind": "charity"},
        {"id": "other", "name": "Other body", "kind": "charity"},
    ]
    index = synthetic_index(
        tmp_path,
        vocabulary,
        {"id": "physio", "name": "Physio peers", "summary": "A.", **for_("physiotherapist")},
        {"id": "sibling", "name": "Dietitians", "summary": "B.", **for_("dietitian")},
        {"id": "elsewhere", "name": "Physio too", "summary": "C.", "provider": "other"}
        | for_("physiotherapist"),
        {"id": "everyone", "name": "All welcome", "summary": "D.", **for_(None)},
        {"id": "guide", "name": "Physio guide", "summary": "E.", "listing_type": "guidance"}
        | for_("physiotherapist"),
        organisations=organisations,
    )
    physio = index.catalogue.schemes["physio"]
    assert index.similar(physio, limit=10) == ["elsewhere"]
    assert search.similar_by_scan(physio, index.catalogue, limit=10) == ["elsewhere"]
    assert index.similar(index.catalogue.schemes["everyone"], limit=10) == []


def test_the_bit_sliced_counter_adds_weights_per_listing():
    planes: list[int] = []
    add_to_counter(planes, 0b0110)
    add_to_counter(planes, 0b0011)
    add_to_counter(planes, 0b0100, weight=10)
    counts = [sum(((planes[i] >> doc) & 1) << i for i in range(len(planes))) for doc in range(4)]
    assert counts == [1, 2, 11, 0]


def test_a_repeated_search_reads_nothing_more_from_whoosh(index, monkeypatch):
    """Each word's postings are read once per snapshot; paging and filtering reuse them."""
    query = search.Query("physio leadership", page_size=100)
    first = index.run(query)
    read = []
    real = index._read
    monkeypatch.setattr(index, "_read", lambda *key: read.append(key) or real(*key))
    assert index.run(query) == first
    index.run(search.Query("physio leadership", {"profession": ["dietitian"]}, page=2))
    assert read == []


@pytest.mark.parametrize("field_name", search.SHARED_FIELDS)
def test_a_shared_field_holds_what_whoosh_would_hold_given_its_words(catalogue, field_name):
    """Providers' names and facet labels are not given to Whoosh but worked out from the
    catalogue: for every word, the same listings with the same counts as Whoosh's own
    postings of an index given each listing's words in that field."""
    snapshot = search.LiveIndex().get(catalogue, 1)
    storage = RamStorage().create_index(
        Schema(id=ID(stored=True), words=TEXT(analyzer=SpaceSeparatedTokenizer()))
    )
    writer = storage.writer()
    for scheme in catalogue.schemes.values():
        text = search.document(scheme, catalogue)[field_name]
        plain = search.words.indexed(search.words.plain_words(text))
        writer.add_document(id=scheme.id, words=plain)
    writer.commit()
    with storage.searcher() as searcher:
        reference = {}
        for word in searcher.reader().field_terms("words"):
            matcher = searcher.postings("words", word)
            found = {}
            while matcher.is_active():
                found[searcher.stored_fields(matcher.id())["id"]] = matcher.weight()
                matcher.next()
            reference[word] = found
    assert len(reference) > 20
    for word, found in reference.items():
        docnums, counts = snapshot._shared_frequencies(field_name, word)
        shared = {snapshot.ids[d]: count for d, count in zip(docnums, counts, strict=True)}
        assert shared == found, word
