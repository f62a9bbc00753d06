"""The advisory issue's three journeys in Chromium, one after the other, as the people
involved see them: an editor writes, previews and publishes a term; a visitor finds it
and asks for help; the advisory team finds the inquiry in its inbox."""

import re

import pytest
from django.core import mail
from django.db import connection
from playwright.sync_api import Page, expect

from advisory.models import Inquiry
from terms.models import Term
from terms.roles import ADVISORY_TEAM, EDITORS, PUBLISHERS

from ..factories import CategoryFactory, ReferenceFactory, TermFactory, UserFactory
from ..helpers.browser import PASSWORD, choose, log_in
from ..helpers.tasks import run_worker

# Transactional: the live server's thread sees only committed rows. serialized_rollback:
# the groups made by data migrations come back after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TITLE = "Mechanistic Interpretability"
SLUG = "mechanistic-interpretability"
CONSIDERATIONS = [
    "Budget for specialist research time, not only tooling.",
    "Findings on one model rarely carry over to the next version.",
    "Pair it with behavioural testing before relying on it for assurance.",
]
QUESTION = "Can we use it on models we buy rather than build?"
ANSWER = "Only where the vendor gives access to the model's weights and activations."
REFERENCE = "Toy Models of Superposition"
RELATED = "Explainability"
CTA_HEADING = f"Need help implementing {TITLE}?"
SECTIONS = [
    "Definition",
    "Why it matters for business",
    "Key considerations",
    "Common questions",
    "References",
    "Related terms",
    CTA_HEADING,
]
VISITOR = {"name": "Ada Lovelace", "email": "ada@example.com", "company": "Analytical Engines Ltd"}


def test_an_editor_publishes_a_term_a_visitor_asks_about_it_and_the_team_sees_it(
    open_page, screenshot, settings
):
    settings.ADVISORY_NOTIFY_EMAILS = []  # the default: every Advisory team member is told
    category = CategoryFactory(name="Interpretability")
    ReferenceFactory(title=REFERENCE, publisher="Anthropic", year=2022)
    TermFactory(title=RELATED, slug="explainability", category=category)
    # An editor who is a Publisher too: this journey publishes without a review (the
    # review journey is tests/browser/test_editorial_workflow.py).
    editor = UserFactory(
        username="eddie", is_staff=True, roles=[EDITORS, PUBLISHERS], password=PASSWORD
    )
    advisor = UserFactory(username="avery", is_staff=True, roles=[ADVISORY_TEAM], password=PASSWORD)

    # The roles come from data migrations: they are here only if serialized_rollback works.
    assert editor.has_perm("terms.add_term")
    assert advisor.has_perm("advisory.view_inquiry")

    an_editor_writes_previews_and_publishes_the_term(open_page(), editor, category.name)
    term = Term.objects.get(slug=SLUG)
    assert term.status == Term.Status.PUBLISHED

    reference = a_visitor_finds_the_term_and_asks_for_help(open_page(), screenshot)
    inquiry = Inquiry.objects.get(reference=reference)
    assert inquiry.term == term
    assert inquiry.status == Inquiry.Status.NEW  # not taken for spam
    assert inquiry.source_url.endswith(f"/glossary/{SLUG}/")
    assert mail.outbox == []  # only the worker sends mail

    run_worker()
    team_email = next(email for email in mail.outbox if email.to == [advisor.email])
    assert team_email.subject == f"New advisory inquiry from {VISITOR['company']} about {TITLE}"
    assert reference in team_email.body
    assert any(email.to == [VISITOR["email"]] for email in mail.outbox)  # acknowledgement

    the_advisory_team_finds_the_inquiry_in_the_inbox(open_page(), advisor, reference, screenshot)


