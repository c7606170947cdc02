"""Someone checks which schemes they can join, one question a page: without JavaScript
(the profession question is a plain <select>) and with it (a type-ahead), as a student
and as someone qualified, with the keyboard alone, and when they leave a question
unanswered. Every checker page passes axe-core on a phone and a desktop."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from directory import vocabulary as vocab
from directory.config import DEFAULT_DATA_DIR
from tests.answers import PHARMACY_STUDENT
from tests.browser.axe import assert_no_axe_violations, goto_without_javascript
from tests.browser.support import WIDTHS, assert_focus_is_visible, tab_until

QUALIFIED = {
    "role": "mentee",
    "profession": "physiotherapist",
    "stage": "qualified",
    "member_of": "csp",
    "region": "london",
    "research_stage": "not-sure",
    "award": "none",
}
MENTOR = {**QUALIFIED, "role": "mentor"}
NOT_SURE = {
    "role": "mentee",
    "profession": "not-sure",
    "stage": "not-sure",
    "level": "not-sure",
    "member_of": "not-sure",
    "region": "not-sure",
    "institution": "not-sure",
    "programme": "not-sure",
    "research_stage": "not-sure",
    "award": "not-sure",
}
# Each question's wording, from the vocabulary: a question added or reworded there is
# picked up here, not copied by hand.
QUESTIONS = {
    q.id: q.text for q in vocab.load(DEFAULT_DATA_DIR / "vocabulary.yaml").questions.values()
}


def url(endpoint: str, answers: dict[str, str], **extra: str) -> str:
    query = urlencode({**answers, **extra})
    return f"/check/{endpoint}" + (f"?{query}" if query else "")


def before(question_id: str, answers: dict[str, str] = PHARMACY_STUDENT) -> dict[str, str]:
    """The answers given before reaching `question_id`."""
    order = list(answers)
    return {q: answers[q] for q in order[: order.index(question_id)]}


def expect_question(page: Page, question_id: str) -> None:
    expect(page).to_have_url(re.compile(rf"/check/{question_id}(\?|$)"))
    expect(page.get_by_role("heading", level=1)).to_have_text(QUESTIONS[question_id])


def answer(page: Page, question_id: str, label: str) -> None:
    """On `question_id`'s page, choose the radio or tick the box labelled `label`, and go on."""
    expect_question(page, question_id)
    page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Continue").click()


def pick_profession(page: Page, typed: str, suggestion: str) -> None:
    """Type into the profession type-ahead and click one of its suggestions."""
    box = page.get_by_role("combobox", name=QUESTIONS["profession"])
    box.fill(typed)
    page.get_by_role("option", name=suggestion, exact=True).click()
    expect(box).to_have_value(suggestion)


