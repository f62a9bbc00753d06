"""The admin fits a 1280×800 screen and a 1024 px tablet: the term list, the term form
(adding and changing, with its inlines), the category form and the advisory team's
inbox scroll only downwards, with their last columns and delete boxes in sight, when
filled with long content, the navigation sidebar open as Django opens it."""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from terms.models import Term
from terms.roles import ADVISORY_TEAM, EDITORS

from ..factories import (
    CategoryFactory,
    FAQFactory,
    InquiryFactory,
    KeyConsiderationFactory,
    ReferenceFactory,
    TermFactory,
    TermReferenceFactory,
    UserFactory,
)
from ..helpers.browser import log_in
from ..helpers.layout import cut_off_by, horizontal_overflow

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SCREENS = [pytest.param((1280, 800), id="1280"), pytest.param((1024, 768), id="1024")]

LONG_ANSWER = (
    "Only when the documents it retrieves are current and the people who ask are allowed "
    "to read them: otherwise it answers confidently from stale or confidential material, "
    "which is worse than no answer at all. Start with one well-kept collection, measure "
    "how often the answer cites the right passage, and widen from there."
)


@pytest.fixture
def category():
    return CategoryFactory(name="Interpretability, Explainability and Responsible Governance")


@pytest.fixture
def long_term(category):
    """A draft (its change page is its own form) with everything long."""
    term = TermFactory(
        title="Retrieval-Augmented Generation with Hybrid Keyword and Vector Search",
        category=category,
        status=Term.Status.DRAFT,
        in_development=True,
        summary="A language model answers from passages retrieved from a chosen set of "
        "documents, instead of only from what it learned in training.",
    )
    for number, text in enumerate(
        [
            "Answer quality depends first on retrieval quality: measure both separately.",
            "Enforce the document access rights of each user in the retrieval step itself.",
            "Show the sources beside the answer so that readers can verify what it says.",
            "Keep the document index in sync with the source systems, deletions included.",
        ],
        start=1,
    ):
        KeyConsiderationFactory(term=term, text=text, position=number)
    FAQFactory(term=term, question="Should we use RAG or fine-tuning?", answer=LONG_ANSWER)
    FAQFactory(term=term, question="Does RAG stop the model making things up?", answer=LONG_ANSWER)
    for number, title in enumerate(
        [
            "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks",
            "Artificial Intelligence Risk Management Framework (AI RMF 1.0), Generative AI Profile",
        ],
        start=1,
    ):
        TermReferenceFactory(term=term, reference=ReferenceFactory(title=title), position=number)
    return term


@pytest.fixture
def term_list(long_term, category):
    """A list page with gaps to report and long titles in a long-named category."""
    review_by = datetime.date(2027, 12, 31)
    TermFactory(
        title="Reinforcement Learning from Human Feedback", category=category, review_by=review_by
    )
    TermFactory(
        title="Mechanistic Interpretability",
        category=category,
        why_it_matters="",
        review_by=review_by,
    )
    return long_term


@pytest.fixture
def editor_page(open_page):
    page = open_page()
    log_in(page, UserFactory(is_staff=True, roles=[EDITORS]))
    return page


def open_at(page: Page, screen: tuple[int, int], path: str) -> None:
    width, height = screen
    page.set_viewport_size({"width": width, "height": height})
    page.goto(path)
    expect(page.locator("#main")).to_have_class(re.compile(r"\bshifted\b"))  # sidebar open


def assert_fits(page: Page, *controls) -> None:
    assert horizontal_overflow(page) == []
    for control in controls:
        expect(control).to_be_visible()
        assert cut_off_by(control) == 0, control


@pytest.mark.parametrize("screen", SCREENS)
def test_the_term_list_shows_every_column_without_scrolling_sideways(
    editor_page, term_list, screen, screenshot
):
    open_at(editor_page, screen, "/admin/terms/term/")

    expect(editor_page.get_by_role("link", name=term_list.title)).to_be_visible()
    assert_fits(
        editor_page,
        editor_page.get_by_role("columnheader", name="Last changed"),
        editor_page.get_by_role("columnheader", name="In dev."),
        editor_page.locator("#result_list tbody tr").first.locator("td").last,
    )
    if screen[0] == 1280:
        screenshot(editor_page, "term-list-1280")


