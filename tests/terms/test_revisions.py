"""Revisions in the admin: every save records one (with its comment, author and source),
the history lists those of the entry and of its working copy, any two compare field by
field and row by row, and restore turns an old one into the working copy, never live."""

import pytest
from django.test import Client
from django.urls import reverse

from terms.models import AuditEntry, Reference, Term, TermRevision
from terms.services import working_copy_start

from ..factories import (
    CategoryFactory,
    KeyConsiderationFactory,
    ReferenceFactory,
    TermFactory,
    TermReferenceFactory,
)
from ..helpers.term_admin import (
    ADD_TERM,
    change_url,
    messages_of,
    stored_rows,
    stored_term_form,
    term_form,
)

pytestmark = pytest.mark.django_db


def history_url(term) -> str:
    return reverse("admin:terms_term_history", args=[term.pk])


def compare_url(term) -> str:
    return reverse("admin:terms_term_compare", args=[term.pk])


def restore_url(term, term_revision) -> str:
    return reverse("admin:terms_term_restore", args=[term.pk, term_revision.revision_id])


def logged_in(user) -> Client:
    """A client of its own for ``user``, for tests where two people take turns."""
    client = Client()
    client.force_login(user)
    return client


def revisions_of(entry) -> list[TermRevision]:
    """Newest first, as the history lists them."""
    return list(TermRevision.objects.filter(entry=entry).select_related("revision"))


def save(client, term, rows=None, **fields):
    response = client.post(change_url(term), stored_term_form(term, rows, **fields))
    assert response.status_code == 302, response.context and response.context["errors"]
    return response


def inline_states(comparison, label: str) -> list[tuple[str, str, str]]:
    rows = next(inline.rows for inline in comparison.inlines if inline.label == label)
    return [(row.state, row.old, row.new) for row in rows]


@pytest.fixture
def draft():
    term = TermFactory(title="Model Card", slug="model-card", status=Term.Status.DRAFT)
    KeyConsiderationFactory(term=term, text="Keep me", position=1)
    KeyConsiderationFactory(term=term, text="Reword me", position=2)
    KeyConsiderationFactory(term=term, text="Drop me", position=3)
    return term


# Every save records one ----------------------------------------------------------------


def test_adding_a_term_records_a_revision_with_its_comment_and_a_create_entry(
    editor, editor_client
):
    data = term_form(CategoryFactory(), revision_comment="First draft from the workshop")
    assert editor_client.post(ADD_TERM, data).status_code == 302
    term = Term.objects.get()
    (only,) = revisions_of(term)
    assert only.revision.comment == "First draft from the workshop"
    assert only.revision.user == editor
    assert only.source == "admin"
    assert not only.of_working_copy
    audit = AuditEntry.objects.get(target_id=str(term.pk))
    assert (audit.action, audit.source, audit.actor) == ("create", "admin", editor)


def test_each_change_records_a_revision_and_an_edit_entry(editor_client, draft):
    save(editor_client, draft, summary="Once.")
    save(editor_client, draft, summary="Twice.", revision_comment="Tightened")
    assert [r.revision.comment for r in revisions_of(draft)] == ["Tightened", ""]
    assert AuditEntry.objects.filter(action="edit", target_id=str(draft.pk)).count() == 2


def test_saving_a_working_copy_records_a_revision_of_the_copy_under_its_entry(editor_client):
    entry = TermFactory()
    copy = working_copy_start(entry=entry)
    save(editor_client, copy, summary="Reworded.")
    (only,) = revisions_of(entry)
    assert only.of_working_copy
    assert AuditEntry.objects.filter(action="edit", target_id=str(entry.pk)).exists()


def test_publishing_the_copy_from_the_form_records_one_revision_with_the_comment(
    publisher_client,
):
    entry = TermFactory()
    copy = working_copy_start(entry=entry)
    save(publisher_client, copy, status="published", revision_comment="Approved wording")
    (only,) = revisions_of(entry)
    assert only.revision.comment == "Working copy published: Approved wording"
    assert not only.of_working_copy
    assert AuditEntry.objects.filter(action="publish", target_id=str(entry.pk)).count() == 1
    assert not AuditEntry.objects.filter(action="edit", detail="working copy").exists()


def test_adding_a_term_as_published_records_one_revision_and_both_audit_entries(
    publisher_client,
):
    data = term_form(CategoryFactory(), status="published", revision_comment="Ready")
    response = publisher_client.post(ADD_TERM, data)
    term = Term.objects.get()  # and no working copy: the editor lands on the list
    assert response["Location"] == reverse("admin:terms_term_changelist")
    assert term.status == Term.Status.PUBLISHED
    assert [r.revision.comment for r in revisions_of(term)] == ["Published: Ready"]
    actions = AuditEntry.objects.filter(target_id=str(term.pk)).order_by("pk")
    assert list(actions.values_list("action", flat=True)) == ["create", "publish"]


# The history page --------------------------------------------------------------------