def answers_listed(page: Page) -> dict[str, str]:
    """Check your answers, as {"Profession": "Physiotherapist", ...}."""
    expect(page).to_have_url(re.compile(r"/check/answers\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    return page.locator(".govuk-summary-list__row").evaluate_all(
        """rows => Object.fromEntries(rows.map(row => [
            row.querySelector('.govuk-summary-list__key').innerText.trim(),
            row.querySelector('.govuk-summary-list__value').innerText.trim(),
        ]))"""
    )


def names_under(page: Page, group: str) -> list[str]:
    """The listings' names in one group of the results: eligible, possible or ineligible."""
    if group == "ineligible":
        return page.locator("#ineligible + details li > a").all_inner_texts()
    return page.locator(f"#{group} + ul .app-result__title a").all_inner_texts()


def expect_results_groups(page: Page, mentor: bool = False) -> dict[str, int]:
    """The three groups are there with their counts; the last is folded away."""
    titles = (
        {
            "eligible": "You can mentor with",
            "possible": "You could mentor with, if you…",
            "ineligible": "Not listed for you as a mentor",
        }
        if mentor
        else {
            "eligible": "You can join",
            "possible": "You could join if you…",
            "ineligible": "Not open to you",
        }
    )
    counts = {}
    for group, title in titles.items():
        heading = page.locator(f"h2#{group}")
        expect(heading).to_have_text(re.compile(rf"^{re.escape(title)} \((\d+)\)$"))
        counts[group] = int(re.search(r"\((\d+)\)", heading.inner_text())[1])
        if group != "ineligible":
            expect(page.locator(f"#{group} + ul > li")).to_have_count(counts[group])
    if counts["ineligible"]:
        folded = page.locator("#ineligible + details")
        expect(folded).to_have_js_property("open", False)
        expect(folded.locator(".govuk-details__text")).to_be_hidden()
    else:
        expect(page.locator("#ineligible + p")).to_have_text("Nothing here.")
    return counts


def open_the_ineligible_group(page: Page) -> None:
    folded = page.locator("#ineligible + details")
    folded.locator("summary").click()
    expect(folded.locator(".govuk-details__text")).to_be_visible()


def expect_bookmarkable(page: Page, new_page, javascript: bool = True) -> None:
    """Reloading the results, or opening their address afresh, shows the same results."""
    shown = page.locator("main").inner_text()
    page.reload()
    expect(page.locator("main")).to_have_text(shown, use_inner_text=True)
    again = new_page(javascript=javascript)
    again.goto(page.url)
    expect(again.locator("main")).to_have_text(shown, use_inner_text=True)


def expect_search_link(page: Page, answers: dict[str, str]) -> None:
    """ "Search only these schemes" carries the answers to search, as my_profession=..."""
    mine = urlencode({f"my_{question}": value for question, value in answers.items()})
    link = page.get_by_role("link", name="Search only these schemes")
    expect(link).to_have_attribute("href", f"/search?{mine}")


def search_only_these(page: Page, expected: int) -> None:
    """ "Search only these schemes" shows just the listings open, or possibly open, to you."""
    with page.expect_navigation() as navigation:
        page.get_by_role("link", name="Search only these schemes").click()
    assert navigation.value.status == 200, f"{navigation.value.status} from {page.url}"
    expect(page).to_have_url(re.compile(r"/search\?my_role="))
    expect(page.get_by_text("Showing only listings open to you")).to_be_visible()
    expect(page.locator("#result-count h2")).to_have_text(
        re.compile(rf"^\s*{expected} listings? found")
    )


def test_a_student_answers_one_question_a_page_without_javascript(no_js_page, new_page):
    page = no_js_page
    page.goto("/check/")
    page.get_by_role("button", name="Start now").click()

    answer(page, "role", "Find a mentor")
    expect_question(page, "profession")
    select = page.get_by_label(QUESTIONS["profession"])
    expect(select).to_have_js_property("tagName", "SELECT")
    select.select_option(label="Pharmacist (not an AHP)")
    page.get_by_role("button", name="Continue").click()
    answer(page, "stage", "Student")
    # Students are asked their level, where they study and their course.
    expect_question(page, "level")
    page.get_by_role("link", name="Back").click()  # the page's own Back link keeps answers
    expect_question(page, "stage")
    expect(page.get_by_label("Student", exact=True)).to_be_checked()
    page.get_by_role("button", name="Continue").click()
    answer(page, "level", "Level 4")
    answer(page, "member_of", "None of these")
    answer(page, "region", "North West")
    answer(page, "institution", "Liverpool John Moores University (LJMU)")
    expect_question(page, "programme")
    # Only this university's courses are offered.
    expect(page.get_by_role("radio")).to_have_count(3)  # MPharm, another course, not sure
    answer(page, "programme", "Master of Pharmacy (MPharm)")
    answer(page, "research_stage", "New to research, or thinking about it")

    assert answers_listed(page) == {
        "Role": "Find a mentor",
        "Profession": "Pharmacist (not an AHP)",
        "Career stage": "Student",
        "Study level": "Level 4",
        "Membership": "None of these",
        "Region or nation": "North West",
        "University or college": "Liverpool John Moores University (LJMU)",
        "Course or programme": "Master of Pharmacy (MPharm)",
        "Research career stage": "New to research, or thinking about it",
    }

    # Change one answer, and come straight back to check them.
    page.get_by_role("link", name="Change region or nation").click()
    expect_question(page, "region")
    expect(page.get_by_label("North West", exact=True)).to_be_checked()
    answer(page, "region", "London")
    listed = answers_listed(page)
    assert listed["Region or nation"] == "London"
    assert listed["Course or programme"] == "Master of Pharmacy (MPharm)"

    page.get_by_role("button", name="See which schemes you can join").click()
    expect(page).to_have_url(re.compile(r"/check/results\?.*region=london"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mentoring schemes for you")
    counts = expect_results_groups(page)
    assert "LJMU MPharm near-peer mentoring" in names_under(page, "eligible")
    open_the_ineligible_group(page)
    assert "Chartered Society of Physiotherapy mentoring scheme" in names_under(page, "ineligible")
    assert counts["ineligible"] == len(names_under(page, "ineligible"))

    page.reload()  # folded again, and otherwise the same
    expect_results_groups(page)
    expect_bookmarkable(page, new_page, javascript=False)
    expect_search_link(page, {**PHARMACY_STUDENT, "region": "london"})


def test_a_qualified_person_uses_the_type_ahead_and_the_back_button(page, new_page):
    page.goto("/check/")
    page.get_by_role("button", name="Start now").click()
    answer(page, "role", "Find a mentor")

    expect_question(page, "profession")
    expect(page.locator("select#profession-select")).to_be_hidden()  # enhanced
    pick_profession(page, "physio", "Physiotherapist")
    page.get_by_role("button", name="Continue").click()
    answer(page, "stage", "Qualified")

    # No study level, university or course for someone qualified.
    expect_question(page, "member_of")
    csp = page.get_by_label("Chartered Society of Physiotherapy (CSP)")
    none = page.get_by_label("None of these", exact=True)
    csp.check()
    none.check()  # "None of these" unticks the rest, and the other way round
    expect(csp).not_to_be_checked()
    csp.check()
    expect(none).not_to_be_checked()
    page.get_by_role("button", name="Continue").click()
    answer(page, "region", "London")
    answer(page, "research_stage", "I’m not sure")
    answer(page, "award", "None of these")

    assert answers_listed(page) == {
        "Role": "Find a mentor",
        "Profession": "Physiotherapist",
        "Career stage": "Qualified",
        "Membership": "Chartered Society of Physiotherapy (CSP)",
        "Region or nation": "London",
        "Research career stage": "I’m not sure",
        "Research award": "None of these",
    }

    # The browser's Back button goes back a question at a time, answers still chosen.
    page.go_back()
    expect_question(page, "award")
    page.go_back()
    expect_question(page, "research_stage")
    page.go_back()
    expect_question(page, "region")
    expect(page.get_by_label("London", exact=True)).to_be_checked()
    page.go_back()
    expect_question(page, "member_of")
    expect(csp).to_be_checked()
    page.go_back()
    expect_question(page, "stage")
    expect(page.get_by_label("Qualified", exact=True)).to_be_checked()
    page.go_back()
    expect_question(page, "profession")
    expect(page.get_by_role("combobox", name=QUESTIONS["profession"])).to_have_value(
        "Physiotherapist"
    )
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/check/stage\?role=mentee&profession=physiotherapist$"))

    page.goto(url("answers", QUALIFIED))
    page.get_by_role("button", name="See which schemes you can join").click()
    expect_results_groups(page)
    assert "Chartered Society of Physiotherapy mentoring scheme" in names_under(page, "eligible")
    expect_bookmarkable(page, new_page)
    open_the_ineligible_group(page)
    expect_search_link(page, QUALIFIED)


def test_search_only_these_schemes_from_the_results(page):
    page.goto(url("results", QUALIFIED))
    counts = expect_results_groups(page)
    guidance = group(page, "elsewhere").count()  # "other places to look" are searched too
    search_only_these(page, counts["eligible"] + counts["possible"] + guidance)
    # And back to every listing.
    page.get_by_role("link", name="Search all listings").click()
    expect(page).to_have_url(re.compile(r"/search$"))


@pytest.mark.parametrize(
    ("typed", "suggestion", "slug"),
    [
        ("SALT", "Speech and language therapist", "speech-and-language-therapist"),
        ("chiropodist", "Podiatrist", "podiatrist"),
    ],
)
def test_the_type_ahead_understands_the_words_people_use(page, typed, suggestion, slug):
    page.goto(url("profession", {"role": "mentee"}))
    box = page.get_by_role("combobox", name=QUESTIONS["profession"])
    box.fill(typed)
    expect(page.get_by_role("option")).to_have_text([suggestion])
    page.get_by_role("option", name=suggestion).click()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(rf"/check/stage\?role=mentee&profession={slug}$"))


def test_the_type_ahead_shows_its_arrow_so_it_looks_like_a_list_to_open(page):
    page.goto(url("profession", {"role": "mentee"}))
    wrapper = page.locator(".autocomplete__wrapper")
    shown = wrapper.screenshot()
    page.locator(".autocomplete__dropdown-arrow-down").evaluate(
        "arrow => { arrow.style.visibility = 'hidden' }"
    )
    assert wrapper.screenshot() != shown, "the arrow is drawn behind the page, out of sight"


def test_the_type_ahead_suggestions_use_the_sites_font(page):
    page.goto(url("profession", {"role": "mentee"}))
    page.get_by_role("combobox", name=QUESTIONS["profession"]).fill("th")
    label_font = page.locator("label[for=profession]").evaluate(
        "e => getComputedStyle(e).fontFamily"
    )
    for part in (page.get_by_role("option").first, page.get_by_role("combobox")):
        expect(part).to_have_css("font-family", label_font)


def test_typing_a_profession_that_is_not_listed_does_not_keep_the_old_answer(page):
    page.goto(url("profession", before("stage", QUALIFIED)))
    box = page.get_by_role("combobox", name=QUESTIONS["profession"])
    expect(box).to_have_value("Physiotherapist")
    chosen = page.locator("select#profession-select")
    box.focus()  # passing through the box changes nothing
    page.keyboard.press("Tab")
    expect(chosen).to_have_value("physiotherapist")
    box.fill("Zookeeper")
    page.keyboard.press("Tab")
    expect(box).to_have_value("Zookeeper")
    page.get_by_role("button", name="Continue").click()
    # Not silently "Physiotherapist", which the box no longer says.
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select your profession")


def test_the_journey_with_the_keyboard_alone(page):
    page.goto("/check/")
    tab_until(page, "a.govuk-button--start")
    page.keyboard.press("Enter")

    expect_question(page, "role")
    tab_until(page, "input[name=role]")
    page.keyboard.press("Space")
    expect(page.get_by_label("Find a mentor")).to_be_checked()
    tab_until(page, "form .govuk-button")
    page.keyboard.press("Enter")

    expect_question(page, "profession")
    tab_until(page, "input#profession")
    page.keyboard.type("physio")
    # The only suggestion is highlighted, ready for Enter.
    expect(page.get_by_role("option")).to_have_text(["Physiotherapist"])
    expect(page.get_by_role("option")).to_have_class(re.compile(r"autocomplete__option--focused"))
    page.keyboard.press("Enter")
    expect(page.locator("input#profession")).to_be_focused()
    expect(page.locator("input#profession")).to_have_value("Physiotherapist")
    assert_focus_is_visible(page)
    tab_until(page, "form .govuk-button")
    page.keyboard.press("Enter")

    expect_question(page, "stage")
    tab_until(page, "input[name=stage]")
    page.keyboard.press("ArrowDown")  # arrow keys move through, and choose, the radios
    expect(page.get_by_label("Qualified")).to_be_focused()
    expect(page.get_by_label("Qualified")).to_be_checked()
    assert_focus_is_visible(page)
    tab_until(page, "form .govuk-button")
    page.keyboard.press("Enter")

    expect_question(page, "member_of")
    tab_until(page, "input[value=csp]")
    page.keyboard.press("Space")
    expect(page.locator("input[value=csp]")).to_be_checked()
    tab_until(page, "form .govuk-button", limit=20)
    page.keyboard.press("Enter")

    expect_question(page, "region")
    tab_until(page, "input[name=region]")
    for _ in range(12):
        if page.evaluate("() => document.activeElement.value") == "london":
            break
        page.keyboard.press("ArrowDown")
        assert_focus_is_visible(page)
    expect(page.get_by_label("London", exact=True)).to_be_checked()
    tab_until(page, "form .govuk-button")
    page.keyboard.press("Enter")

    expect_question(page, "research_stage")
    tab_until(page, "input[name=research_stage]")
    page.keyboard.press("Space")
    tab_until(page, "form .govuk-button")
    page.keyboard.press("Enter")

    expect_question(page, "award")
    tab_until(page, "input[value=none]")
    page.keyboard.press("Space")
    expect(page.locator("input[value=none]")).to_be_checked()
    tab_until(page, "form .govuk-button")
    page.keyboard.press("Enter")

    assert answers_listed(page)["Region or nation"] == "London"
    tab_until(page, "main a.govuk-button")
    page.keyboard.press("Enter")

    expect_results_groups(page)
    tab_until(page, "#ineligible + details summary", limit=80)
    page.keyboard.press("Enter")
    expect(page.locator("#ineligible + details .govuk-details__text")).to_be_visible()
    tab_until(page, "#ineligible + details li > a")


@pytest.mark.parametrize(
    ("question_id", "message", "field"),
    [
        ("role", "Select whether you want to find a mentor or become one", "input#role"),
        ("profession", "Select your profession, or ‘I’m not sure’", "input#profession"),
        ("member_of", "Select what you are a member of", "input#member_of"),
    ],
)
def test_an_unanswered_question_shows_an_error_that_leads_to_the_field(
    page, question_id, message, field
):
    page.goto(url(question_id, before(question_id)))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile(rf"^Error: {re.escape(QUESTIONS[question_id])}"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(page.locator(".govuk-error-message")).to_contain_text(message)

    summary.get_by_role("link", name=re.compile(re.escape(message))).click()
    expect(page.locator(field)).to_be_focused()
    assert_focus_is_visible(page)


def test_the_type_ahead_is_described_by_the_questions_hint_and_error(page):
    page.goto(url("profession", before("profession"), answered="profession"))
    box = page.get_by_role("combobox", name=QUESTIONS["profession"])
    # What a screen reader says on reaching the box (the error summary's link goes there).
    expect(box).to_have_accessible_description(
        re.compile(
            r"If you are a student, choose the profession you are studying for\.\s+"
            r"Error:\s+Select your profession, or ‘I’m not sure’"
        )
    )
    expect(box).to_have_class(re.compile(r"\bgovuk-input--error\b"))
    error_colour = page.locator(".govuk-error-message").evaluate("e => getComputedStyle(e).color")
    expect(box).to_have_css("border-color", error_colour)  # red, like any field in error
    box.fill("phys")  # the type-ahead's own usage hint comes and goes; ours stay
    box.fill("")
    expect(box).to_have_accessible_description(re.compile(r"Error:\s+Select your profession"))


def test_without_javascript_none_of_these_cannot_be_ticked_with_a_membership(no_js_page):
    page = no_js_page
    page.goto(url("member_of", before("member_of", QUALIFIED)))
    page.get_by_label("Chartered Society of Physiotherapy (CSP)").check()
    page.get_by_label("None of these", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    link = summary.get_by_role("link", name="Select ‘None of these’ on its own, or untick it")
    expect(link).to_have_attribute("href", "#member_of")
    expect(page.locator("#member_of")).to_be_attached()


def test_results_for_a_mentor_and_for_someone_not_sure(page):
    page.goto(url("results", MENTOR))
    expect(page.get_by_role("heading", level=1)).to_have_text("Where you could mentor")
    expect_results_groups(page, mentor=True)
    expect(page.get_by_role("link", name=re.compile(r"^Am I ready to mentor\?"))).to_be_visible()

    page.goto(url("results", NOT_SURE))
    expect(page.locator(".govuk-inset-text").first).to_contain_text(
        "You were not sure about: " + QUESTIONS["profession"]
    )
    counts = expect_results_groups(page)
    assert counts["possible"] > 0  # depending on answers they were not sure of


# Accessibility ----------------------------------------------------------------------------

CHECKER_PAGES = [
    pytest.param("/check/", True, id="start"),
    *(
        pytest.param(url(question_id, before(question_id)), True, id=question_id)
        for question_id in PHARMACY_STUDENT
    ),
    pytest.param(url("profession", before("profession")), False, id="profession-no-js"),
    pytest.param(url("role", {}, answered="role"), True, id="role-error"),
    pytest.param(
        url("profession", before("profession"), answered="profession"),
        True,
        id="profession-error",
    ),
    pytest.param(
        url("member_of", before("member_of"), answered="member_of"), True, id="member_of-error"
    ),
    pytest.param(url("answers", PHARMACY_STUDENT), True, id="check-answers"),
    pytest.param(url("results", PHARMACY_STUDENT), True, id="results-mentee"),
    pytest.param(url("results", MENTOR), True, id="results-mentor"),
    pytest.param(url("results", NOT_SURE), True, id="results-not-sure"),
    pytest.param("/check/all", True, id="all-questions"),
    pytest.param("/check/all?answered=all", True, id="all-questions-error"),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("path", "javascript"), CHECKER_PAGES)
def test_checker_page_has_no_axe_violations(axe_page, path, javascript):
    if javascript:
        response = axe_page.goto(path)
    else:
        response = goto_without_javascript(axe_page, path)
        expect(axe_page.locator("select#profession")).to_be_visible()
    assert response is not None and response.status == 200
    # Scan folded content too: the listings "not open to you".
    axe_page.locator("details").evaluate_all("all => all.forEach(d => { d.open = true })")
    assert_no_axe_violations(axe_page)


@pytest.mark.parametrize("width", WIDTHS)
def test_checker_screenshots(page, screenshot):
    page.goto(url("member_of", before("member_of", QUALIFIED)))
    screenshot(page, "question")
    page.goto(url("answers", PHARMACY_STUDENT))
    screenshot(page, "check-answers")
    page.goto(url("results", PHARMACY_STUDENT))
    screenshot(page, "results")


# The people of issue #19, walked through every page they visit -----------------------------

PHYSIO_STUDENT = {  # a second-year physiotherapy student, a CSP student member
    "role": "mentee",
    "profession": "physiotherapist",
    "stage": "student",
    "level": "5",
    "member_of": "csp",
    "region": "london",
    "institution": "other",
    "research_stage": "new-to-research",
}
RCOT_OT = {  # a qualified occupational therapist in the RCOT
    "role": "mentee",
    "profession": "occupational-therapist",
    "stage": "qualified",
    "member_of": "rcot",
    "region": "south-east",
    "research_stage": "not-sure",
    "award": "none",
}
PHYSIO_MENTOR = {  # a qualified physiotherapist looking where to mentor
    "role": "mentor",
    "profession": "physiotherapist",
    "stage": "qualified",
    "member_of": "csp",
    "region": "london",
    "research_stage": "mid-career",
    "award": "none",
}
PHARMACY_MENTOR = {**PHARMACY_STUDENT, "role": "mentor", "level": "6"}  # two years ahead


def group(page: Page, section_id: str):
    """The listings under one results heading (#eligible, #possible, #outside...)."""
    return page.locator(f"xpath=//h2[@id='{section_id}']/following-sibling::ul[1]/li")


def walk(page: Page, answers: dict[str, str], screenshot, label: str) -> None:
    """Every question page in turn, then check your answers, then the results: each passes
    axe; the results are screenshotted with everything folded opened."""
    for question_id in answers:
        response = page.goto(url(question_id, before(question_id, answers)))
        assert response is not None and response.status == 200
        expect_question(page, question_id)
        assert_no_axe_violations(page)
    page.goto(url("answers", answers))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    expect(page.get_by_role("link", name="Back")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name=re.compile("^See ")).click()
    expect(page).to_have_url(re.compile(r"/check/results\?"))
    page.locator("details").evaluate_all("all => all.forEach(d => { d.open = true })")
    assert_no_axe_violations(page)
    screenshot(page, label)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_physiotherapy_student_sees_what_to_join_and_what_has_ended(axe_page, screenshot):
    walk(axe_page, PHYSIO_STUDENT, screenshot, "physio-student")
    expect(group(axe_page, "eligible")).to_contain_text(
        ["Chartered Society of Physiotherapy mentoring scheme"]
    )
    # What each result rests on, and how old: never a blanket "not yet verified".
    expect(group(axe_page, "eligible").locator(".app-facts").first).to_contain_text(
        re.compile(r"^From ")
    )
    expect(axe_page.locator("main")).not_to_contain_text("Not yet verified")
    # A step to take leads with what to do, numbered.
    expect(group(axe_page, "possible").first.locator("ol li").first).to_be_visible()
    # An ended programme is never offered, and says why where the student would look.
    for joinable in ("eligible", "possible"):
        expect(group(axe_page, joinable)).not_to_contain_text(["Example student leadership"])
    ended = group(axe_page, "ended").filter(has_text="Example student leadership programme")
    expect(ended).to_contain_text("It has ended: Example Foundation news (2025) says")
    expect(ended.locator(".govuk-tag")).to_have_text("Ended")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_rcot_occupational_therapist_sees_ot_mentoring_and_guidance_apart(axe_page, screenshot):
    walk(axe_page, RCOT_OT, screenshot, "rcot-ot")
    expect(group(axe_page, "eligible")).to_contain_text(["Elizabeth Casson Trust"])
    expect(group(axe_page, "eligible")).not_to_contain_text(["Mentoring through your employer"])
    expect(group(axe_page, "elsewhere")).to_contain_text(["Mentoring through your employer"])
    heading = axe_page.locator("#eligible")
    count = int(re.search(r"\((\d+)\)", heading.inner_text()).group(1))
    assert count == group(axe_page, "eligible").count()  # guidance is not counted


@pytest.mark.parametrize("width", WIDTHS)
def test_a_physiotherapist_sees_where_to_mentor_own_profession_first(axe_page, screenshot):
    walk(axe_page, PHYSIO_MENTOR, screenshot, "physio-mentor")
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("Where you could mentor")
    own = axe_page.locator("xpath=//h2[@id='eligible' or @id='possible']/following-sibling::ul[1]")
    expect(own.first.or_(own.last)).to_be_visible()
    expect(axe_page.locator("#main-content")).not_to_contain_text("Already true")
    outside = group(axe_page, "outside")
    expect(outside.first).to_be_visible()
    expect(outside).not_to_contain_text(["Chartered Society of Physiotherapy mentoring scheme"])
    expect(axe_page.locator("#outside + p")).to_contain_text(
        "The professional bodies welcome mentors from outside their professions."
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_near_peer_pharmacy_students_find_the_scheme_as_mentee_and_as_mentor(axe_page, screenshot):
    walk(axe_page, PHARMACY_STUDENT, screenshot, "pharmacy-mentee")
    expect(group(axe_page, "eligible")).to_contain_text(["LJMU MPharm near-peer mentoring"])
    walk(axe_page, PHARMACY_MENTOR, screenshot, "pharmacy-mentor")
    expect(axe_page.get_by_role("heading", level=1)).to_have_text("Where you could mentor")
    expect(group(axe_page, "eligible")).to_contain_text(["LJMU MPharm near-peer mentoring"])
