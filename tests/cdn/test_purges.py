"""Purges of content changes: stored once per change and backend, sent by the worker's
task, retried with backoff, purging everything after repeated failure, found again by
the worker's sweep when their task was lost."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from glossary_project.cdn.models import Purge
from glossary_project.cdn.services import purge_send, purges_sweep
from terms.changes import content_changed
from terms.services import term_publish

from ..factories import CategoryFactory, TermFactory
from .changes import content_change, term_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_varnishes(settings, stand_in):
    """Two Varnish servers, both the stand-in (told apart by their names)."""
    settings.CDN_PURGE_BACKENDS = [f"varnish:{stand_in.url}/a", f"varnish:{stand_in.url}/b"]
    settings.CDN_REPURGE_SECONDS = 2
    return stand_in


def announce(change, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        content_changed.send(sender=None, change=change)


def queued_purge_ids() -> list[int]:
    return sorted(
        result.args_kwargs["args"][0]
        for result in DBTaskResult.objects.filter(task_path="glossary_project.cdn.tasks.purge")
    )


def test_a_change_is_queued_once_per_backend_and_once_more_a_little_later(
    two_varnishes, django_capture_on_commit_callbacks
):
    change = content_change(41, published=[term_change(3, category_id=7)])
    announce(change, django_capture_on_commit_callbacks)
    announce(change, django_capture_on_commit_callbacks)  # announced twice: purged once

    purges = list(Purge.objects.order_by("backend", "round"))
    assert [(purge.backend[-1], purge.round) for purge in purges] == [
        ("a", 1), ("a", 2), ("b", 1), ("b", 2),
    ]  # fmt: skip
    assert all("term-3" in purge.tags and "category-7" in purge.tags for purge in purges)
    assert queued_purge_ids() == sorted(purge.pk for purge in purges)
    first, second = purges[0], purges[1]
    assert second.next_attempt_at - first.next_attempt_at >= timedelta(seconds=1.9)


def test_nothing_is_queued_without_backends(settings, django_capture_on_commit_callbacks):
    settings.CDN_PURGE_BACKENDS = []
    announce(content_change(published=[term_change(3)]), django_capture_on_commit_callbacks)
    assert not Purge.objects.exists()


def test_the_task_sends_the_purge_and_marks_it_done(
    two_varnishes, django_capture_on_commit_callbacks
):
    announce(content_change(42, updated=[term_change(5)]), django_capture_on_commit_callbacks)
    purge = Purge.objects.get(round=1, backend__endswith="/a")

    assert purge_send(purge.pk).startswith("purged")

    [request] = two_varnishes.requests
    assert request.method == "PURGE"
    assert set(request.headers["xkey-purge"].split()) == set(purge.tags)
    purge.refresh_from_db()
    assert purge.status == Purge.Status.DONE
    assert purge_send(purge.pk) == "nothing to send"  # a duplicate task does nothing
    assert len(two_varnishes.requests) == 1


def test_a_failing_purge_is_retried_with_backoff_then_purges_everything(
    settings, two_varnishes, django_capture_on_commit_callbacks
):
    settings.CDN_PURGE_ATTEMPTS = 2
    two_varnishes.answers = [(503, b"busy"), (503, b"busy")]
    announce(content_change(43, updated=[term_change(5)]), django_capture_on_commit_callbacks)
    purge = Purge.objects.get(round=1, backend__endswith="/a")
    before = set(queued_purge_ids())

    purge_send(purge.pk)
    purge.refresh_from_db()
    assert (purge.status, purge.attempts, purge.everything) == ("retrying", 1, False)
    first_delay = purge.next_attempt_at - timezone.now()
    assert "503" in purge.last_error

    purge_send(purge.pk)
    purge.refresh_from_db()
    assert (purge.status, purge.attempts, purge.everything) == ("retrying", 2, True)
    assert purge.next_attempt_at - timezone.now() > first_delay  # backing off

    purge_send(purge.pk)
    purge.refresh_from_db()
    assert purge.status == Purge.Status.DONE
    sent = [request.headers["xkey-purge"] for request in two_varnishes.requests]
    assert sent[-1] == "glossary"  # everything the site tags
    assert "term-5" in sent[0].split()
    # Each retry was queued for the worker, after its delay.
    retries = DBTaskResult.objects.filter(task_path="glossary_project.cdn.tasks.purge")
    assert len(set(queued_purge_ids())) == len(before)
    assert retries.count() == len(before) + 2
    assert all(result.run_after is not None for result in retries.order_by("-enqueued_at")[:2])


def test_a_purge_failing_for_too_long_is_given_up(
    settings, two_varnishes, django_capture_on_commit_callbacks
):
    two_varnishes.answers = [(500, b"down")]
    announce(content_change(44, updated=[term_change(5)]), django_capture_on_commit_callbacks)
    purge = Purge.objects.get(round=1, backend__endswith="/a")
    Purge.objects.filter(pk=purge.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.CDN_PURGE_GIVE_UP_SECONDS + 1)
    )

    assert purge_send(purge.pk) == "given up"
    purge.refresh_from_db()
    assert purge.status == Purge.Status.FAILED


def test_the_sweep_queues_a_purge_whose_task_was_lost(two_varnishes):
    long_ago = timezone.now() - timedelta(minutes=5)
    lost = Purge.objects.create(
        change_id=45, backend=two_varnishes.url, tags=["term-1"], next_attempt_at=long_ago
    )
    Purge.objects.create(  # due soon: its task is waiting
        change_id=46, backend=two_varnishes.url, tags=["term-2"], next_attempt_at=timezone.now()
    )

    assert purges_sweep() == 1
    assert queued_purge_ids() == [lost.pk]
    assert purges_sweep() == 0  # not again before its grace has passed


def test_publishing_a_term_queues_a_purge_of_it_its_category_and_the_lists(
    settings, stand_in, committed
):
    category = CategoryFactory()
    draft = TermFactory(category=category, status="draft")
    committed(lambda: None)  # the setup (not purged: no backends yet)
    settings.CDN_PURGE_BACKENDS = [f"varnish:{stand_in.url}"]
    committed(lambda: term_publish(term=draft))

    purge = Purge.objects.get(round=1)
    assert {f"term-{draft.pk}", f"category-{category.pk}", "terms-list", "letters"} <= set(
        purge.tags
    )
    assert purge_send(purge.pk).startswith("purged")
    [request] = stand_in.requests
    assert f"term-{draft.pk}" in request.headers["xkey-purge"].split()
