"""The editorial workflow in Chromium, as the two people involved see it: an editor changes a
live entry and submits it; a publisher compares it with the live version and asks for a
change; the editor makes it; the publisher approves. Readers see the old text throughout,
and the new text only once it is approved."""

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from terms.models import ReviewNote, Term
from terms.roles import EDITORS, PUBLISHERS

from ..factories import CategoryFactory, TermFactory, UserFactory
from ..helpers.browser import PASSWORD, log_in
from ..helpers.tasks import run_worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LIVE = "A model card documents what a model is for and where it fails."
FIRST_DRAFT = "A model card documents what a model is for, how it was tested, and wehre it fails."
FIXED = "A model card documents what a model is for, how it was tested, and where it fails."
SUBMITTED = "New wording: adds how it was tested."
COMMENT = "Typo: “wehre”."


def test_a_change_to_a_live_entry_reaches_readers_only_when_a_publisher_approves_it(
    open_page, screenshot
):
    entry = TermFactory(
        title="Model Card",
        slug="model-card",
        category=CategoryFactory(name="Governance"),
        definition=LIVE,
        status=Term.Status.PUBLISHED,
    )
    editor = UserFactory(username="eddie", is_staff=True, roles=[EDITORS], password=PASSWORD)
    publisher = UserFactory(
        username="pat", is_staff=True, roles=[EDITORS, PUBLISHERS], password=PASSWORD
    )
    assert publisher.has_perm("terms.publish_term") and not editor.has_perm("terms.publish_term")
    reader, editing, reviewing = open_page(), open_page(), open_page()

    log_in(editing, editor)
    the_editor_changes_the_entry_and_submits_it(editing, entry, FIRST_DRAFT)
    assert_readers_see(reader, LIVE)

    log_in(reviewing, publisher)
    the_publisher_compares_and_requests_a_change(reviewing, entry, screenshot)
    assert_readers_see(reader, LIVE)

    the_editor_sees_the_comment_fixes_the_text_and_submits_again(editing, entry)
    assert_readers_see(reader, LIVE)

    the_publisher_approves(reviewing, entry)
    assert_readers_see(reader, FIXED)

    steps = list(ReviewNote.objects.filter(entry=entry).order_by("created_at", "pk"))
    assert [(note.kind, note.author) for note in steps] == [
        ("submitted", editor),
        ("changes_requested", publisher),
        ("submitted", editor),
        ("approved", publisher),
    ]
    run_worker()
    told = [(email.to, email.subject) for email in mail.outbox]
    assert sum(publisher.email in to for to, _subject in told) == 2  # each submission
    assert sum(editor.email in to for to, _subject in told) == 2  # the comment, the approval


def open_the_entry(page: Page, entry: Term) -> None:
    """Opening a live entry leads to its working copy."""
    page.goto(f"/admin/terms/term/{entry.pk}/change/")
    expect(
        page.get_by_text(f"You are editing the working copy of {entry.title}.").first
    ).to_be_visible()


def the_editor_changes_the_entry_and_submits_it(page: Page, entry: Term, text: str) -> None:
    open_the_entry(page, entry)
    # An editor is offered no way to publish.
    options = page.get_by_label("Status:", exact=True).locator("option").all_inner_texts()
    assert "Published" not in options
    page.get_by_label("Definition:", exact=True).fill(text)
    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    page.get_by_label("Message to the Publishers").fill(SUBMITTED)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text(SUBMITTED).first).to_be_visible()


def the_publisher_compares_and_requests_a_change(page: Page, entry: Term, screenshot) -> None:
    open_the_entry(page, entry)
    page.get_by_role("link", name="Compare working copy with live").click()
    compare = page.locator("tr", has_text="Definition").first
    expect(compare).to_contain_text(LIVE)
    expect(compare).to_contain_text(FIRST_DRAFT)
    screenshot(page, "workflow-compare-copy-with-live")
    page.go_back()
    page.get_by_label("What should change").fill(COMMENT)
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_text(COMMENT).first).to_be_visible()


def the_editor_sees_the_comment_fixes_the_text_and_submits_again(page: Page, entry: Term) -> None:
    open_the_entry(page, entry)
    expect(page.locator(".review-notes")).to_contain_text(COMMENT)
    page.get_by_label("Definition:", exact=True).fill(FIXED)
    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    page.get_by_label("Message to the Publishers").fill("Fixed the typo.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Fixed the typo.").first).to_be_visible()


def the_publisher_approves(page: Page, entry: Term) -> None:
    open_the_entry(page, entry)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("is published").first).to_be_visible()


def assert_readers_see(page: Page, definition: str) -> None:
    page.goto("/glossary/model-card/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Model Card")
    expect(page.locator("main")).to_contain_text(definition)
