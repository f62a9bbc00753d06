"""Scheduling: publishers set when a term goes live or comes down; the change is applied
to the stored status when its time comes (with a revision and an audit entry), by the
worker's sweep or the first request to see the time pass (tests/api/test_scheduled_reads.py)."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from glossary_project.worker.services import sweeps_run
from terms.models import AuditEntry, Term, TermRevision
from terms.schedules import next_scheduled_change, schedules_apply_due
from terms.services import working_copy_start

from ..factories import TermFactory
from ..helpers.term_admin import change_url, field_errors, term_form

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
LATER = NOW + datetime.timedelta(hours=2)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def when(moment: datetime.datetime) -> dict:
    """The admin's split date and time inputs for ``moment`` (in the site's time zone)."""
    local = timezone.localtime(moment)
    return {"_0": local.strftime("%Y-%m-%d"), "_1": local.strftime("%H:%M:%S")}


def schedule_fields(*, go_live_at=None, take_down_at=None) -> dict:
    data = {}
    for name, moment in (("go_live_at", go_live_at), ("take_down_at", take_down_at)):
        parts = when(moment) if moment else {"_0": "", "_1": ""}
        data |= {f"{name}{suffix}": value for suffix, value in parts.items()}
    return data


# The form ---------------------------------------------------------------------------------


def test_a_publisher_gives_a_draft_a_go_live_time_and_it_is_scheduled(publisher_client):
    term = TermFactory(status="draft")
    data = term_form(term.category, status="draft", **schedule_fields(go_live_at=LATER))

    response = publisher_client.post(change_url(term), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    term.refresh_from_db()
    assert (term.status, term.go_live_at) == ("scheduled", LATER)
    entry = AuditEntry.objects.get(action="schedule")
    assert entry.target_id == str(term.pk)
    assert "go live: none → " in entry.detail


def test_clearing_the_go_live_time_unschedules_the_term(publisher_client):
    term = TermFactory(status="scheduled", go_live_at=LATER)
    data = term_form(term.category, status="scheduled", **schedule_fields())

    publisher_client.post(change_url(term), data)

    term.refresh_from_db()
    assert (term.status, term.go_live_at) == ("draft", None)


def test_a_go_live_time_in_the_past_is_refused_next_to_the_field(publisher_client):
    term = TermFactory(status="draft")
    past = NOW - datetime.timedelta(minutes=5)
    data = term_form(term.category, **schedule_fields(go_live_at=past))

    response = publisher_client.post(change_url(term), data)

    assert field_errors(response, "go_live_at") == ["Choose a time in the future."]


def test_a_take_down_before_the_go_live_is_refused_next_to_the_field(publisher_client):
    term = TermFactory(status="draft")
    data = term_form(
        term.category,
        **schedule_fields(go_live_at=LATER, take_down_at=LATER - datetime.timedelta(hours=1)),
    )

    response = publisher_client.post(change_url(term), data)

    assert field_errors(response, "take_down_at") == ["Choose a time after it goes live."]


def test_a_take_down_time_on_a_draft_is_refused_next_to_the_field(publisher_client):
    term = TermFactory(status="draft")
    data = term_form(term.category, **schedule_fields(take_down_at=LATER))

    response = publisher_client.post(change_url(term), data)

    assert field_errors(response, "take_down_at") == [
        "Only a published or scheduled term can be taken down."
    ]


def test_a_publisher_gives_a_published_term_a_take_down_time(publisher_client):
    term = TermFactory()
    copy = working_copy_start(entry=term)  # a live entry is edited through its copy
    data = term_form(term.category, status="published", **schedule_fields(take_down_at=LATER))

    response = publisher_client.post(change_url(copy), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    term.refresh_from_db()
    assert (term.status, term.take_down_at) == ("published", LATER)


def test_editors_see_the_schedule_but_cannot_set_it(editor_client):
    term = TermFactory(status="draft")
    page = editor_client.get(change_url(term))
    assert {"go_live_at", "take_down_at"}.isdisjoint(page.context["adminform"].form.fields)
    assert {"go_live_at", "take_down_at"} <= set(page.context["adminform"].readonly_fields)

    data = term_form(term.category, status="draft", **schedule_fields(go_live_at=LATER))
    editor_client.post(change_url(term), data)

    term.refresh_from_db()
    assert (term.status, term.go_live_at) == ("draft", None)


def test_an_editor_setting_a_scheduled_term_back_to_draft_unschedules_it(editor_client):
    term = TermFactory(status="scheduled", go_live_at=LATER)

    response = editor_client.post(change_url(term), term_form(term.category, status="draft"))

    assert response.status_code == 302
    term.refresh_from_db()
    assert (term.status, term.go_live_at) == ("draft", None)


def test_an_editor_cannot_change_a_scheduled_term_and_keep_it_scheduled(editor_client):
    term = TermFactory(status="scheduled", go_live_at=LATER)
    title = term.title

    response = editor_client.post(change_url(term), term_form(term.category, status="scheduled"))

    assert field_errors(response, "status")[0].startswith("This term goes live as a publisher")
    term.refresh_from_db()
    assert (term.title, term.status, term.go_live_at) == (title, "scheduled", LATER)


def test_the_scheduled_filter_lists_terms_going_live_or_coming_down(publisher_client):
    TermFactory(title="Going live", status="scheduled", go_live_at=LATER)
    TermFactory(title="Coming down", take_down_at=LATER)
    TermFactory(title="Staying")

    response = publisher_client.get(
        reverse("admin:terms_term_changelist"), {"schedule": "scheduled"}
    )

    titles = sorted(term.title for term in response.context["cl"].result_list)
    assert titles == ["Coming down", "Going live"]


# Applying what is due -------------------------------------------------------------------


def test_the_next_scheduled_change_is_the_earliest_go_live_or_take_down():
    TermFactory(status="scheduled", go_live_at=LATER)
    TermFactory(take_down_at=LATER - datetime.timedelta(minutes=30))
    TermFactory(status="draft", take_down_at=NOW)  # not published: nothing to take down
    assert next_scheduled_change() == LATER - datetime.timedelta(minutes=30)


def test_nothing_is_scheduled_when_no_term_has_a_time():
    TermFactory()
    assert next_scheduled_change() is None


def test_a_scheduled_term_goes_live_at_its_time_with_a_revision_and_an_audit_entry(clock):
    term = TermFactory(status="scheduled", go_live_at=LATER)
    assert schedules_apply_due() == 0

    clock.move_to(LATER)
    assert schedules_apply_due() == 1

    term.refresh_from_db()
    assert (term.status, term.go_live_at) == ("published", None)
    assert TermRevision.objects.filter(entry=term, source="schedule").exists()
    audit = AuditEntry.objects.get(action="publish")
    assert (audit.source, audit.actor_name) == ("schedule", "command")


def test_a_published_term_comes_down_at_its_time(clock):
    term = TermFactory(take_down_at=LATER)

    clock.move_to(LATER + datetime.timedelta(seconds=1))
    schedules_apply_due()

    term.refresh_from_db()
    assert (term.status, term.take_down_at) == ("archived", None)
    assert AuditEntry.objects.filter(action="archive", source="schedule").exists()


def test_a_term_scheduled_to_go_live_and_come_down_does_both_when_both_times_passed(clock):
    term = TermFactory(
        status="scheduled", go_live_at=LATER, take_down_at=LATER + datetime.timedelta(hours=2)
    )

    clock.move_to(LATER + datetime.timedelta(days=1))
    assert schedules_apply_due() == 2

    term.refresh_from_db()
    assert term.status == "archived"


def test_a_scheduled_working_copy_is_written_onto_its_live_entry(clock, editor):
    entry = TermFactory(summary="Live summary.")
    copy = working_copy_start(entry=entry)
    Term.objects.filter(pk=copy.pk).update(
        summary="Scheduled summary.", status="scheduled", go_live_at=LATER
    )

    clock.move_to(LATER)
    schedules_apply_due()

    entry.refresh_from_db()
    assert (entry.status, entry.summary) == ("published", "Scheduled summary.")
    assert not Term.objects.filter(pk=copy.pk).exists()


def test_a_scheduled_working_copy_gives_its_take_down_time_to_its_live_entry(clock, editor):
    entry = TermFactory()
    copy = working_copy_start(entry=entry)
    take_down_at = LATER + datetime.timedelta(days=7)
    Term.objects.filter(pk=copy.pk).update(
        status="scheduled", go_live_at=LATER, take_down_at=take_down_at
    )

    clock.move_to(LATER)
    assert schedules_apply_due() == 1

    entry.refresh_from_db()
    assert (entry.status, entry.take_down_at) == ("published", take_down_at)
    assert next_scheduled_change() == take_down_at


def test_a_scheduled_term_that_cannot_be_published_goes_back_to_draft_and_says_why(clock):
    term = TermFactory(status="scheduled", go_live_at=LATER, definition="")

    clock.move_to(LATER)
    schedules_apply_due()

    term.refresh_from_db()
    assert (term.status, term.go_live_at) == ("draft", None)
    assert "could not go live" in AuditEntry.objects.get(action="schedule").detail
    assert next_scheduled_change() is None


def test_the_worker_sweep_applies_what_is_due(clock):
    term = TermFactory(status="scheduled", go_live_at=LATER)

    clock.move_to(LATER)
    sweeps_run()

    term.refresh_from_db()
    assert term.status == "published"
