"""The glossary's search box suggests terms as a reader types, and a suggestion picked
with the keyboard opens the term's page."""

import pytest
from playwright.sync_api import expect

from terms.models import Term

from ..factories import TermFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_reader_types_mec_picks_a_suggestion_with_the_keyboard_and_lands_on_its_page(
    open_page,
):
    TermFactory(title="Mechanism Design", slug="mechanism-design")
    TermFactory(title="Mechanistic Interpretability", slug="mechanistic-interpretability")
    TermFactory(title="Mechanical Turk", slug="mechanical-turk", status=Term.Status.DRAFT)
    page = open_page()
    page.goto("/glossary/")

    search = page.get_by_role("combobox", name="Search")
    search.press_sequentially("mec")
    options = page.get_by_role("listbox", name="Suggested terms").get_by_role("option")
    expect(options).to_have_text(["Mechanism Design", "Mechanistic Interpretability"])
    expect(search).to_have_attribute("aria-expanded", "true")

    search.press("ArrowDown")
    search.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    search.press("Enter")

    expect(page).to_have_url("/glossary/mechanistic-interpretability/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mechanistic Interpretability")
