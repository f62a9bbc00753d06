"""The editors' dashboard in Chromium: an editor logs in, sees a count per panel, and each
panel's link lists as many terms as it said."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from terms.audit import audit_record
from terms.models import AuditEntry, Term
from terms.roles import EDITORS

from ..factories import FAQFactory, KeyConsiderationFactory, TermFactory, UserFactory
from ..helpers.browser import PASSWORD, log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PANELS = [
    "My drafts",
    "Awaiting review",
    "In development",
    "Missing parts",
    "Due for review in the next 30 days",
    "Overdue for review",
]


def a_glossary_with_work_to_do(editor) -> None:
    today = timezone.localdate()
    for title in ("Embedding", "Fine-tuning"):
        draft = TermFactory(title=title, status=Term.Status.DRAFT)
        audit_record(AuditEntry.Action.CREATE, source=Term.Source.ADMIN, target=draft, user=editor)
    TermFactory(title="Guardrails", status=Term.Status.REVIEW)
    developing = TermFactory(title="Agentic AI", in_development=True)
    for text in ("Start small.", "Log every tool call.", "Keep a human in the loop."):
        KeyConsiderationFactory(term=developing, text=text)
    FAQFactory(term=developing)
    due = TermFactory(title="Hallucination")
    overdue = TermFactory(title="Prompt injection")
    Term.objects.filter(pk=due.pk).update(review_by=today + datetime.timedelta(days=5))
    Term.objects.filter(pk=overdue.pk).update(review_by=today - datetime.timedelta(days=5))


def test_an_editor_follows_each_dashboard_panel_to_as_many_terms_as_it_counts(
    open_page, screenshot
):
    editor = UserFactory(username="eddie", is_staff=True, roles=[EDITORS], password=PASSWORD)
    a_glossary_with_work_to_do(editor)
    page = open_page()

    log_in(page, editor)
    dashboard = page.locator("#editors-dashboard")
    expect(dashboard.get_by_role("heading", name="Editors’ desk")).to_be_visible()
    expect(dashboard.locator(".dashboard-panel")).to_have_count(len(PANELS))
    expect(dashboard.locator("#dashboard-recent li")).to_have_count(6)
    screenshot(page, "dashboard")

    for title in PANELS:
        panel = dashboard.locator(".dashboard-panel", has_text=title)
        count = int(panel.locator(".dashboard-count").inner_text())
        assert count > 0, title
        panel.locator(".dashboard-link").click()
        expect(page.locator("#result_list tbody tr")).to_have_count(count)
        page.go_back()

    dashboard.get_by_role("link", name="All terms, last changed first").click()
    first_recent = "Prompt injection"  # the last made; no audit entry: its own last save
    expect(page.locator("#result_list tbody tr").first).to_contain_text(first_recent)


def test_the_dashboard_fits_1024_pixels_without_scrolling_sideways(open_page, screenshot):
    editor = UserFactory(username="eddie", is_staff=True, roles=[EDITORS], password=PASSWORD)
    a_glossary_with_work_to_do(editor)
    page = open_page()
    page.set_viewport_size({"width": 1024, "height": 800})

    log_in(page, editor)

    expect(page.locator("#editors-dashboard .dashboard-panel").first).to_be_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    screenshot(page, "dashboard-1024")
