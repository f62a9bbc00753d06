"""The admin's Markdown editor in Chromium, as an editor uses it: the live preview, the
toolbar, "[[" links to terms and the warning before leaving unsaved changes, all within
the Content-Security-Policy."""

import re

import pytest
from playwright.sync_api import Page, expect

from terms.models import Term
from terms.roles import EDITORS
from terms.services import term_publish

from ..factories import TermFactory, UserFactory
from ..helpers.browser import log_in
from ..helpers.policy_watch import Watch

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def term(db):
    return TermFactory(
        title="Model Card",
        slug="model-card",
        status=Term.Status.DRAFT,
        definition="A model card documents a model.",
    )


@pytest.fixture
def editing(open_page, live_server, term):
    """An editor on the term's change form, watched for policy violations and errors;
    the test ends by asserting there were none."""
    page = open_page()
    watch = Watch(page.context, live_server.url)
    log_in(page, UserFactory(username="eddie", is_staff=True, roles=[EDITORS]))
    page.goto(f"/admin/terms/term/{term.pk}/change/")
    expect(page.get_by_role("heading", level=1, name="Change term")).to_be_visible()
    yield page
    assert watch.problems == [], "\n".join(dict.fromkeys(watch.problems))


def definition(page: Page):
    return page.get_by_label("Definition:", exact=True)


def definition_preview(page: Page):
    return page.locator(".field-definition").get_by_role("region", name="Preview")


def type_at_the_end(page: Page, text: str) -> None:
    definition(page).click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def test_the_preview_follows_what_the_editor_types(editing, screenshot):
    page = editing
    page.set_viewport_size({"width": 1280, "height": 800})
    # The completeness and writing-check panels come first; the preview is asked for once
    # its field is on screen.
    definition(page).scroll_into_view_if_needed()
    expect(definition_preview(page)).to_contain_text("A model card documents a model.")

    type_at_the_end(page, " It states **where it fails** and *why*.")

    expect(definition_preview(page).locator("strong")).to_have_text("where it fails")
    expect(definition_preview(page).locator("em")).to_have_text("why")
    screenshot(page, "editor-with-preview")


def test_the_bold_button_wraps_the_selection_and_undo_takes_it_back(editing):
    page = editing
    definition(page).fill("Make this loud")
    definition(page).press("End")
    for _ in range(4):
        page.keyboard.press("Shift+ArrowLeft")

    page.locator(".field-definition").get_by_role("button", name="Bold").click()

    expect(definition(page)).to_have_value("Make this **loud**")
    expect(definition_preview(page).locator("strong")).to_have_text("loud")
    page.keyboard.type("quiet")  # the word stays selected: typing replaces it
    expect(definition(page)).to_have_value("Make this **quiet**")
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    expect(definition(page)).to_have_value("Make this loud")


def test_the_list_buttons_and_the_italic_shortcut_format_the_text(editing):
    page = editing
    toolbar = page.locator(".field-definition").get_by_role("toolbar")
    definition(page).fill("first\nsecond")
    definition(page).press("Control+a")

    toolbar.get_by_role("button", name="Bulleted list").click()
    expect(definition(page)).to_have_value("- first\n- second")
    expect(definition_preview(page).locator("ul li")).to_have_count(2)
    toolbar.get_by_role("button", name="Numbered list").click()
    expect(definition(page)).to_have_value("1. first\n2. second")
    expect(definition_preview(page).locator("ol li")).to_have_count(2)
    page.keyboard.press("Control+z")
    toolbar.get_by_role("button", name="Bulleted list").click()  # a second press: no list
    expect(definition(page)).to_have_value("first\nsecond")

    definition(page).press("Control+End")
    page.keyboard.press("Shift+Control+ArrowLeft")
    page.keyboard.press("Control+i")
    expect(definition(page)).to_have_value("first\n*second*")
    expect(definition_preview(page).locator("em")).to_have_text("second")


def test_the_link_button_asks_for_the_address_and_links_the_selection(editing):
    page = editing
    definition(page).fill("Read the model card guide.")
    definition(page).press("End")
    page.keyboard.press("ArrowLeft")  # before the full stop
    for _ in range(len("guide")):
        page.keyboard.press("Shift+ArrowLeft")

    page.locator(".field-definition").get_by_role("button", name="Link").first.click()
    address = page.locator(".field-definition").get_by_label("Link address:")
    address.fill("https://example.org/cards")
    address.press("Enter")  # links; does not submit the form

    expect(definition(page)).to_have_value(
        "Read the model card [guide](https://example.org/cards)."
    )
    expect(definition_preview(page).get_by_role("link", name="guide")).to_have_attribute(
        "href", "https://example.org/cards"
    )


