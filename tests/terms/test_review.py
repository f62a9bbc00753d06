"""Review: only Publishers publish, by every path; editors submit for review; publishers
approve (publish or schedule) or request changes; those involved are emailed."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from terms.models import AuditEntry, ReviewNote, Term
from terms.review import review_submit
from terms.services import term_archive, term_publish, working_copy_start

from ..factories import TermFactory, UserFactory
from ..helpers.dashboard import dashboard_panels
from ..helpers.tasks import run_worker
from ..helpers.term_admin import CHANGELIST, PUBLISH_REFUSED, change_url, field_errors, term_form

pytestmark = pytest.mark.django_db


def step_url(term, step: str) -> str:
    return reverse("admin:terms_term_review", args=[term.pk, step])


@pytest.fixture(params=["editor", "publisher", "superuser"])
def role(request, client):
    """Logs in an editor, a publisher, a superuser in turn: whether that one may publish."""
    client.force_login(request.getfixturevalue(request.param))
    return request.param != "editor"


@pytest.fixture(autouse=True)
def _mail_sent_at_once(settings):
    """Review emails are a task; run it as it is queued, mail in Django's test outbox."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "https://glossary.example.org"


def status_choices(response) -> list[str]:
    widget = response.context["adminform"].form.fields["status"].widget
    return [value for value, _label in widget.choices]


def actions_offered(response) -> set[str]:
    return {name for name, _label in response.context["action_form"].fields["action"].choices}


# Who may publish, by every path ---------------------------------------------------------


def test_the_status_field_offers_editors_only_draft_and_in_review(client, role):
    may_publish = role
    response = client.get(change_url(TermFactory(status="draft")))
    expected = ["draft", "review", "scheduled", "published", "archived"]
    assert status_choices(response) == (expected if may_publish else ["draft", "review"])


@pytest.mark.parametrize("status", ["published", "scheduled", "archived"])
def test_a_crafted_post_of_a_publishing_status_is_an_error_next_to_the_field_for_an_editor(
    client, role, status
):
    may_publish = role
    term = TermFactory(status="draft")
    extra = {"go_live_at_0": "2030-01-01", "go_live_at_1": "10:00"} if status == "scheduled" else {}
    response = client.post(change_url(term), term_form(term.category, status=status, **extra))
    term.refresh_from_db()
    if may_publish:
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert term.status == status
    else:
        assert field_errors(response, "status") == [PUBLISH_REFUSED]
        assert term.status == "draft"


def test_the_publish_and_archive_actions_are_offered_only_to_publishers(client, role):
    may_publish = role
    TermFactory(status="draft")
    offered = actions_offered(client.get(CHANGELIST)) & {"publish_selected", "archive_selected"}
    assert offered == ({"publish_selected", "archive_selected"} if may_publish else set())


