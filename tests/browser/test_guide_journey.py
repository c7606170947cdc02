"""The mentoring guide in a browser: axe-core on every guide page and both quizzes
(form, error state, feedback) on a phone and a desktop; the "What kind of mentoring
suits me?" quiz taken with the keyboard alone; and the quiz reached from the checker's
results, showing only schemes open to that person."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from tests.answers import MENTORING_FIT, PHARMACY_STUDENT
from tests.browser.axe import assert_no_axe_violations
from tests.browser.support import WIDTHS, assert_focus_is_visible, tab_until

READY = {
    "experience": "years",
    "time": "yes",
    "listening": "very",
    "preparation": "yes",
    "other_professions": "yes",
}

GUIDE_PAGES = [
    pytest.param("/guide/", id="contents"),
    pytest.param("/guide/what-is-mentoring", id="what-is-mentoring"),
    pytest.param("/guide/forms-of-mentoring", id="forms-of-mentoring"),
    pytest.param("/guide/finding-a-mentor", id="finding-a-mentor"),
    pytest.param("/guide/near-peer-mentoring", id="near-peer-mentoring"),
    pytest.param("/guide/start-a-near-peer-scheme", id="start-a-near-peer-scheme"),
    pytest.param("/guide/quiz/mentoring-fit", id="fit-quiz"),
    pytest.param("/guide/quiz/mentoring-fit?answered=1", id="fit-quiz-errors"),
    pytest.param(
        f"/guide/quiz/mentoring-fit?answered=1&{urlencode(MENTORING_FIT)}", id="fit-feedback"
    ),
    pytest.param("/guide/quiz/mentor-readiness", id="readiness-quiz"),
    pytest.param("/guide/quiz/mentor-readiness?answered=1", id="readiness-quiz-errors"),
    pytest.param(
        f"/guide/quiz/mentor-readiness?answered=1&{urlencode(READY)}", id="readiness-feedback"
    ),
]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", GUIDE_PAGES)
def test_guide_page_has_no_axe_violations(axe_page, path):
    response = axe_page.goto(path)
    assert response is not None and response.status == 200
    if path.endswith("?answered=1"):
        expect(axe_page.locator(".govuk-error-summary")).to_be_visible()
    axe_page.locator("details").evaluate_all("all => all.forEach(d => { d.open = true })")
    assert_no_axe_violations(axe_page)


def arrow_to(page: Page, value: str, limit: int = 6) -> None:
    """With a radio focused, press the down arrow until the radio for `value` is chosen."""
    for _ in range(limit):
        if page.evaluate("() => document.activeElement.value") == value:
            break
        page.keyboard.press("ArrowDown")
        assert_focus_is_visible(page)
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("value", value)
    expect(focused).to_be_checked()


def test_take_the_mentoring_fit_quiz_with_the_keyboard_alone(page):
    page.goto("/guide/quiz/mentoring-fit")
    expect(page.get_by_role("heading", level=1)).to_have_text("What kind of mentoring suits me?")
    for question, value in MENTORING_FIT.items():
        tab_until(page, f"input[name={question}]", limit=60)
        if value == page.evaluate("() => document.activeElement.value"):
            page.keyboard.press("Space")  # the first answer: choose it
        arrow_to(page, value)
    tab_until(page, "form .govuk-button")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/guide/quiz/mentoring-fit\?answered=1&"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your feedback: What kind of mentoring suits me?"
    )
    suggested = page.locator("main section h2")
    expect(suggested).to_have_text(["Peer mentoring", "Group mentoring"])
    peer = page.locator("section").filter(has=page.get_by_role("heading", name="Peer mentoring"))
    expect(peer).to_contain_text("You want support from people at the same stage.")
    expect(peer).to_contain_text(
        "As a student, students two levels ahead of you could mentor you, as on one pharmacy course."
    )
    expect(peer.get_by_role("link", name="LJMU MPharm near-peer mentoring")).to_be_visible()
    # The feedback can be read, and its links reached, with the keyboard too.
    tab_until(page, "main section a", limit=60)


def test_an_unanswered_quiz_names_each_question_and_leads_to_it(page):
    page.goto("/guide/quiz/mentor-readiness")
    page.get_by_role("button", name="See my feedback").click()
    expect(page).to_have_title(re.compile(r"^Error: Am I ready to mentor\?"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(len(READY))
    summary.get_by_role("link").nth(1).click()
    expect(page.locator("input#time")).to_be_focused()
    assert_focus_is_visible(page)


def choose(page: Page, number: int, label: str) -> None:
    """Choose `label` in the quiz's question `number` (questions share answers like "Yes")."""
    question = page.get_by_role("group", name=re.compile(rf"^{number}\. "))
    question.get_by_label(label, exact=True).check()


def test_the_quiz_from_the_checker_results_shows_only_schemes_open_to_you(page):
    page.goto(f"/check/results?{urlencode(PHARMACY_STUDENT)}")
    open_to_me = set(
        page.locator(
            "#eligible + ul .app-result__title a, #possible + ul .app-result__title a, "
            "#elsewhere + p + ul .app-result__title a"
        ).all_inner_texts()
    )
    assert "LJMU MPharm near-peer mentoring" in open_to_me
    page.get_by_role("link", name=re.compile(r"^What kind of mentoring suits me\?")).click()

    expect(page).to_have_url(re.compile(r"/guide/quiz/mentoring-fit\?my_role=mentee&"))
    choose(page, 1, "Support from people at the same stage as me")
    choose(page, 2, "In a small group, hearing several people’s experience")
    choose(page, 3, "I’m not sure")
    # "Are you a student?" is not asked again: the checker's answers say so.
    expect(
        page.get_by_text("Are you a student? Yes, from your answers to the checker.")
    ).to_be_visible()
    choose(page, 4, "No")
    page.get_by_role("button", name="See my feedback").click()

    expect(page).to_have_url(re.compile(r"answered=1.*my_profession=pharmacist"))
    peer = page.locator("section").filter(has=page.get_by_role("heading", name="Peer mentoring"))
    expect(peer).to_contain_text("Schemes open to you, or that you could join, that offer it:")
    expect(peer.get_by_role("link", name="LJMU MPharm near-peer mentoring")).to_be_visible()
    suggested = set(page.locator("main section li > a").all_inner_texts())
    assert suggested <= open_to_me, f"not open to this student: {suggested - open_to_me}"
    # No "check which schemes you can join" prompt: they already have.
    expect(page.get_by_role("link", name="Check which schemes you can join")).to_have_count(0)
    expect(page.get_by_role("link", name="Take the quiz again")).to_have_attribute(
        "href", re.compile(r"my_profession=pharmacist")
    )