def test_the_history_lists_revisions_of_the_copy_and_the_entry_newest_first(
    publisher, publisher_client
):
    entry = TermFactory(title="Model Card", status=Term.Status.DRAFT)
    save(publisher_client, entry, summary="Draft words.", revision_comment="Drafted")
    save(publisher_client, entry, status="published", revision_comment="Out")
    copy = Term.objects.get(pk=publisher_client.get(change_url(entry))["Location"].split("/")[-3])
    save(publisher_client, copy, summary="Copy words.", revision_comment="Copy edit")

    page = publisher_client.get(history_url(copy))  # a copy's history is its entry's
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [(row["revision"].comment, row["kind"]) for row in rows] == [
        ("Copy edit", "working copy"),
        ("Published: Out", "live"),
        ("Drafted", "Draft"),
    ]
    assert all(row["source"] == "admin" for row in rows)
    assert publisher.get_username() in page.text
    assert page.text.count('value="Restore"') == 3
    assert 'value="copy"' in page.text and 'value="live"' in page.text


def test_the_history_of_a_term_is_offered_on_its_form(editor_client, draft):
    assert history_url(draft) in editor_client.get(change_url(draft)).text


def test_someone_without_access_to_terms_cannot_read_the_history(client, advisory_member, draft):
    client.force_login(advisory_member)
    assert client.get(history_url(draft)).status_code == 403


# Compare ----------------------------------------------------------------------------


def test_compare_marks_added_removed_and_changed_inline_rows_and_fields(editor_client, draft):
    old_source, new_source = ReferenceFactory(title="NIST RMF"), ReferenceFactory(title="ISO")
    kept = ReferenceFactory(title="Model Cards paper")
    TermReferenceFactory(term=draft, reference=old_source, position=1)
    TermReferenceFactory(term=draft, reference=kept, position=2)
    save(editor_client, draft)
    rows = stored_rows(draft)
    rows["key_considerations"][1]["text"] = "Reworded"
    rows["key_considerations"][2]["DELETE"] = "on"
    rows["key_considerations"].append({"text": "Brand new", "position": ""})
    rows["faqs"].append({"question": "New question?", "answer": "Yes.", "position": ""})
    rows["citations"][0]["reference"] = str(new_source.pk)
    save(editor_client, draft, rows, title="Model Cards")
    newer, older = revisions_of(draft)

    response = editor_client.get(
        compare_url(draft), {"revision": [newer.revision_id, older.revision_id]}
    )
    assert response.status_code == 200
    comparison = response.context["comparison"]
    fields = {field.label: (field.state, field.old, field.new) for field in comparison.fields}
    assert fields["title"] == ("changed", "Model Card", "Model Cards")
    assert fields["definition"][0] == "unchanged"
    assert inline_states(comparison, "key considerations") == [
        ("unchanged", "Keep me", "Keep me"),
        ("changed", "Reword me", "Reworded"),
        ("added", "", "Brand new"),
        ("removed", "Drop me", ""),
    ]
    assert inline_states(comparison, "common questions (this term only)") == [
        ("added", "", "New question?\nYes."),
    ]
    assert inline_states(comparison, "references") == [
        ("added", "", "ISO (2023)"),
        ("unchanged", "Model Cards paper (2023)", "Model Cards paper (2023)"),
        ("removed", "NIST RMF (2023)", ""),
    ]
    assert "Reworded" in response.text and "state-removed" in response.text


def test_compare_names_related_terms_and_the_category_by_title(editor_client, draft):
    other = TermFactory(title="Datasheet")
    save(editor_client, draft)
    save(editor_client, draft, related=[str(other.pk)], category=str(CategoryFactory(name="B").pk))
    newer, older = revisions_of(draft)
    comparison = editor_client.get(
        compare_url(draft), {"revision": [older.revision_id, newer.revision_id]}
    ).context["comparison"]
    fields = {field.label: (field.state, field.old, field.new) for field in comparison.fields}
    assert fields["related terms"] == ("changed", "", "Datasheet")
    assert fields["category"] == ("changed", draft.category.name, "B")


def test_the_working_copy_compares_with_live_from_its_form(editor_client):
    entry = TermFactory(definition="Live words.")
    copy = working_copy_start(entry=entry)
    rows = stored_rows(copy)
    rows["key_considerations"].append({"text": "Only in the copy", "position": ""})
    save(editor_client, copy, rows, definition="Copy words.")
    form = editor_client.get(change_url(copy)).text
    link = f"{compare_url(copy)}?revision=live&amp;revision=copy"
    assert link in form

    comparison = editor_client.get(compare_url(copy), {"revision": ["live", "copy"]}).context[
        "comparison"
    ]
    definition = next(f for f in comparison.fields if f.label == "definition")
    assert (definition.old, definition.new) == ("Live words.", "Copy words.")
    assert inline_states(comparison, "key considerations") == [("added", "", "Only in the copy")]
    assert (comparison.old.label, comparison.new.label) == ("live now", "working copy now")


