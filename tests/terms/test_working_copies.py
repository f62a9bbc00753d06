"""Working copies in the admin: editing a published entry edits its working copy, kept
apart from what readers see (site, API, sitemap, search, counts, the response cache) until
a publisher publishes it; the list, autocompletes, counts and export show entries only."""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from terms.models import FAQ, AuditEntry, SiteSettings, Term, TermReference
from terms.preview import preview_token
from terms.services import glossary_export, working_copy_start

from ..factories import (
    FAQFactory,
    KeyConsiderationFactory,
    ReferenceFactory,
    TermFactory,
    TermReferenceFactory,
)
from ..helpers.term_admin import (
    CHANGELIST,
    PUBLISH_REFUSED,
    change_url,
    field_errors,
    messages_of,
    stored_rows,
    stored_term_form,
)

pytestmark = pytest.mark.django_db

COPY_MESSAGE = (
    "You are editing the working copy of {}. Readers see the published version until it "
    "is published."
)


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def the_copy_of(entry) -> Term:
    return Term.objects.get(draft_of=entry)


@pytest.fixture
def live_entry():
    """A published entry with a bullet, an FAQ and a reference, as readers see it."""
    entry = TermFactory(
        title="Model Card",
        slug="model-card",
        summary="A short document describing a model.",
        definition="The live definition.",
    )
    KeyConsiderationFactory(term=entry, text="Live bullet", position=1)
    FAQFactory(term=entry, question="Live question?", answer="Live answer.", position=1)
    TermReferenceFactory(term=entry, reference=ReferenceFactory(title="Live source"), position=1)
    return entry


# Opening a published entry ---------------------------------------------------------


def test_opening_a_published_entry_leads_to_its_new_working_copy_with_a_message(
    editor_client, live_entry
):
    response = editor_client.get(change_url(live_entry))
    copy = the_copy_of(live_entry)
    assert response.status_code == 302
    assert response["Location"] == change_url(copy)
    assert COPY_MESSAGE.format("Model Card") in messages_of(response)
    page = editor_client.get(response["Location"])
    assert page.status_code == 200
    assert 'href="/glossary/model-card/"' in page.text  # the live page
    assert [row.text for row in copy.key_considerations.all()] == ["Live bullet"]


def test_opening_the_entry_again_leads_to_the_same_working_copy(editor_client, live_entry):
    first = editor_client.get(change_url(live_entry))["Location"]
    second = editor_client.get(change_url(live_entry))["Location"]
    assert first == second
    assert Term.objects.filter(draft_of=live_entry).count() == 1


def test_an_unpublished_term_is_edited_itself(editor_client):
    draft = TermFactory(status=Term.Status.DRAFT)
    response = editor_client.get(change_url(draft))
    assert response.status_code == 200
    assert not Term.objects.filter(draft_of=draft).exists()


def test_saving_the_working_copy_leaves_the_live_entry_and_its_rows_as_they_were(
    editor_client, live_entry
):
    copy = working_copy_start(entry=live_entry)
    rows = stored_rows(copy)
    rows["key_considerations"][0]["text"] = "Copy bullet"
    rows["faqs"].append({"question": "Copy question?", "answer": "Copy answer.", "position": ""})
    rows["citations"][0]["DELETE"] = "on"
    data = stored_term_form(copy, rows, definition="The copy's definition.")
    response = editor_client.post(change_url(copy), data)
    assert response.status_code == 302
    live_entry.refresh_from_db()
    copy.refresh_from_db()
    assert live_entry.definition == "The live definition."
    assert copy.definition == "The copy's definition."
    assert [row.text for row in live_entry.key_considerations.all()] == ["Live bullet"]
    assert [row.question for row in live_entry.faqs.all()] == ["Live question?"]
    assert live_entry.citations.count() == 1
    assert [row.text for row in copy.key_considerations.all()] == ["Copy bullet"]
    assert [row.question for row in copy.faqs.all()] == ["Live question?", "Copy question?"]
    assert copy.citations.count() == 0


def test_a_form_posted_to_the_live_entry_changes_nothing(editor_client, live_entry):
    data = stored_term_form(live_entry, definition="Sneaked in.")
    response = editor_client.post(change_url(live_entry), data)
    live_entry.refresh_from_db()
    assert live_entry.definition == "The live definition."
    assert response["Location"] == change_url(the_copy_of(live_entry))
    assert any("Nothing was saved" in message for message in messages_of(response))


def test_a_working_copy_offers_no_delete_only_discard(editor_client, live_entry):
    copy = working_copy_start(entry=live_entry)
    page = editor_client.get(change_url(copy)).text
    assert reverse("admin:terms_term_delete", args=[copy.pk]) not in page
    assert reverse("admin:terms_term_discard", args=[copy.pk]) in page
    deleting = editor_client.post(reverse("admin:terms_term_delete", args=[copy.pk]))
    assert deleting["Location"] == reverse("admin:terms_term_discard", args=[copy.pk])
    assert Term.objects.filter(pk=copy.pk).exists()


