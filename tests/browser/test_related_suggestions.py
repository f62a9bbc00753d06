"""Suggested related terms in Chromium, as an editor uses them: one click on "Add" puts
the suggestion in the related-terms autocomplete, the form knows it changed, and saving
stores the relation. Within the Content-Security-Policy, with no console error."""

import re

import pytest
from playwright.sync_api import expect

from terms.roles import EDITORS

from ..factories import UserFactory
from ..helpers.browser import log_in
from ..helpers.policy_watch import Watch
from ..helpers.related_terms import alike_glossary

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_editor_adds_a_suggested_related_term_with_one_click_and_saves_it(
    open_page, live_server, screenshot
):
    glossary = alike_glossary()
    semantic_search = glossary["Semantic Search"]
    page = open_page()
    watch = Watch(page.context, live_server.url)
    log_in(page, UserFactory(username="eddie", is_staff=True, roles=[EDITORS]))
    page.goto(f"/admin/terms/term/{semantic_search.pk}/change/")

    panel = page.locator("#related-suggestions")
    panel.scroll_into_view_if_needed()
    expect(panel.get_by_role("link")).to_have_text(["Vector Database", "Embedding"])
    related = page.locator(".field-related")
    expect(related.locator(".select2-selection__choice")).to_have_count(0)
    screenshot(page, "related-suggestions")

    panel.get_by_role("button", name="Add Embedding to the related terms").click()

    expect(related.locator(".select2-selection__choice")).to_have_count(1)
    expect(related.locator(".select2-selection__choice")).to_contain_text("Embedding")
    add_embedding = panel.get_by_role("button", name="Add Embedding to the related terms")
    expect(add_embedding).to_be_disabled()
    expect(add_embedding).to_have_text("Added")
    # Taken out of the field again (select2's ×), it can be added again.
    related.locator(".select2-selection__choice__remove").click()
    expect(related.locator(".select2-selection__choice")).to_have_count(0)
    expect(add_embedding).to_be_enabled()
    expect(add_embedding).to_have_text("Add")
    add_embedding.click()
    expect(related.locator(".select2-selection__choice")).to_contain_text("Embedding")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    with page.expect_event("dialog"):
        page.get_by_role("link", name="Home").click()
    assert asked == ["beforeunload"]  # the unsaved-changes guard saw the added term

    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    assert list(semantic_search.related.values_list("title", flat=True)) == ["Embedding"]
    # Related now, so no longer suggested.
    expect(page.locator("#related-suggestions").get_by_role("link")).to_have_text(
        ["Vector Database"]
    )
    page.get_by_role("link", name="Home").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert asked == ["beforeunload"]
    assert watch.problems == [], "\n".join(dict.fromkeys(watch.problems))