def test_comparing_needs_two_versions(editor_client, draft):
    save(editor_client, draft)
    (only,) = revisions_of(draft)
    response = editor_client.get(compare_url(draft), {"revision": [only.revision_id]})
    assert response["Location"] == history_url(draft)
    assert "Pick two versions to compare." in messages_of(response)


def test_a_revision_of_another_term_cannot_be_compared(editor_client, draft):
    other = TermFactory(status=Term.Status.DRAFT)
    save(editor_client, other)
    (foreign,) = revisions_of(other)
    response = editor_client.get(compare_url(draft), {"revision": ["live", foreign.revision_id]})
    assert response.status_code == 404


# Restore ----------------------------------------------------------------------------


def test_restoring_into_a_published_entry_makes_a_working_copy_and_leaves_live(editor, publisher):
    editor_client, publisher_client = logged_in(editor), logged_in(publisher)
    entry = TermFactory(
        title="Model Card", slug="model-card", status=Term.Status.DRAFT, definition="First."
    )
    KeyConsiderationFactory(term=entry, text="First bullet")
    save(publisher_client, entry, status="published")
    copy = Term.objects.get(pk=publisher_client.get(change_url(entry))["Location"].split("/")[-3])
    rows = stored_rows(copy)
    rows["key_considerations"][0]["text"] = "Second bullet"
    save(publisher_client, copy, rows, definition="Second.", status="published")
    entry.refresh_from_db()
    assert entry.definition == "Second."
    first_published = revisions_of(entry)[-1]

    response = editor_client.post(restore_url(entry, first_published))
    copy = Term.objects.get(draft_of=entry)
    assert response["Location"] == change_url(copy)
    assert copy.definition == "First."
    assert [row.text for row in copy.key_considerations.all()] == ["First bullet"]
    assert copy.status != Term.Status.PUBLISHED  # an editor restoring cannot publish
    entry.refresh_from_db()
    assert entry.definition == "Second."
    assert [row.text for row in entry.key_considerations.all()] == ["Second bullet"]
    assert Client().get("/api/v1/terms/model-card/").json()["definition"] == "Second."

    latest = revisions_of(entry)[0]
    assert latest.of_working_copy
    assert latest.revision.comment.startswith("Restored from revision of ")
    assert latest.revision.user == editor
    assert AuditEntry.objects.filter(action="restore", actor=editor).exists()


def test_restoring_an_unpublished_term_replaces_its_content_and_keeps_its_status(
    editor_client, draft
):
    save(editor_client, draft, definition="Version one.")
    save(editor_client, draft, definition="Version two.", status="review")
    older = revisions_of(draft)[-1]
    response = editor_client.post(restore_url(draft, older))
    assert response["Location"] == change_url(draft)
    draft.refresh_from_db()
    assert draft.definition == "Version one."
    assert draft.status == Term.Status.REVIEW
    assert not Term.objects.filter(draft_of=draft).exists()


def test_restoring_skips_a_reference_deleted_since_with_a_warning(editor_client, draft):
    gone = TermReferenceFactory(term=draft, reference=ReferenceFactory(title="Gone")).reference
    save(editor_client, draft)
    older = revisions_of(draft)[0]
    rows = stored_rows(draft)
    rows["citations"][0]["DELETE"] = "on"
    save(editor_client, draft, rows)
    Reference.objects.filter(pk=gone.pk).delete()

    response = editor_client.post(restore_url(draft, older))
    assert response.status_code == 302
    assert any("deleted since" in message for message in messages_of(response))
    assert [row.text for row in draft.key_considerations.all()] == [
        "Keep me",
        "Reword me",
        "Drop me",
    ]
    assert not draft.citations.exists()


def test_a_restore_must_be_posted_with_the_csrf_token(editor, editor_client, draft):
    save(editor_client, draft)
    (only,) = revisions_of(draft)
    without_token = Client(enforce_csrf_checks=True)
    without_token.force_login(editor)
    assert editor_client.get(restore_url(draft, only)).status_code == 405
    assert without_token.post(restore_url(draft, only)).status_code == 403
    assert len(revisions_of(draft)) == 1


def test_restoring_needs_the_right_to_change_terms(advisory_member, editor_client, draft):
    save(editor_client, draft)
    (only,) = revisions_of(draft)
    assert logged_in(advisory_member).post(restore_url(draft, only)).status_code == 403
    assert len(revisions_of(draft)) == 1


def test_a_revision_whose_title_another_term_took_since_is_not_restored(editor_client, draft):
    save(editor_client, draft)
    older = revisions_of(draft)[0]
    save(editor_client, draft, title="Model Card v2")
    TermFactory(title="Model Card")
    response = editor_client.post(restore_url(draft, older))
    assert response["Location"] == history_url(draft)
    assert any("could not be restored" in message for message in messages_of(response))
    draft.refresh_from_db()
    assert draft.title == "Model Card v2"
    assert len(revisions_of(draft)) == 2
