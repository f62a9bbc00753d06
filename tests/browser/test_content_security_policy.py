"""Every page people use works under the site's Content-Security-Policy, in Chromium: the
browser reports no violation and no error while a person reads the glossary, sends an
inquiry, edits and previews a term in the admin and reads the API docs, and every page
arrives with the policy."""

import re

import pytest
from playwright.sync_api import Page, expect

from terms.roles import EDITORS

from ..factories import (
    CategoryFactory,
    FAQFactory,
    KeyConsiderationFactory,
    ReferenceFactory,
    TermFactory,
    TermReferenceFactory,
    UserFactory,
)
from ..helpers.browser import PASSWORD, choose, log_in
from ..helpers.policy_watch import Watch

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def watched_page(open_page, live_server):
    """A page in a fresh context, watched; the test ends by asserting nothing went wrong."""
    watches = []

    def watched_page() -> tuple[Page, Watch]:
        page = open_page()
        watch = Watch(page.context, live_server.url)
        watches.append(watch)
        return page, watch

    yield watched_page
    for watch in watches:
        assert watch.problems == [], "\n".join(dict.fromkeys(watch.problems))


@pytest.fixture
def glossary(db):
    category = CategoryFactory(name="Interpretability", slug="interpretability")
    term = TermFactory(
        title="Mechanistic Interpretability", slug="mechanistic-interpretability", category=category
    )
    for number in range(3):
        KeyConsiderationFactory(term=term, text=f"Consideration {number}", position=number)
    FAQFactory(term=term, question="Can we use it on models we buy?", answer="Sometimes.")
    FAQFactory(term=None, category=category, question="Where do we start?", answer="Small.")
    TermReferenceFactory(term=term, reference=ReferenceFactory(title="Toy Models", year=2022))
    TermFactory(title="Explainability", slug="explainability", category=category)
    ReferenceFactory(title="Circuits Thread", year=2020)
    return term


def test_a_visitor_reads_the_glossary_and_sends_an_inquiry_without_a_policy_violation(
    watched_page, glossary
):
    page, watch = watched_page()

    page.goto("/glossary/")
    expect(page.get_by_role("link", name=glossary.title)).to_be_visible()
    page.goto(f"/glossary/category/{glossary.category.slug}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Interpretability")
    page.get_by_role("link", name=glossary.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(glossary.title)
    # The term's JSON-LD is data, not script: it is in the page and breaks no policy.
    assert page.locator('script[type="application/ld+json"]').count() >= 1

    page.get_by_role("link", name="Talk to our advisory team").click()
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Work email").fill("ada@example.com")
    page.get_by_label("Company").fill("Analytical Engines Ltd")
    page.get_by_label("Message").fill("We want to audit a vendor model.")
    page.get_by_label("I agree that").check()
    page.get_by_role("button", name="Send inquiry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, your inquiry has arrived")

    assert len(watch.documents) >= 5  # index, category, term, form, thank-you page


def test_an_editor_edits_and_previews_a_term_in_the_admin_without_a_policy_violation(
    watched_page, glossary
):
    editor = UserFactory(username="eddie", is_staff=True, roles=[EDITORS])
    page, watch = watched_page()

    log_in(page, editor)  # the login page, then the admin's front page
    page.goto(f"/admin/terms/term/{glossary.pk}/change/")
    expect(page.get_by_role("heading", level=1, name="Change term")).to_be_visible()
    # The autocomplete widgets: category, related terms, an inline's reference.
    choose(page, page.locator(".field-category"), "Interp", "Interpretability")
    choose(page, page.locator(".field-related"), "Explain", "Explainability")
    choose(page, page.locator("#citations-1"), "Circuits", "Circuits Thread (2020)")
    # The collapsed fieldsets open, the prepopulated slug follows the title.
    page.get_by_text("Call to action").click()
    expect(page.get_by_label("Call-to-action heading:")).to_be_visible()

    with page.context.expect_page() as preview_opened:
        page.get_by_role("button", name="Preview", exact=True).click()
    preview = preview_opened.value
    preview.wait_for_load_state()
    expect(preview.get_by_role("status")).to_contain_text("Preview — not published")
    expect(preview.get_by_role("link", name="Explainability")).to_be_visible()
    preview.close()

    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    # The term is live: the form was its working copy's, with the review box; its
    # comparison with the live entry, and the history.
    page.goto(f"/admin/terms/term/{glossary.pk}/change/")
    expect(page.get_by_role("button", name="Submit for review")).to_be_visible()
    page.get_by_role("link", name="Compare working copy with live").click()
    expect(page.get_by_text("Explainability").first).to_be_visible()
    page.goto(f"/admin/terms/term/{glossary.pk}/history/")
    expect(page.get_by_role("button", name="Restore").first).to_be_visible()
    page.goto("/admin/terms/term/add/")
    page.get_by_label("Title:", exact=True).fill("Sparse Autoencoder")
    page.get_by_label("Title:", exact=True).press("Tab")
    expect(page.get_by_label("Slug:", exact=True)).to_have_value("sparse-autoencoder")
    assert any("/preview/" in url for url in watch.documents)


def test_after_five_wrong_passwords_the_login_page_says_the_account_is_locked(watched_page):
    UserFactory(username="eddie", is_staff=True, roles=[EDITORS])
    page, watch = watched_page()
    watch.expected_statuses.add(429)  # the lock-out

    page.goto("/admin/login/")
    for _ in range(5):
        page.get_by_label("Username:", exact=True).fill("eddie")
        page.get_by_label("Password:", exact=True).fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
    page.get_by_label("Username:", exact=True).fill("eddie")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_contain_text("Too many failed logins")
    expect(page.get_by_role("alert")).to_contain_text("15 minutes")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_a_front_end_developer_reads_the_api_docs_without_a_policy_violation(watched_page):
    page, _watch = watched_page()

    page.goto("/api/docs/")
    operation = page.locator(
        ".opblock-get .opblock-summary-path", has_text=re.compile(r"^/api/v1/terms/$")
    )
    operation.click()
    expect(page.get_by_text("Try it out").first).to_be_visible()
    page.get_by_text("Try it out").first.click()
    page.get_by_role("button", name="Execute").click()
    answer = page.locator(".live-responses-table tbody .response-col_status").first
    expect(answer).to_have_text("200")


def test_an_editor_reorders_rows_by_drag_and_keyboard_without_a_policy_violation(
    watched_page, glossary
):
    editor = UserFactory(username="eddie", is_staff=True, roles=[EDITORS])
    page, _watch = watched_page()

    log_in(page, editor)
    page.goto(f"/admin/terms/term/{glossary.pk}/change/")
    first, last = (
        page.get_by_role("button", name=f"Move “Consideration {number}”") for number in (0, 2)
    )
    last.drag_to(first)
    first.focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#key_considerations-group").get_by_role("status")).to_have_text(
        "Moved to position 3 of 3"
    )
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()

    page.goto("/admin/terms/category/")
    page.get_by_role("button", name="Move “Interpretability”").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("status")).to_have_text("Moved to position 1 of 1")
