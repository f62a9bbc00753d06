"""Review-by dates: set on publishing from the site settings' interval, moved on by
"mark as reviewed" (audited), and the term list's "due for review" and "overdue" filters
with their counts on the admin index."""

import datetime
import importlib

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from terms.models import AuditEntry, SiteSettings, Term
from terms.services import term_publish, working_copy_start

from ..factories import TermFactory
from ..helpers.dashboard import dashboard_panels
from ..helpers.term_admin import field_errors

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()
TERMS = reverse("admin:terms_term_changelist")
SITE_SETTINGS = reverse("admin:terms_sitesettings_change", args=[1])


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def due_in(days: int, **fields) -> Term:
    """A published term whose review-by date is ``days`` from today (negative: past)."""
    term = TermFactory(**fields)
    Term.objects.filter(pk=term.pk).update(review_by=TODAY + datetime.timedelta(days=days))
    return term


def listed(response) -> list[str]:
    return sorted(term.title for term in response.context["cl"].result_list)


def test_publishing_marks_the_term_reviewed_now_and_due_after_the_interval(clock):
    term = TermFactory(status="draft")

    term_publish(term=term)

    term.refresh_from_db()
    assert term.reviewed_at == NOW
    assert term.review_by == datetime.date(2027, 12, 1)


def test_publishing_a_working_copy_counts_as_a_review_of_its_entry(clock, publisher):
    entry = TermFactory()
    Term.objects.filter(pk=entry.pk).update(review_by=datetime.date(2026, 1, 1))
    copy = working_copy_start(entry=entry)

    term_publish(term=copy, user=publisher)

    entry.refresh_from_db()
    assert (entry.reviewed_at, entry.review_by) == (NOW, datetime.date(2027, 12, 1))


def test_the_review_interval_set_in_site_settings_dates_the_next_publication(clock, editor_client):
    settings = SiteSettings.load()
    response = editor_client.post(
        SITE_SETTINGS,
        {
            "organisation_name": settings.organisation_name,
            "default_cta_heading": settings.default_cta_heading,
            "default_cta_body": settings.default_cta_body,
            "review_interval_months": "3",
        },
    )
    assert response.status_code == 302
    term = TermFactory(status="draft")

    term_publish(term=term)

    assert Term.objects.get(pk=term.pk).review_by == datetime.date(2027, 3, 1)


