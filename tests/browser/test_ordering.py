"""Ordering in Chromium: an editor reorders a live entry's key considerations by dragging
their handles, or with the arrow keys alone, publishes, and readers see the new order;
the same for its common questions (stacked blocks, each with a handle in its heading) and
a category's shared questions; categories reordered on the admin list come in the new
order on the glossary index and in the API."""

import pytest
from playwright.sync_api import Page, expect

from terms.models import Term

from ..factories import CategoryFactory, FAQFactory, KeyConsiderationFactory, TermFactory
from ..helpers.browser import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CONSIDERATIONS = ["Alpha comes first", "Beta comes second", "Gamma comes third"]
QUESTIONS = ["Who writes a model card?", "What goes in one?", "When is it updated?"]


@pytest.fixture
def entry(db) -> Term:
    entry = TermFactory(title="Model Card", slug="model-card", status=Term.Status.PUBLISHED)
    for position, text in enumerate(CONSIDERATIONS, start=1):
        KeyConsiderationFactory(term=entry, text=text, position=position)
    return entry


@pytest.fixture
def questions(entry) -> list[str]:
    for position, question in enumerate(QUESTIONS, start=1):
        FAQFactory(term=entry, question=question, answer=f"About {question}", position=position)
    return QUESTIONS


def open_the_working_copy(page: Page, entry: Term) -> None:
    page.goto(f"/admin/terms/term/{entry.pk}/change/")
    expect(
        page.get_by_text(f"You are editing the working copy of {entry.title}.").first
    ).to_be_visible()


def handle(page: Page, text: str):
    return page.get_by_role("button", name=f"Move “{text}”", exact=True)


def publish(page: Page) -> None:
    page.get_by_label("Status:", exact=True).select_option(label="Published")
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.get_by_text("is published: readers see it now").first).to_be_visible()


def expect_rows_in_order(group, considerations: list[str]) -> None:
    texts = group.locator("tbody tr.has_original input[name$='-text']")
    for row, text in enumerate(considerations):
        expect(texts.nth(row)).to_have_value(text)


def moves_announced(group):
    """The group's live region for moves (each Markdown editor has one of its own)."""
    return group.get_by_role("status").filter(has_text="Moved to")


def expect_questions_in_order(group, questions: list[str]) -> None:
    fields = group.locator(".inline-related.has_original input[name$='-question']")
    expect(fields).to_have_count(len(questions))
    for block, question in enumerate(questions):
        expect(fields.nth(block)).to_have_value(question)


def expect_readers_see_questions(page: Page, path: str, questions: list[str]) -> None:
    page.goto(path)
    expect(page.locator("section[aria-labelledby=faqs] summary")).to_have_text(questions)


def expect_readers_see(page: Page, considerations: list[str]) -> None:
    page.goto("/glossary/model-card/")
    items = page.locator("section[aria-labelledby=considerations] li")
    expect(items).to_have_text(considerations)


def test_an_editor_drags_a_key_consideration_to_the_top_and_readers_see_the_new_order(
    open_page, publisher, entry, screenshot
):
    editing, reader = open_page(), open_page()
    log_in(editing, publisher)
    open_the_working_copy(editing, entry)
    # The number column is replaced by handles; nobody types numbers.
    expect(editing.locator('input[name="key_considerations-0-position"]')).to_be_hidden()

    handle(editing, "Gamma comes third").drag_to(handle(editing, "Alpha comes first"))

    group = editing.locator("#key_considerations-group")
    expect(group.get_by_role("status")).to_have_text("Moved to position 1 of 3")
    expect_rows_in_order(group, ["Gamma comes third", "Alpha comes first", "Beta comes second"])
    screenshot(editing, "ordering-dragged-consideration")
    publish(editing)
    expect_readers_see(reader, ["Gamma comes third", "Alpha comes first", "Beta comes second"])