def test_with_the_sidebar_closed_the_filters_sit_beside_the_list_at_1024(editor_page, term_list):
    open_at(editor_page, (1024, 768), "/admin/terms/term/")
    editor_page.get_by_role("button", name="Toggle navigation").click()
    expect(editor_page.locator("#main")).not_to_have_class(re.compile(r"\bshifted\b"))

    list_box = editor_page.locator("#changelist-form").bounding_box()
    filters = editor_page.locator("#changelist-filter").bounding_box()
    assert filters["x"] >= list_box["x"] + list_box["width"]
    assert_fits(editor_page, editor_page.get_by_role("columnheader", name="In dev."))


@pytest.mark.parametrize("screen", SCREENS)
def test_the_term_form_for_a_new_term_fits(editor_page, category, screen):
    open_at(editor_page, screen, "/admin/terms/term/add/")

    assert_fits(
        editor_page,
        editor_page.get_by_label("Definition:"),
        editor_page.locator("#key_considerations-0 .inline-deletelink"),
        editor_page.locator("#citations-0 .inline-deletelink"),
        editor_page.get_by_role("button", name="Add another Common question"),
        editor_page.get_by_role("button", name="Save", exact=True).first,
    )


@pytest.mark.parametrize("screen", SCREENS)
def test_the_term_form_with_long_considerations_faqs_and_references_fits(
    editor_page, long_term, screen
):
    open_at(editor_page, screen, f"/admin/terms/term/{long_term.pk}/change/")

    faq = editor_page.locator("#faqs-1")
    expect(faq.get_by_label("Answer:")).to_have_value(LONG_ANSWER)
    assert_fits(
        editor_page,
        faq.get_by_label("Delete"),
        editor_page.locator("#id_key_considerations-3-DELETE"),
        editor_page.locator("#id_citations-1-DELETE"),
        editor_page.locator("#citations-1 .select2-selection__rendered"),
        editor_page.get_by_role("button", name="Save", exact=True).last,
    )


@pytest.mark.parametrize("screen", SCREENS)
def test_the_category_form_with_shared_faqs_fits(editor_page, category, screen):
    FAQFactory(
        term=None, category=category, question="Who owns the model card?", answer=LONG_ANSWER
    )
    FAQFactory(
        term=None, category=category, question="How often is it reviewed?", answer=LONG_ANSWER
    )

    open_at(editor_page, screen, f"/admin/terms/category/{category.pk}/change/")

    assert_fits(
        editor_page,
        editor_page.locator("#shared_faqs-1").get_by_label("Delete"),
        editor_page.locator("#shared_faqs-1").get_by_label("Answer:"),
    )


@pytest.mark.parametrize("screen", SCREENS)
def test_the_inbox_shows_every_column_without_scrolling_sideways(open_page, screen):
    member = UserFactory(
        username="alexandra.hohenberg-sutherland", is_staff=True, roles=[ADVISORY_TEAM]
    )
    term = TermFactory(title="Reinforcement Learning from Human Feedback")
    for number, emails in enumerate(["sent", "failed", "pending"]):
        InquiryFactory(
            name=f"Maximiliane Alexandra von Hohenberg-Sutherland {number}",
            email=f"maximiliane.hohenberg-sutherland{number}@responsible-automation.example",
            company="International Consulting Partners for Responsible Automation",
            term=term,
            assigned_to=member if number else None,
            emails=emails,
        )
    page = open_page()
    log_in(page, member)

    open_at(page, screen, "/admin/advisory/inquiry/")

    assert_fits(
        page,
        page.get_by_role("columnheader", name="Notification"),
        page.get_by_role("columnheader", name="Assigned to"),
        page.locator("#result_list tbody td.field-notification").last,
    )
