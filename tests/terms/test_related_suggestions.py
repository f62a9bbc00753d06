"""The term form's "Suggested related terms": published entries like the term's saved
text, next to the related-terms field, each with an "Add" button (the button's work is
tested in Chromium: tests/browser/test_related_suggestions.py)."""

import pytest
from django.contrib.auth.models import Permission

from terms.models import Term

from ..factories import UserFactory
from ..helpers.pages import get_page
from ..helpers.related_terms import alike_glossary
from ..helpers.term_admin import ADD_TERM, change_url

pytestmark = pytest.mark.django_db

PANEL = 'id="related-suggestions"'


def add_buttons(page) -> dict[str, str]:
    """The suggestions' "Add" buttons: the title each adds, and the term's id."""
    return {
        button["data-title"]: button["data-term"]
        for button in page.buttons
        if "data-term" in button
    }


def test_the_term_form_suggests_alike_entries_in_the_related_terms_fieldset(editor_client):
    glossary = alike_glossary()

    html, page = get_page(editor_client, change_url(glossary["Semantic Search"]))

    assert add_buttons(page) == {
        "Embedding": str(glossary["Embedding"].pk),
        "Vector Database": str(glossary["Vector Database"].pk),
    }
    assert "Suggested related terms:" in html
    assert "shares: vector, nearest, embedding" in html
    assert "shares: embedding, semantic, meaning" in html
    assert html.index("Related terms</h2>") < html.index(PANEL) < html.index("Schedule</h2>")
    assert "terms/related-suggestions.js" in html


def test_the_add_form_says_suggestions_come_once_the_term_is_saved(editor_client):
    alike_glossary()

    html, page = get_page(editor_client, ADD_TERM)

    assert PANEL in html
    assert add_buttons(page) == {}
    assert "Save the term to see published entries whose text is like its own" in html


def test_a_working_copy_suggests_neither_its_live_entry_nor_what_it_relates_to(editor_client):
    glossary = alike_glossary(status=Term.Status.PUBLISHED)
    entry = glossary["Vector Database"]
    entry.related.add(glossary["Embedding"])

    # Opening a live entry opens its working copy, which holds its related terms.
    response = editor_client.get(change_url(entry), follow=True)
    copy = entry.current_working_copy()
    assert response.redirect_chain[-1][0] == change_url(copy)

    _html, page = get_page(editor_client, change_url(copy))
    assert add_buttons(page) == {"Semantic Search": str(glossary["Semantic Search"].pk)}


def test_a_term_like_nothing_published_says_there_is_nothing_to_suggest(editor_client):
    glossary = alike_glossary()
    lonely = glossary["Semantic Search"]
    lonely.title = "Zebra Crossing"
    lonely.summary = lonely.definition = "Stripes painted across a road where walkers go first."
    lonely.save()

    html, page = get_page(editor_client, change_url(lonely))

    assert add_buttons(page) == {}
    assert "No published entry's text is close enough to this term's saved text" in html


def test_someone_who_may_only_view_a_term_is_shown_no_suggestions(client):
    glossary = alike_glossary()
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_term"))
    client.force_login(viewer)

    html, _page = get_page(client, change_url(glossary["Semantic Search"]))

    assert "Semantic Search" in html
    assert PANEL not in html
