"""A task whose worker died (``kill -9``, a crashed machine) is not stranded: the next
worker to start, and every live worker as it beats, puts it back in the queue, and it runs
again. A task that a live worker is running is left alone.

The worker is run the way tests/advisory runs it (``db_worker --batch``); a real worker
killed mid-task is in tests/faults. These tests commit for real: the worker opens and
closes database connections of its own.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from glossary_project.worker.models import WorkerHeartbeat

from ..helpers.tasks import run_worker
from .tasks import leave_a_line

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "task.log"
    path.touch()
    return path


def claimed(path, *, by: str, heartbeat_age: timedelta, restarted_since: bool = False):
    """A task claimed by worker ``by``, whose last heartbeat is ``heartbeat_age`` old."""
    result = leave_a_line.enqueue(str(path), "ran")
    task = DBTaskResult.objects.get(pk=result.id)
    task.claim(by)
    now = timezone.now()
    started = task.started_at + timedelta(seconds=1) if restarted_since else task.started_at
    WorkerHeartbeat.objects.create(
        worker_id=by, hostname="elsewhere", pid=1, started_at=started, seen_at=now - heartbeat_age
    )
    return task


def test_a_task_left_running_by_a_worker_that_went_silent_runs_again(log):
    task = claimed(log, by="worker-killed", heartbeat_age=timedelta(minutes=5))

    run_worker()

    assert log.read_text() == "ran\n"
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL


def test_a_task_claimed_before_its_worker_restarted_runs_again(log):
    task = claimed(
        log, by="worker-restarted", heartbeat_age=timedelta(seconds=1), restarted_since=True
    )

    run_worker()

    assert log.read_text() == "ran\n"
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL


def test_a_task_a_live_worker_is_running_is_left_to_it(log):
    task = claimed(log, by="worker-busy", heartbeat_age=timedelta(seconds=1))

    run_worker()

    assert log.read_text() == ""
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


def test_a_worker_that_stops_cleanly_leaves_no_heartbeat_behind(log):
    leave_a_line.enqueue(str(log), "ran")

    run_worker()

    assert log.read_text() == "ran\n"
    assert not WorkerHeartbeat.objects.exists()