def an_editor_writes_previews_and_publishes_the_term(page: Page, editor, category: str) -> None:
    log_in(page, editor)
    page.goto("/admin/terms/term/add/")
    expect(page.get_by_role("heading", level=1, name="Add term")).to_be_visible()
    page.get_by_label("Title:", exact=True).fill(TITLE)
    page.get_by_label("Title:", exact=True).press("Tab")
    expect(page.get_by_label("Slug:", exact=True)).to_have_value(SLUG)  # filled in for us
    choose(page, page.locator(".field-category"), category[:6], category)
    page.get_by_label("Summary:", exact=True).fill(
        "Reverse-engineering what a neural network computes, circuit by circuit."
    )
    page.get_by_label("Definition:", exact=True).fill(
        "Research that explains a model's behaviour from its **internal mechanisms**."
    )
    page.get_by_label("Why it matters for business:", exact=True).fill(
        "It is how you find out *why* a model fails, not only *that* it fails."
    )
    choose(page, page.locator(".field-related"), RELATED[:7], RELATED)
    for number, text in enumerate(CONSIDERATIONS):
        page.locator(f'[name="key_considerations-{number}-text"]').fill(text)
    page.locator('[name="faqs-0-question"]').fill(QUESTION)
    page.locator('[name="faqs-0-answer"]').fill(ANSWER)
    choose(page, page.locator("#citations-0"), REFERENCE[:8], f"{REFERENCE} (2022)")

    # Preview opens the unsaved page in a new tab, and saves nothing.
    with page.context.expect_page() as preview_opened:
        page.get_by_role("button", name="Preview", exact=True).click()
    preview = preview_opened.value
    preview.wait_for_load_state()
    expect(preview.get_by_role("status")).to_contain_text("Preview — not published")
    expect(preview.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(preview.get_by_text("internal mechanisms")).to_be_visible()
    for text in CONSIDERATIONS:
        expect(preview.get_by_text(text)).to_be_visible()
    expect(preview.get_by_text(QUESTION)).to_be_visible()
    expect(preview.get_by_text(REFERENCE)).to_be_visible()
    expect(preview.get_by_role("link", name=RELATED)).to_be_visible()
    preview.close()
    assert not Term.objects.filter(slug=SLUG).exists()

    page.get_by_label("Status:", exact=True).select_option(label="Published")
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.get_by_text(f"“{TITLE}” is published: readers see it now.")).to_be_visible()


def a_visitor_finds_the_term_and_asks_for_help(page: Page, screenshot) -> str:
    """Returns the reference the thank-you page quotes."""
    page.goto("/glossary/")
    letters = page.get_by_role("navigation", name="Browse by letter")
    letters.get_by_role("link", name=TITLE[0], exact=True).click()
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    expect(page.get_by_role("link", name=RELATED)).to_have_count(0)  # another letter

    # On PostgreSQL search forgives typos; elsewhere it matches a part of the title.
    query = "mechanstic interpretabilty" if connection.vendor == "postgresql" else "interpretab"
    page.goto("/glossary/")
    search = page.get_by_label("Search the glossary")
    search.fill(query)
    search.press("Enter")
    page.get_by_role("link", name=TITLE).click()

    expect(page).to_have_url(re.compile(rf"/glossary/{SLUG}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    headings = [text.strip() for text in page.get_by_role("heading", level=2).all_inner_texts()]
    assert [heading for heading in headings if heading in SECTIONS] == SECTIONS, headings
    expect(page.get_by_text("why a model fails")).to_be_visible()
    for text in CONSIDERATIONS:
        expect(page.get_by_text(text)).to_be_visible()
    expect(page.get_by_text(QUESTION)).to_be_visible()
    expect(page.get_by_text(REFERENCE)).to_be_visible()
    expect(page.get_by_role("link", name=RELATED)).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)  # no preview banner
    screenshot(page, "term-page")

    page.get_by_role("complementary", name=CTA_HEADING).get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/advisory/\?term={SLUG}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(CTA_HEADING)
    expect(page.get_by_text(f"Let's discuss how {TITLE} fits into your AI roadmap")).to_be_visible()
    page.get_by_label("Your name").fill(VISITOR["name"])
    page.get_by_label("Work email").fill(VISITOR["email"])
    page.get_by_label("Company").fill(VISITOR["company"])
    page.get_by_label("Message").fill("We want to audit a vendor model before we deploy it.")
    page.get_by_label("I agree that").check()
    screenshot(page, "inquiry-form")
    page.get_by_role("button", name="Send inquiry").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, your inquiry has arrived")
    quoted = re.search(r"Your reference:\s*([0-9a-f-]{36})", page.get_by_role("main").inner_text())
    assert quoted, page.get_by_role("main").inner_text()
    return quoted[1]


def the_advisory_team_finds_the_inquiry_in_the_inbox(
    page: Page, advisor, reference: str, screenshot
) -> None:
    log_in(page, advisor)
    page.get_by_role("link", name="Inquiries", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/advisory/inquiry/$"))
    row = page.get_by_role("row").filter(has_text=VISITOR["name"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text(VISITOR["company"])
    screenshot(page, "inbox")

    row.get_by_role("link", name=VISITOR["name"]).click()
    expect(page.get_by_text(reference)).to_be_visible()
    term_link = page.get_by_role("link", name=TITLE, exact=True)
    expect(term_link).to_have_attribute("href", f"/glossary/{SLUG}/")