def test_the_preview_says_when_it_is_unavailable_and_typing_goes_on(editing):
    page = editing
    page.route("**/markdown-preview/", lambda route: route.abort())
    type_at_the_end(page, " Offline.")
    expect(definition_preview(page)).to_contain_text(
        "Preview unavailable: no connection to the server."
    )
    page.unroute("**/markdown-preview/")

    other_tab = page.context.new_page()
    other_tab.goto("/admin/")
    other_tab.get_by_role("button", name="Log out").click()
    expect(other_tab.get_by_role("link", name="Log in again")).to_be_visible()
    type_at_the_end(page, " Still typing.")

    expect(definition_preview(page)).to_contain_text(
        "Preview unavailable: you are no longer logged in."
    )
    expect(definition(page)).to_have_value("A model card documents a model. Offline. Still typing.")


def test_typing_double_brackets_offers_terms_and_the_keyboard_picks_one(editing):
    page = editing
    TermFactory(title="Mechanism Design", status=Term.Status.PUBLISHED)
    target = TermFactory(title="Mechanistic Interpretability", status=Term.Status.DRAFT)
    box = definition(page)

    type_at_the_end(page, " See [[Mech")

    options = page.locator(".field-definition").get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_have_text("Mechanism Design")
    expect(options.nth(1)).to_have_text("Mechanistic Interpretability (draft)")
    expect(box).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    option_id = options.nth(1).get_attribute("id")
    expect(box).to_have_attribute("aria-activedescendant", option_id)
    page.keyboard.press("Enter")

    expect(box).to_have_value(
        f"A model card documents a model. See [Mechanistic Interpretability](term:{target.pk})"
    )
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".field-definition").get_by_role("listbox")).to_be_hidden()


def test_a_term_link_chosen_while_writing_still_leads_to_the_term_after_its_slug_changes(
    editing, open_page, term
):
    page = editing
    target = TermFactory(
        title="Mechanistic Interpretability",
        slug="mechanistic-interpretability",
        status=Term.Status.PUBLISHED,
    )
    type_at_the_end(page, " See [[Mechanistic")
    page.locator(".field-definition").get_by_role("option").first.click()
    expect(
        definition_preview(page).get_by_role("link", name="Mechanistic Interpretability")
    ).to_be_visible()
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    term_publish(term=Term.objects.get(pk=term.pk), user=None)
    target.slug = "mech-interp"
    target.save()

    reader = open_page()
    reader.goto("/glossary/model-card/")
    reader.get_by_role("link", name="Mechanistic Interpretability").click()

    expect(reader).to_have_url(re.compile(r"/glossary/mech-interp/$"))
    expect(reader.get_by_role("heading", level=1)).to_have_text("Mechanistic Interpretability")


def test_escape_closes_the_term_list_and_the_text_stays(editing):
    page = editing
    TermFactory(title="Mechanistic Interpretability")

    suggestions = page.locator(".field-definition").get_by_role("option")
    type_at_the_end(page, " [[Mech")
    expect(suggestions).to_have_text(["Mechanistic Interpretability"])
    page.keyboard.press("Escape")

    expect(suggestions).to_have_count(0)
    expect(definition(page)).to_have_value("A model card documents a model. [[Mech")
    expect(definition(page)).to_be_focused()
    page.keyboard.type("]] and [[Mech")  # another [[ opens the list again
    expect(suggestions).to_have_text(["Mechanistic Interpretability"])


def test_leaving_with_unsaved_changes_asks_first_and_saving_does_not(editing, term):
    page = editing
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # "Stay on page"

    page.on("dialog", answer)
    type_at_the_end(page, " Changed.")
    with page.expect_event("dialog"):
        page.get_by_role("link", name="Home").click()
    assert asked == ["beforeunload"]
    expect(definition(page)).to_have_value("A model card documents a model. Changed.")

    # The whole-page preview opens a tab and saves nothing: leaving still asks.
    with page.context.expect_page() as preview_opened:
        page.get_by_role("button", name="Preview", exact=True).click()
    preview_opened.value.close()
    with page.expect_event("dialog"):
        page.get_by_role("link", name="Home").click()
    assert asked == ["beforeunload", "beforeunload"]

    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    page.get_by_role("link", name="Home").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert asked == ["beforeunload", "beforeunload"]  # neither the save nor leaving after it
    term.refresh_from_db()
    assert term.definition == "A model card documents a model. Changed."


def test_an_added_question_has_the_editor_and_is_a_change_once_typed_in(editing):
    page = editing
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("button", name="Add another Common question").click()
    answer = page.locator('textarea[name="faqs-1-answer"]')

    answer.click()
    page.keyboard.type("It **depends**.")
    row = page.locator("#faqs-1")
    expect(row.get_by_role("region", name="Preview").locator("strong")).to_have_text("depends")
    with page.expect_event("dialog"):
        page.get_by_role("link", name="Home").click()
    assert asked == ["beforeunload"]

    page.get_by_role("button", name="Add another Common question").click()
    answer.fill("")
    page.get_by_role("link", name="Home").click()  # two empty added rows: nothing to lose
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert asked == ["beforeunload"]


def test_typing_and_undoing_back_to_the_saved_text_leaves_without_asking(editing):
    page = editing
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))

    type_at_the_end(page, "x")
    page.keyboard.press("Backspace")
    page.get_by_role("link", name="Home").click()

    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert asked == []
