"""Scheduled publishing and taking down, seen through the API with the response cache on:
until the time, readers get the state before it (from the cache); from the very first
request after it, the new state, stored with a revision and an audit entry. The clock is
moved with time_machine; nothing sleeps.

These tests commit for real (transaction=True), as tests/api/test_response_cache.py
explains: the content generation moves only when a transaction commits. The times are
in the future of the real clock, since generations are made from the clock too.
"""

import datetime
import json

import pytest
import time_machine
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from glossary_project.httpcache import generation
from glossary_project.worker.services import sweeps_run
from glossary_project.wsgi import application
from terms.models import AuditEntry, SiteSettings, Term, TermRevision

from ..factories import TermFactory
from ..helpers.response_cache import cached
from ..helpers.wsgi import call_wsgi, connections_kept_open, environ_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NOW = (timezone.now() + datetime.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
LATER = NOW + datetime.timedelta(hours=1)
DETAIL = "/api/v1/terms/model-card/"
LIST = "/api/v1/terms/"


@pytest.fixture(autouse=True)
def response_cache(settings):
    settings.API_RESPONSE_CACHE = True
    settings.ALLOWED_HOSTS = ["testserver", "glossary.test"]
    SiteSettings.load()  # stored, as after the first page view: reading it inserts nothing


@pytest.fixture
def clock():
    # The clock runs on (tick): generations are made from it, and two tests must not make
    # the same one (each process keeps its recent responses by generation).
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller
    # Generations made meanwhile are from tomorrow's clock; later tests start afresh.
    generation.forget()


def slugs(response) -> list[str]:
    return [term["slug"] for term in response.json()["results"]]


def test_a_scheduled_term_appears_on_the_very_first_request_after_its_time(
    clock, reader, django_assert_num_queries
):
    TermFactory(title="Datasheet", slug="datasheet")
    term = TermFactory(title="Model Card", slug="model-card", status="scheduled", go_live_at=LATER)

    assert reader.get(DETAIL).status_code == 404
    assert slugs(cached(reader, LIST, django_assert_num_queries)) == ["datasheet"]

    clock.move_to(LATER)
    detail = reader.get(DETAIL)
    listed = reader.get(LIST)

    assert detail.status_code == 200
    assert detail.json()["title"] == "Model Card"
    assert slugs(listed) == ["datasheet", "model-card"]
    term.refresh_from_db()
    assert (term.status, term.go_live_at) == ("published", None)
    assert TermRevision.objects.filter(entry=term, source="schedule").exists()
    assert AuditEntry.objects.filter(action="publish", source="schedule").exists()
    # And cached again at the new state.
    assert slugs(cached(reader, LIST, django_assert_num_queries)) == ["datasheet", "model-card"]


def test_a_term_taken_down_at_its_time_is_gone_on_the_very_first_request_after_it(
    clock, reader, django_assert_num_queries
):
    TermFactory(title="Datasheet", slug="datasheet")
    term = TermFactory(title="Model Card", slug="model-card", take_down_at=LATER)

    assert cached(reader, DETAIL, django_assert_num_queries).status_code == 200
    assert slugs(cached(reader, LIST, django_assert_num_queries)) == ["datasheet", "model-card"]

    clock.move_to(LATER + datetime.timedelta(seconds=1))
    gone = reader.get(DETAIL)

    assert gone.status_code == 404
    assert slugs(reader.get(LIST)) == ["datasheet"]
    term.refresh_from_db()
    assert (term.status, term.take_down_at) == ("archived", None)
    assert TermRevision.objects.filter(entry=term, source="schedule").exists()
    assert AuditEntry.objects.filter(action="archive", source="schedule").exists()


def test_the_wsgi_fast_path_applies_a_due_change_before_answering_from_the_cache(clock):
    TermFactory(title="Datasheet", slug="datasheet")
    TermFactory(title="Model Card", slug="model-card", status="scheduled", go_live_at=LATER)

    def listed() -> list[str]:
        status, _headers, body = call_wsgi(application, environ_for(LIST))
        assert status == 200
        return [term["slug"] for term in json.loads(body)["results"]]

    with connections_kept_open():
        assert listed() == ["datasheet"]
        with CaptureQueriesContext(connection) as queries:
            assert listed() == ["datasheet"]
        assert len(queries) == 0  # a cache hit, answered before Django

        clock.move_to(LATER)
        assert listed() == ["datasheet", "model-card"]
    assert Term.objects.get(slug="model-card").status == "published"


def test_a_change_the_worker_applied_is_served_on_the_next_request(clock, reader):
    TermFactory(title="Model Card", slug="model-card", status="scheduled", go_live_at=LATER)
    assert reader.get(DETAIL).status_code == 404

    clock.move_to(LATER)
    sweeps_run()

    assert Term.objects.get(slug="model-card").status == "published"
    assert reader.get(DETAIL).status_code == 200


def test_a_database_error_while_applying_is_logged_and_the_read_still_answered(
    clock, reader, settings, caplog
):
    TermFactory(title="Datasheet", slug="datasheet")
    TermFactory(title="Model Card", slug="model-card", status="scheduled", go_live_at=LATER)
    assert slugs(reader.get(LIST)) == ["datasheet"]
    # A function that fails as a lost database would, named where the real one is.
    settings.CONTENT_SCHEDULE_APPLY = "tests.api.test_scheduled_reads.apply_without_a_database"

    clock.move_to(LATER)
    response = reader.get(LIST)

    assert response.status_code == 200
    assert "The database (scheduled changes) is unreachable (OperationalError)" in caplog.text


def apply_without_a_database():
    raise OperationalError("connection refused")


def test_the_reference_site_shows_a_scheduled_term_on_the_first_page_view_after_its_time(
    clock, reader
):
    term = TermFactory(title="Model Card", slug="model-card", status="scheduled", go_live_at=LATER)
    page = term.get_absolute_url()
    assert reader.get(page).status_code == 404

    clock.move_to(LATER)

    assert reader.get(page).status_code == 200