def test_an_editor_moves_a_key_consideration_up_with_the_keyboard_alone(
    open_page, publisher, entry
):
    editing, reader = open_page(), open_page()
    log_in(editing, publisher)
    open_the_working_copy(editing, entry)

    gamma = handle(editing, "Gamma comes third")
    gamma.focus()
    editing.keyboard.press("ArrowUp")

    expect(gamma).to_be_focused()
    group = editing.locator("#key_considerations-group")
    expect_rows_in_order(group, ["Alpha comes first", "Gamma comes third", "Beta comes second"])
    expect(group.get_by_role("status")).to_have_text("Moved to position 2 of 3")
    publish(editing)
    expect_readers_see(reader, ["Alpha comes first", "Gamma comes third", "Beta comes second"])


def test_an_editor_drags_categories_into_a_new_order_on_the_list(open_page, editor):
    for order, name in enumerate(["Basics", "Governance", "Risk"], start=1):
        category = CategoryFactory(name=name, slug=name.lower(), order=order)
        TermFactory(category=category, status=Term.Status.PUBLISHED)
    page = open_page()
    log_in(page, editor)
    page.goto("/admin/terms/category/")

    handle(page, "Risk").drag_to(handle(page, "Basics"))
    expect(page.get_by_role("status")).to_have_text("Moved to position 1 of 3")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("were changed successfully")).to_be_visible()
    expect(page.locator("#result_list tbody th")).to_have_text(["Risk", "Basics", "Governance"])
    page.goto("/glossary/")
    expect(page.get_by_label("Category").locator("option")).to_have_text(
        ["All categories", "Risk", "Basics", "Governance"]
    )
    names = [row["name"] for row in page.request.get("/api/v1/categories/").json()]
    assert names == ["Risk", "Basics", "Governance"]


def test_a_row_added_with_add_another_can_be_moved_and_a_deleted_row_keeps_the_others_order(
    open_page, publisher, entry
):
    editing, reader = open_page(), open_page()
    log_in(editing, publisher)
    open_the_working_copy(editing, entry)
    group = editing.locator("#key_considerations-group")

    group.get_by_role("button", name="Add another Key consideration").click()
    new_row = group.locator("tbody tr.dynamic-key_considerations").last
    new_row.locator("input[name$='-text']").fill("Delta was added")
    added = handle(editing, "Delta was added")
    added.focus()
    for _ in range(4):  # past the three empty rows, then above Gamma
        editing.keyboard.press("ArrowUp")
    expect(group.get_by_role("status")).to_have_text("Moved to position 3 of 4")
    expect(added).to_be_focused()
    group.get_by_role("row").filter(has=handle(editing, "Alpha comes first")).get_by_role(
        "checkbox"
    ).check()
    publish(editing)
    expect_readers_see(reader, ["Beta comes second", "Delta was added", "Gamma comes third"])


def test_an_editor_drags_a_common_question_to_the_top_and_readers_see_the_new_order(
    open_page, publisher, entry, questions, screenshot
):
    editing, reader = open_page(), open_page()
    log_in(editing, publisher)
    open_the_working_copy(editing, entry)
    group = editing.locator("#faqs-group")
    # Each question's heading has a handle; its "Position" line is gone.
    expect(group.get_by_label("Position:").first).to_be_hidden()

    # Each answer's preview loads once it is on screen and changes its block's height:
    # all loaded first, so that nothing moves under the mouse while it drags.
    for stored in range(len(questions)):  # the blank extra row has nothing to load
        preview = group.get_by_role("region", name="Preview").nth(stored)
        preview.scroll_into_view_if_needed()
        expect(preview).to_contain_text("About ")
    target = handle(editing, "Who writes a model card?")
    # The blocks are tall and Playwright does not scroll while it drags: both handles on
    # screen first, as an editor dragging one onto the other sees them.
    target.evaluate("handle => handle.scrollIntoView({block: 'start'})")
    handle(editing, "When is it updated?").drag_to(target)

    expect(moves_announced(group)).to_have_text("Moved to position 1 of 3")
    expect(handle(editing, "When is it updated?")).to_be_focused()
    expect_questions_in_order(group, ["When is it updated?", *QUESTIONS[:2]])
    # The moved block's Markdown editor still previews what is typed.
    moved = group.locator(".inline-related").first
    moved.get_by_label("Answer:").fill("Whenever the **model** changes.")
    expect(moved.get_by_role("region", name="Preview").locator("strong")).to_have_text("model")
    screenshot(editing, "ordering-dragged-question")
    publish(editing)
    expect_readers_see_questions(
        reader, "/glossary/model-card/", ["When is it updated?", *QUESTIONS[:2]]
    )