def test_discarding_the_working_copy_asks_first_then_drops_only_the_copy(editor_client, live_entry):
    copy = working_copy_start(entry=live_entry)
    Term.objects.filter(pk=copy.pk).update(definition="Unwanted.")
    url = reverse("admin:terms_term_discard", args=[copy.pk])
    confirm = editor_client.get(url)
    assert confirm.status_code == 200
    assert 'method="post"' in confirm.text
    assert Term.objects.filter(pk=copy.pk).exists()
    response = editor_client.post(url)
    assert response.status_code == 302
    assert not Term.objects.filter(pk=copy.pk).exists()
    live_entry.refresh_from_db()
    assert live_entry.definition == "The live definition."
    assert AuditEntry.objects.filter(action="discard", target_id=str(live_entry.pk)).exists()


# Publishing the working copy -------------------------------------------------------


def test_a_publisher_saving_the_copy_as_published_publishes_it_and_lands_on_the_term_list(
    publisher_client, live_entry
):
    copy = working_copy_start(entry=live_entry)
    rows = stored_rows(copy)
    rows["key_considerations"][0]["text"] = "Published bullet"
    data = stored_term_form(copy, rows, definition="The new definition.", status="published")
    response = publisher_client.post(change_url(copy), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:terms_term_changelist")
    assert "“Model Card” is published: readers see it now." in messages_of(response)
    live_entry.refresh_from_db()
    assert live_entry.status == Term.Status.PUBLISHED
    assert live_entry.definition == "The new definition."
    assert [row.text for row in live_entry.key_considerations.all()] == ["Published bullet"]
    assert not Term.objects.filter(pk=copy.pk).exists()


def test_an_editor_saving_the_copy_as_published_does_not_publish_it(editor_client, live_entry):
    copy = working_copy_start(entry=live_entry)
    data = stored_term_form(copy, definition="Not for readers yet.", status="published")
    response = editor_client.post(change_url(copy), data, follow=True)
    assert response.status_code == 200
    assert field_errors(response, "status") == [PUBLISH_REFUSED]
    live_entry.refresh_from_db()
    assert live_entry.definition == "The live definition."
    assert Term.objects.get(pk=copy.pk).status != Term.Status.PUBLISHED


# The list, autocompletes, counts and export show entries only ------------------------


def test_the_term_list_shows_entries_only_and_marks_unpublished_changes(editor_client, live_entry):
    copy = working_copy_start(entry=live_entry)
    untouched = TermFactory(title="Datasheet")
    working_copy_start(entry=untouched)
    editor_client.post(change_url(copy), stored_term_form(copy, summary="Changed."))
    listing = editor_client.get(CHANGELIST)
    assert [term.pk for term in listing.context["cl"].result_list] == [untouched.pk, live_entry.pk]
    assert "Published, with unpublished changes" in page_text(listing)

    changed = editor_client.get(CHANGELIST, {"changes": "yes"}).context["cl"].result_list
    unchanged = editor_client.get(CHANGELIST, {"changes": "no"}).context["cl"].result_list
    assert [term.pk for term in changed] == [live_entry.pk]
    assert [term.pk for term in unchanged] == [untouched.pk]


def test_a_working_copy_is_never_offered_as_a_related_term(editor_client, live_entry):
    working_copy_start(entry=live_entry)
    found = editor_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "terms", "model_name": "term", "field_name": "related", "term": "model"},
    ).json()
    assert [row["id"] for row in found["results"]] == [str(live_entry.pk)]


def test_a_working_copy_posted_as_a_related_term_is_refused_next_to_the_field(
    editor_client, live_entry
):
    copy = working_copy_start(entry=live_entry)
    draft = TermFactory(status=Term.Status.DRAFT)
    response = editor_client.post(change_url(draft), stored_term_form(draft, related=[copy.pk]))
    assert response.status_code == 200
    assert field_errors(response, "related") == [
        f"Select a valid choice. {copy.pk} is not one of the available choices."
    ]
    assert not draft.related.exists()


def test_category_and_reference_counts_count_entries_only(editor_client, live_entry):
    working_copy_start(entry=live_entry)
    categories = editor_client.get(reverse("admin:terms_category_changelist"))
    references = editor_client.get(reverse("admin:terms_reference_changelist"))
    assert [c.term_total for c in categories.context["cl"].result_list] == [1]
    assert [r.citation_total for r in references.context["cl"].result_list] == [1]


def test_the_export_holds_entries_only(live_entry):
    copy = working_copy_start(entry=live_entry)
    Term.objects.filter(pk=copy.pk).update(definition="Unpublished change.")
    exported = glossary_export()["terms"]
    assert [(term["slug"], term["definition"]) for term in exported] == [
        ("model-card", "The live definition.")
    ]