@pytest.mark.parametrize(
    ("months", "error"),
    [
        ("0", "Ensure this value is greater than or equal to 1."),
        ("61", "Ensure this value is less than or equal to 60."),
        ("a year", "Enter a whole number."),
        ("", "This field is required."),
    ],
)
def test_a_review_interval_outside_1_to_60_months_is_refused_next_to_the_field(
    editor_client, months, error
):
    settings = SiteSettings.load()
    response = editor_client.post(
        SITE_SETTINGS,
        {
            "organisation_name": settings.organisation_name,
            "default_cta_heading": settings.default_cta_heading,
            "default_cta_body": settings.default_cta_body,
            "review_interval_months": months,
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "review_interval_months") == [error]
    assert SiteSettings.load().review_interval_months == 12


def test_the_term_list_filters_terms_due_for_review_and_overdue(clock, editor_client):
    due_in(-1, title="Late")
    due_in(0, title="Today")
    due_in(30, title="In a month")
    due_in(31, title="Later")
    due_in(-5, title="Archived and late", status="archived")
    TermFactory(title="Never dated")

    due = editor_client.get(TERMS, {"review": "due"})
    overdue = editor_client.get(TERMS, {"review": "overdue"})

    assert listed(due) == ["In a month", "Today"]
    assert listed(overdue) == ["Late"]
    assert "Due for review" in due.text
    assert "review by" in editor_client.get(TERMS).text.lower()


def test_the_admin_index_counts_terms_due_and_overdue_as_the_filters_list_them(
    clock, editor_client
):
    for days in (-40, -2, 3, 12, 29):
        due_in(days)
    due_in(45)

    panels = dashboard_panels(editor_client.get(reverse("admin:index")))

    assert (panels["overdue"].count, panels["overdue"].title) == (2, "Overdue for review")
    assert (panels["due"].count, panels["due"].title) == (3, "Due for review in the next 30 days")
    assert panels["overdue"].url == f"{TERMS}?review=overdue"
    assert panels["due"].url == f"{TERMS}?review=due"
    assert len(listed(editor_client.get(panels["overdue"].url))) == 2
    assert len(listed(editor_client.get(panels["due"].url))) == 3


def test_the_advisory_team_sees_no_review_counts_on_the_admin_index(client, advisory_member):
    due_in(-1)
    client.force_login(advisory_member)

    assert dashboard_panels(client.get(reverse("admin:index"))) == {}


def test_marking_terms_reviewed_from_the_list_moves_their_date_on_and_is_audited(
    clock, editor_client, editor
):
    late = due_in(-10, title="Late")
    copy = working_copy_start(entry=due_in(-3, title="Edited"))

    response = editor_client.post(
        TERMS,
        {"action": "mark_reviewed_selected", "_selected_action": [late.pk, copy.draft_of_id]},
        follow=True,
    )

    assert "Marked 2 terms as reviewed." in [str(m) for m in response.context["messages"]]
    reviewed = Term.objects.entries().filter(review_by=datetime.date(2027, 12, 1))
    assert sorted(reviewed.values_list("title", flat=True)) == ["Edited", "Late"]
    assert set(reviewed.values_list("reviewed_at", flat=True)) == {NOW}
    entries = AuditEntry.objects.filter(action="review").order_by("target_repr")
    assert [(e.actor, e.source, e.target_repr, e.detail) for e in entries] == [
        (editor, "admin", "Edited", "next review by 2027-12-01"),
        (editor, "admin", "Late", "next review by 2027-12-01"),
    ]
    assert listed(editor_client.get(TERMS, {"review": "overdue"})) == []


def test_the_mark_as_reviewed_button_on_the_term_form_moves_the_date_on(
    clock, editor_client, editor
):
    term = due_in(-10, title="Late")
    # A published entry's page is its working copy's: the button there reviews the entry.
    form = editor_client.get(reverse("admin:terms_term_change", args=[term.pk]), follow=True)
    change = reverse("admin:terms_term_change", args=[term.working_copy.pk])
    button = reverse("admin:terms_term_mark_reviewed", args=[term.working_copy.pk])

    assert f'action="{button}"' in form.text
    assert editor_client.get(button).status_code == 405
    response = editor_client.post(button, follow=True)

    assert response.redirect_chain == [(change, 302)]
    assert "“Late” is marked as reviewed; next review by 2027-12-01." in [
        str(m) for m in response.context["messages"]
    ]
    term.refresh_from_db()
    assert (term.reviewed_at, term.review_by) == (NOW, datetime.date(2027, 12, 1))
    assert AuditEntry.objects.get(action="review").actor == editor


def test_someone_who_may_only_read_terms_cannot_mark_one_reviewed(client, editor):
    term = due_in(-10)
    reader = type(editor).objects.create_user("reader", is_staff=True)
    reader.user_permissions.add(
        *apps.get_model("auth", "Permission").objects.filter(codename="view_term")
    )
    client.force_login(reader)

    response = client.post(reverse("admin:terms_term_mark_reviewed", args=[term.pk]))

    assert response.status_code == 403
    assert Term.objects.get(pk=term.pk).reviewed_at is None


def test_entries_published_before_review_dates_are_dated_from_their_last_change(clock):
    migration = importlib.import_module("terms.migrations.0018_review_dates_of_published_terms")
    published = TermFactory(title="Published")
    changed_at = datetime.datetime(2026, 5, 31, 9, 0, tzinfo=datetime.UTC)
    Term.objects.filter(pk=published.pk).update(
        published_at=changed_at - datetime.timedelta(days=30), updated_at=changed_at
    )
    draft = TermFactory(status="draft")

    migration.set_review_dates(apps, None)

    published.refresh_from_db()
    assert (published.reviewed_at, published.review_by) == (
        changed_at,
        datetime.date(2027, 5, 31),
    )
    assert published.updated_at == changed_at
    assert Term.objects.get(pk=draft.pk).review_by is None
    assert timezone.now() == NOW
