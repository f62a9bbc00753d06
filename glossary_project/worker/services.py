"""What the worker processes write: their heartbeats, and recovering tasks from dead ones."""

import logging
import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import WorkerHeartbeat

logger = logging.getLogger("glossary.worker")


def heartbeat_beat(*, worker_id: str, started_at: datetime) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": now,
        },
    )


def heartbeat_end(*, worker_id: str) -> None:
    """A worker stopping cleanly says so: it is not dead, just gone."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def dead_after() -> timedelta:
    return timedelta(seconds=settings.WORKER_DEAD_AFTER_SECONDS)


def tasks_release_stranded(*, now: datetime | None = None) -> int:
    """Put back to READY every task left RUNNING by a worker that is no longer alive.

    A worker is alive while its heartbeat is younger than WORKER_DEAD_AFTER_SECONDS and
    it has not restarted since it claimed the task. Returns how many were released.
    """
    now = now or timezone.now()
    alive = dict(
        WorkerHeartbeat.objects.filter(seen_at__gte=now - dead_after()).values_list(
            "worker_id", "started_at"
        )
    )
    released = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    for task_id, worker_ids, started_at in running.values_list("id", "worker_ids", "started_at"):
        claimed_by = worker_ids[-1] if worker_ids else None
        incarnation = alive.get(claimed_by)
        if incarnation is not None and started_at is not None and started_at >= incarnation:
            continue
        if _release(task_id):
            released += 1
            logger.warning(
                "Task %s was left running by worker %s, which is gone; it will run again.",
                task_id,
                claimed_by,
            )
    return released


def tasks_release_own(*, worker_id: str) -> int:
    """Put back to READY the tasks this worker id left RUNNING (it runs one at a time, and
    is running none when this is called: at start, or after losing the database)."""
    released = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    for task_id, worker_ids in running.values_list("id", "worker_ids"):
        if worker_ids and worker_ids[-1] == worker_id and _release(task_id):
            released += 1
    return released


def _release(task_id) -> bool:
    with transaction.atomic():
        return bool(
            DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY, started_at=None
            )
        )


def sweeps_run() -> None:
    """Run the periodic checks other apps register in WORKER_SWEEPS (e.g. messages whose
    task was lost); each one's failure is logged and does not stop the others."""
    for path in settings.WORKER_SWEEPS:
        try:
            import_string(path)()
        except Exception:
            logger.exception("The worker's sweep %s failed; it runs again soon.", path)