def test_deleting_an_entry_deletes_its_working_copy(publisher_client, live_entry):
    copy = working_copy_start(entry=live_entry)
    response = publisher_client.post(
        reverse("admin:terms_term_delete", args=[live_entry.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Term.objects.filter(pk__in=[live_entry.pk, copy.pk]).exists()
    assert not FAQ.objects.exists()
    assert not TermReference.objects.exists()


# Preview shows the copy ---------------------------------------------------------------


def test_the_preview_button_of_a_working_copy_shows_what_its_form_holds(editor_client, live_entry):
    copy = working_copy_start(entry=live_entry)
    data = stored_term_form(copy, definition="Previewed words.")
    response = editor_client.post(reverse("admin:terms_term_preview", args=[copy.pk]), data)
    assert response.status_code == 200
    assert "Previewed words." in page_text(response)
    assert "The live definition." not in page_text(response)
    copy.refresh_from_db()
    assert copy.definition == "The live definition."


def test_the_preview_link_of_a_working_copy_shows_the_copy_and_the_live_address_the_entry(
    live_entry,
):
    copy = working_copy_start(entry=live_entry)
    copy.definition = "Copy words."
    copy.save()
    reader = Client()
    token = preview_token(copy)
    previewed = reader.get(f"/glossary/model-card/?preview={token}")
    previewed_api = reader.get(f"/api/v1/terms/model-card/?preview={token}")
    assert "Copy words." in page_text(previewed)
    assert previewed_api.json()["definition"] == "Copy words."
    assert "The live definition." in page_text(reader.get("/glossary/model-card/"))
    assert reader.get("/api/v1/terms/model-card/").json()["definition"] == "The live definition."


def test_a_working_copy_renamed_is_previewed_at_its_new_address_only(live_entry):
    copy = working_copy_start(entry=live_entry)
    Term.objects.filter(pk=copy.pk).update(slug="model-cards")
    reader = Client()
    assert (
        reader.get(f"/api/v1/terms/model-cards/?preview={preview_token(copy)}").status_code == 200
    )
    assert reader.get("/api/v1/terms/model-cards/").status_code == 404


def test_a_copy_only_opened_is_not_marked_as_changed(editor_client, live_entry):
    editor_client.get(change_url(live_entry))
    listing = editor_client.get(CHANGELIST)
    assert Term.objects.filter(draft_of=live_entry).exists()
    assert [term.has_unpublished_changes for term in listing.context["cl"].result_list] == [False]


# What readers see, with the response cache on ------------------------------------------


def what_readers_see(reader) -> dict:
    """Everything public that could show the entry: page, API detail and list, sitemap,
    search and the letter counts."""
    letters = reader.get("/api/v1/letters/").json()
    counts = letters.get("results", letters) if isinstance(letters, dict) else letters
    return {
        "page": page_text(reader.get("/glossary/model-card/")),
        "detail": reader.get("/api/v1/terms/model-card/").json().get("definition"),
        "list": [t["title"] for t in reader.get("/api/v1/terms/").json()["results"]],
        "sitemap": reader.get("/sitemap.xml").content.decode(),
        "search": [
            t["title"]
            for t in reader.get("/api/v1/terms/", {"search": "zebrafish"}).json()["results"]
        ],
        "letters": {row["letter"]: row["count"] for row in counts if row["count"]},
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_readers_see_the_live_entry_until_the_working_copy_is_published(
    settings, client, publisher
):
    settings.API_RESPONSE_CACHE = True
    SiteSettings.load()
    entry = TermFactory(
        title="Model Card", slug="model-card", summary="Documents a model.", definition="Old."
    )
    KeyConsiderationFactory(term=entry, text="Old bullet")
    reader = Client()
    before = what_readers_see(reader)  # and now cached
    assert "Old." in before["page"]
    assert before["detail"] == "Old."
    assert before["list"] == ["Model Card"]
    assert before["search"] == []
    assert before["letters"] == {"M": 1}

    client.force_login(publisher)
    copy = Term.objects.get(pk=client.get(change_url(entry))["Location"].split("/")[-3])
    rows = stored_rows(copy)
    rows["key_considerations"][0]["text"] = "New bullet"
    edit = stored_term_form(
        copy, rows, title="Zebrafish Card", summary="Zebrafish words.", definition="New."
    )
    assert client.post(change_url(copy), edit).status_code == 302

    assert what_readers_see(reader) == before
    assert "Old bullet" in what_readers_see(reader)["page"]

    publish = stored_term_form(Term.objects.get(pk=copy.pk), status="published")
    assert client.post(change_url(copy), publish).status_code == 302

    after = what_readers_see(reader)
    assert "New." in after["page"] and "New bullet" in after["page"]
    assert after["detail"] == "New."
    assert after["list"] == ["Zebrafish Card"]
    assert after["search"] == ["Zebrafish Card"]
    assert after["letters"] == {"Z": 1}