def test_an_editor_moves_a_common_question_down_with_the_keyboard_alone(
    open_page, publisher, entry, questions
):
    editing, reader = open_page(), open_page()
    log_in(editing, publisher)
    open_the_working_copy(editing, entry)
    group = editing.locator("#faqs-group")

    first = handle(editing, "Who writes a model card?")
    first.focus()
    editing.keyboard.press("ArrowDown")
    editing.keyboard.press("ArrowDown")
    editing.keyboard.press("ArrowDown")  # already last: stays, and says so

    expect(first).to_be_focused()
    expect(moves_announced(group)).to_have_text("Moved to position 3 of 3")
    expect_questions_in_order(group, [*QUESTIONS[1:], "Who writes a model card?"])
    publish(editing)
    expect_readers_see_questions(
        reader, "/glossary/model-card/", [*QUESTIONS[1:], "Who writes a model card?"]
    )


def test_an_editor_reorders_a_categorys_shared_questions_with_the_keyboard(open_page, editor):
    category = CategoryFactory(name="Governance", slug="governance")
    TermFactory(category=category, status=Term.Status.PUBLISHED)
    for position, question in enumerate(QUESTIONS, start=1):
        FAQFactory(term=None, category=category, question=question, position=position)
    editing, reader = open_page(), open_page()
    log_in(editing, editor)
    editing.goto(f"/admin/terms/category/{category.pk}/change/")
    group = editing.locator("#shared_faqs-group")

    last = handle(editing, "When is it updated?")
    last.focus()
    editing.keyboard.press("ArrowUp")

    expect(last).to_be_focused()
    expect(moves_announced(group)).to_have_text("Moved to position 2 of 3")
    expect_questions_in_order(group, [QUESTIONS[0], QUESTIONS[2], QUESTIONS[1]])
    editing.get_by_role("button", name="Save", exact=True).first.click()
    expect(editing.get_by_text("was changed successfully")).to_be_visible()
    expect_readers_see_questions(
        reader, "/glossary/category/governance/", [QUESTIONS[0], QUESTIONS[2], QUESTIONS[1]]
    )


def test_a_question_added_with_add_another_gets_a_handle_and_can_be_moved_up(
    open_page, publisher, entry, questions
):
    editing, reader = open_page(), open_page()
    log_in(editing, publisher)
    open_the_working_copy(editing, entry)
    group = editing.locator("#faqs-group")

    group.get_by_role("button", name="Add another Common question").click()
    added_block = group.locator(".inline-related.dynamic-faqs").last
    added_block.get_by_label("Question:").fill("Who reads it?")
    added_block.get_by_label("Answer:").fill("Anyone choosing a model.")
    added = handle(editing, "Who reads it?")
    added.focus()
    for _ in range(3):  # past the empty form, then above the last two questions
        editing.keyboard.press("ArrowUp")

    expect(added).to_be_focused()
    expect(moves_announced(group)).to_have_text("Moved to position 2 of 4")
    publish(editing)
    expect_readers_see_questions(
        reader, "/glossary/model-card/", [QUESTIONS[0], "Who reads it?", *QUESTIONS[1:]]
    )