def test_an_editor_posting_the_publish_action_publishes_nothing(editor_client):
    draft = TermFactory(status="draft")
    editor_client.post(CHANGELIST, {"action": "publish_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_deleting_a_published_term_needs_the_publish_permission(client, role):
    may_publish = role
    live = TermFactory()
    delete = reverse("admin:terms_term_delete", args=[live.pk])
    response = client.post(delete, {"post": "yes"})
    assert response.status_code == (302 if may_publish else 403)
    assert Term.objects.filter(pk=live.pk).exists() is not may_publish


def test_deleting_published_terms_from_the_list_needs_the_publish_permission(client, role):
    may_publish = role
    live, draft = TermFactory(), TermFactory(status="draft")
    selected = {"action": "delete_selected", "_selected_action": [live.pk, draft.pk]}
    confirm = client.post(CHANGELIST, selected)
    response = client.post(CHANGELIST, {**selected, "post": "yes"})
    refused = "taking them down needs the publish permission" in confirm.content.decode()
    assert refused is not may_publish
    if may_publish:
        assert not Term.objects.exists()
    else:
        assert response.status_code == 403
        assert Term.objects.count() == 2


def test_an_editor_still_deletes_a_draft(editor_client):
    draft = TermFactory(status="draft")
    delete = reverse("admin:terms_term_delete", args=[draft.pk])
    assert editor_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Term.objects.exists()


def test_the_services_refuse_an_editor_and_let_publishers_and_superusers_publish(
    editor, publisher, superuser
):
    term = TermFactory(status="draft")
    with pytest.raises(PermissionDenied):
        term_publish(term=term, user=editor)
    with pytest.raises(PermissionDenied):
        term_archive(term=term, user=editor)
    assert term_publish(term=term, user=publisher).status == "published"
    assert term_archive(term=term, user=superuser).status == "archived"


def test_editors_keep_everything_else_saving_a_draft(editor_client):
    term = TermFactory(status="draft")
    data = term_form(term.category, status="review", summary="A better summary.")
    assert editor_client.post(change_url(term), data).status_code == 302
    term.refresh_from_db()
    assert (term.status, term.summary) == ("review", "A better summary.")


# Submit, request changes, approve -------------------------------------------------------


def test_submitting_for_review_tells_the_publishers_by_email(editor_client, editor, publisher):
    UserFactory(roles=["Publishers"], is_active=False, email="gone@example.com")
    UserFactory(roles=["Publishers"], email="")
    term = TermFactory(title="Model Card", status="draft")

    response = editor_client.post(step_url(term, "submit"), {"message": "Ready, I think."})

    assert response.status_code == 302
    term.refresh_from_db()
    assert term.status == "review"
    note = ReviewNote.objects.get()
    assert (note.kind, note.author, note.text) == ("submitted", editor, "Ready, I think.")
    assert AuditEntry.objects.filter(action="submit", actor=editor).exists()
    [email] = mail.outbox
    assert email.to == [publisher.email]
    assert "Model Card" in email.subject
    assert f"https://glossary.example.org{change_url(term)}" in email.body
    assert "Ready, I think." in email.body
    assert email.extra_headers["Message-ID"] == f"<review-note-{note.pk}@localhost>"


def test_submitting_a_live_entry_puts_its_working_copy_in_review(editor, publisher):
    entry = TermFactory()
    copy = working_copy_start(entry=entry)

    review_submit(term=entry, user=editor, message="")

    copy.refresh_from_db()
    entry.refresh_from_db()
    assert (entry.status, copy.status) == ("published", "review")
    assert ReviewNote.objects.get().entry == entry


def test_a_publisher_requests_changes_and_the_editor_sees_the_comment_and_gets_the_email(
    client, editor, publisher
):
    term = TermFactory(status="draft")
    review_submit(term=term, user=editor, message="Please look.")
    mail.outbox.clear()
    client.force_login(publisher)

    client.post(step_url(term, "request-changes"), {"comment": "Cite the NIST framework."})

    term.refresh_from_db()
    assert term.status == "draft"
    assert AuditEntry.objects.filter(action="request_changes", actor=publisher).exists()
    [email] = mail.outbox
    assert email.to == [editor.email]
    assert "Cite the NIST framework." in email.body
    client.force_login(editor)
    page = client.get(change_url(term)).content.decode()
    assert "Cite the NIST framework." in page
    assert page.index("Cite the NIST framework.") < page.index("Please look.")  # newest first


def test_requesting_changes_without_a_comment_is_an_error_next_to_the_comment(
    publisher_client, editor
):
    term = TermFactory(status="draft")
    review_submit(term=term, user=editor)
    response = publisher_client.post(step_url(term, "request-changes"), {"comment": " "})
    assert response.status_code == 400
    assert response.context["form"].errors["comment"] == ["This field is required."]
    term.refresh_from_db()
    assert term.status == "review"


def test_a_publisher_approves_and_the_term_is_live_and_the_editor_is_told(
    client, editor, publisher
):
    term = TermFactory(title="Model Card", status="draft")
    review_submit(term=term, user=editor)
    mail.outbox.clear()
    client.force_login(publisher)

    client.post(step_url(term, "approve"), {"go_live_at": "", "message": "Lovely."})

    term.refresh_from_db()
    assert term.status == "published"
    assert client.get(term.get_absolute_url()).status_code == 200
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"submit", "approve", "publish"} <= actions
    assert ReviewNote.objects.filter(kind="approved", author=publisher).exists()
    [email] = mail.outbox
    assert email.to == [editor.email]
    assert "approved" in email.subject


def test_approving_a_working_copy_writes_it_onto_the_live_entry(publisher_client, editor):
    entry = TermFactory(summary="Old summary.")
    copy = working_copy_start(entry=entry)
    copy.summary = "New summary."
    copy.save()
    review_submit(term=copy, user=editor)

    response = publisher_client.post(step_url(copy, "approve"), {"go_live_at": ""})

    assert response["Location"] == change_url(entry)
    entry.refresh_from_db()
    assert (entry.status, entry.summary) == ("published", "New summary.")
    assert not Term.objects.filter(pk=copy.pk).exists()


def test_approving_with_a_go_live_time_schedules_the_term(publisher_client, editor):
    term = TermFactory(status="draft")
    review_submit(term=term, user=editor)
    when = timezone.localtime() + timezone.timedelta(days=2)

    publisher_client.post(
        step_url(term, "approve"), {"go_live_at": when.strftime("%Y-%m-%dT%H:%M")}
    )

    term.refresh_from_db()
    assert term.status == "scheduled"
    assert term.go_live_at.replace(second=0, microsecond=0) == when.replace(second=0, microsecond=0)
    assert AuditEntry.objects.filter(action="schedule").exists()


def test_approving_with_a_time_in_the_past_is_an_error_next_to_the_time(publisher_client, editor):
    term = TermFactory(status="draft")
    review_submit(term=term, user=editor)
    response = publisher_client.post(step_url(term, "approve"), {"go_live_at": "2020-01-01T10:00"})
    assert response.status_code == 400
    assert response.context["form"].errors["go_live_at"] == ["Choose a time in the future."]
    term.refresh_from_db()
    assert term.status == "review"


def test_an_editor_cannot_approve_or_request_changes(editor_client, editor):
    term = TermFactory(status="draft")
    review_submit(term=term, user=editor)
    assert editor_client.post(step_url(term, "approve"), {}).status_code == 403
    assert (
        editor_client.post(step_url(term, "request-changes"), {"comment": "x"}).status_code == 403
    )
    term.refresh_from_db()
    assert term.status == "review"


def test_the_change_form_offers_the_step_each_role_may_take(client, editor, publisher):
    term = TermFactory(status="draft")
    client.force_login(editor)
    assert 'id="review-submit"' in client.get(change_url(term)).content.decode()
    review_submit(term=term, user=editor)
    editor_page = client.get(change_url(term)).content.decode()
    client.force_login(publisher)
    publisher_page = client.get(change_url(term)).content.decode()
    assert 'id="review-approve"' not in editor_page
    assert 'id="review-approve"' in publisher_page
    assert 'id="review-request-changes"' in publisher_page


# Awaiting review --------------------------------------------------------------------------


def test_the_awaiting_review_filter_lists_entries_in_review_or_with_a_copy_in_review(
    publisher_client, editor
):
    TermFactory(title="Own draft", status="draft")
    TermFactory(title="In review", status="review")
    live = TermFactory(title="Live with copy in review")
    review_submit(term=working_copy_start(entry=live), user=editor)

    response = publisher_client.get(CHANGELIST, {"in_review": "yes"})

    titles = sorted(term.title for term in response.context["cl"].result_list)
    assert titles == ["In review", "Live with copy in review"]


def test_the_admin_index_counts_terms_awaiting_review_for_publishers_and_editors(
    client, editor, publisher
):
    TermFactory(status="review")
    TermFactory(status="review")
    for person in (publisher, editor):
        client.force_login(person)
        panel = dashboard_panels(client.get(reverse("admin:index")))["review"]
        assert (panel.count, panel.title) == (2, "Awaiting review")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_sends_the_submission_email_once_the_step_is_committed(settings, editor):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    publisher = UserFactory(is_staff=True, roles=["Editors", "Publishers"])
    term = TermFactory(title="Model Card", status="draft")

    review_submit(term=term, user=editor, message="Ready.")
    assert mail.outbox == []  # queued with the step, sent by the worker
    run_worker()

    [email] = mail.outbox
    assert email.to == [publisher.email]
    assert "Model Card" in email.subject
