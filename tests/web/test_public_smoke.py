"""Every public page answers, with a proper title and no server error."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import text_of

PAGES = [
    ("/", "Find a mentoring scheme – AHP Mentoring Directory"),
    ("/search", "Search – AHP Mentoring Directory"),
    ("/search?q=physio", "physio – Search – AHP Mentoring Directory"),
    (
        "/schemes/csp-mentoring",
        "Chartered Society of Physiotherapy mentoring scheme – AHP Mentoring Directory",
    ),
    ("/browse", "Browse mentoring schemes – AHP Mentoring Directory"),
    ("/browse/professions/paramedic", "Mentoring for paramedics – AHP Mentoring Directory"),
    ("/browse/providers/sor", "Society of Radiographers – AHP Mentoring Directory"),
    ("/guide/forms-of-mentoring", "Forms of mentoring – AHP Mentoring Directory"),
    ("/mentoring-types/peer", "Peer mentoring – AHP Mentoring Directory"),
    ("/privacy", "Privacy – AHP Mentoring Directory"),
    ("/accessibility", "Accessibility – AHP Mentoring Directory"),
    ("/open-data", "Open data – AHP Mentoring Directory"),
]


@pytest.mark.parametrize(("path", "title"), PAGES)
def test_public_pages_have_their_title(client, path, title):
    response = client.get(path)
    assert response.status_code == 200
    assert f"<title>{title}</title>" in response.get_data(as_text=True)


def test_a_missing_page_offers_search(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert 'role="search"' in response.get_data(as_text=True)


def test_an_unknown_scheme_is_a_404_in_html_and_json(client):
    assert client.get("/schemes/nope").status_code == 404
    response = client.get("/schemes/nope.json")
    assert response.status_code == 404
    assert response.json == {"ok": False, "status": 404, "errors": [{"message": "not found"}]}


def test_a_listing_says_what_its_facts_rest_on_instead_of_not_verified(client):
    text = text_of(client.get("/schemes/csp-mentoring").get_data(as_text=True))
    assert "Not yet verified" not in text
    assert "From CAHPR: Mentoring. Undated: check with the provider." in text
    assert "Not known whether it still runs." in text
    assert "Not yet checked by our curators." in text


def test_a_dated_listing_gives_its_newest_source_and_a_curators_check_apart(client):
    text = text_of(client.get("/schemes/example-between-rounds-scheme").get_data(as_text=True))
    assert "This is not running now: nobody can join it until a new round opens." in text
    assert "Checked by our curators on 1 November 2026." in text


def test_an_ended_listing_says_it_ended_how_we_know_and_what_is_open_instead(client):
    html = client.get("/schemes/example-ended-student-programme").get_data(as_text=True)
    text = text_of(html)
    assert "This has ended: nobody can join it now." in text
    assert "It has ended: Example Foundation news (2025) says" in text
    instead = html.split('id="open-instead"')[1].split("</ul>")[0]
    linked = re.findall(r'href="/schemes/([a-z0-9-]+)"', instead)
    assert linked and "example-ended-student-programme" not in linked
    assert "Check which schemes you can join now" in text


def test_related_listings_are_never_guidance_or_ended(client, catalogue):
    for scheme in catalogue.schemes.values():
        html = client.get(f"/schemes/{scheme.id}").get_data(as_text=True)
        if 'id="related-heading"' not in html:
            continue
        related = re.findall(r'href="/schemes/([a-z0-9-]+)"', html.split('id="related-heading"')[1])
        for other in related:
            assert catalogue.schemes[other].listing_type != "guidance", (scheme.id, other)
            assert catalogue.schemes[other].joinable, (scheme.id, other)


def test_the_database_is_filled_from_the_catalogue_on_first_run(client, catalogue):
    assert client.get("/api/v1/schemes?page_size=100").json["total"] == len(catalogue.schemes)


def test_a_long_profession_page_shows_the_first_listings_and_links_to_search(client, monkeypatch):
    from directory.web import representations

    monkeypatch.setattr(representations, "LIST_LIMIT", 1)
    html = client.get("/browse/professions/physiotherapist").get_data(as_text=True)
    page = text_of(html)
    shown = re.search(r"Showing the first 1 of (\d+) listings open to physiotherapists", page)
    assert shown and int(shown.group(1)) > 1
    assert (
        'href="/search?profession=physiotherapist">Search every listing open to physiotherapists</a>'
        in html
    )


def test_a_long_mentoring_type_page_shows_the_first_listings_and_links_to_search(
    client, monkeypatch
):
    from directory.web import representations

    monkeypatch.setattr(representations, "LIST_LIMIT", 1)
    html = client.get("/mentoring-types/cross-disciplinary").get_data(as_text=True)
    shown = re.search(r"Showing the first 1 of (\d+) listings offering", text_of(html))
    assert shown and int(shown.group(1)) > 1
    assert 'href="/search?mentoring_type=cross-disciplinary">Search the listings offering' in html


def test_a_scheme_page_lists_related_listings_same_provider_first(client):
    html = client.get("/schemes/sor-leadership-mentoring").get_data(as_text=True)
    aside = html.split('id="related-heading"', 1)[1].split("</aside>", 1)[0]
    links = re.findall(r'href="/schemes/([^"]+)"', aside)
    assert links[0] == "sor-student-leadership-elective"  # the Society of Radiographers' other
    assert "sor-leadership-mentoring" not in links and 1 < len(links) <= 3


def test_a_profession_whose_body_lists_no_scheme_is_told_so_and_what_is_open(client):
    html = client.get("/browse/professions/art-therapist").get_data(as_text=True)
    own_body = text_of(html.split('id="own-body"')[1].split("</div>")[0])
    assert "The British Association of Art Therapists does not list a mentoring scheme." in own_body
    assert "No mentoring scheme run by BAAT was found on its public pages" in own_body
    assert "Each AHP professional body has formal or informal mentoring" not in text_of(html)
    assert "Open to art therapists and others" in text_of(html)


def test_the_home_page_lists_professions_alphabetically_and_says_where_links_go(client):
    html = client.get("/").get_data(as_text=True)
    section = html.split("Browse by profession")[1].split("</ul>")[0]
    names = re.findall(r'href="/browse/professions/[a-z-]+">([^<]+)</a>', section)
    assert names == sorted(names, key=str.lower) and len(names) > 3
    assert "listings, by provider" not in html
    assert "Every provider, and the listings each offers" in html


def test_a_filter_that_changes_nothing_says_so(client):
    found = text_of(client.get("/search?q=physiotherapy").get_data(as_text=True))
    total = re.search(r"(\d+) listings found", found).group(1)
    filtered = text_of(client.get("/search?q=physiotherapy&role=mentee").get_data(as_text=True))
    assert f"{total} listings found" in filtered  # every physiotherapy listing takes mentees
    assert (
        f"All {total} listings found for physiotherapy already match Find a mentor : "
        "that filter changed nothing." in filtered
    )
    narrowed = client.get("/search?q=physiotherapy&listing_type=guidance").get_data(as_text=True)
    assert "changed nothing" not in text_of(narrowed)


def test_a_search_naming_a_form_of_mentoring_leads_to_the_guide_and_its_listings(client):
    html = client.get("/search?q=reverse+mentoring").get_data(as_text=True)
    assert 'href="/guide/forms-of-mentoring#reverse"' in html
    assert 'href="/mentoring-types/reverse"' in html
    assert "/guide/forms-of-mentoring#peer" not in html
    assert "app-guide-form" not in client.get("/search?q=mentoring").get_data(as_text=True)
