"""``manage.py db_worker``: django-tasks-db's worker, with a heartbeat, recovery of tasks
that dead workers left running, and patience with a database that goes away.

It takes over the library's command of the same name (this app comes first in
INSTALLED_APPS); every option is the library's.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as LibraryCommand

from ...services import (
    heartbeat_beat,
    heartbeat_end,
    sweeps_run,
    tasks_release_own,
    tasks_release_stranded,
)

logger = logging.getLogger("glossary.worker")
DATABASE_GONE = (OperationalError, InterfaceError)


class Heartbeat(threading.Thread):
    """Beats every WORKER_HEARTBEAT_SECONDS and, as any live worker does, releases tasks
    of dead workers and runs the registered sweeps."""

    def __init__(self, *, worker_id: str, started_at):
        super().__init__(name="worker-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.started_at = started_at
        self.stopping = threading.Event()
        self.failing = False

    def run(self) -> None:
        while not self.stopping.wait(settings.WORKER_HEARTBEAT_SECONDS):
            self.beat()
        connection.close()

    def beat(self) -> None:
        close_old_connections()
        try:
            heartbeat_beat(worker_id=self.worker_id, started_at=self.started_at)
            tasks_release_stranded()
        except DATABASE_GONE as error:
            connection.close()
            if not self.failing:
                self.failing = True
                logger.warning("Worker heartbeat: database unreachable (%s).", type(error).__name__)
            return
        if self.failing:
            self.failing = False
            logger.warning("Worker heartbeat: database reachable again.")
        sweeps_run()

    def stop(self) -> None:
        self.stopping.set()
        if self.is_alive():
            self.join(timeout=settings.WORKER_HEARTBEAT_SECONDS + 5)


class Command(LibraryCommand):
    help = (
        "Run the background worker (django-tasks-db), with a heartbeat; tasks left running "
        "by a worker that died are run again, and a lost database is waited for."
    )

    def handle(self, *args, **options):
        worker_id = options["worker_id"]
        started_at = timezone.now()

        def announce():
            heartbeat_beat(worker_id=worker_id, started_at=started_at)
            tasks_release_own(worker_id=worker_id)
            tasks_release_stranded()
            sweeps_run()

        wait_for_database(announce)
        heartbeat = Heartbeat(worker_id=worker_id, started_at=started_at)
        heartbeat.start()
        try:
            while True:
                try:
                    return super().handle(*args, **options)
                except DATABASE_GONE as error:
                    if options["batch"]:
                        raise
                    logger.warning(
                        "The worker lost the database (%s); it waits for it and carries on.",
                        type(error).__name__,
                    )
                    wait_for_database(lambda: tasks_release_own(worker_id=worker_id))
        finally:
            heartbeat.stop()
            with contextlib.suppress(DATABASE_GONE):  # else the heartbeat just goes stale
                heartbeat_end(worker_id=worker_id)


def wait_for_database(action: Callable[[], object]) -> None:
    """Run ``action`` once the database answers, trying every second."""
    waiting = False
    while True:
        close_old_connections()
        try:
            action()
        except DATABASE_GONE as error:
            connection.close()
            if not waiting:
                waiting = True
                logger.warning("The worker waits for the database (%s).", type(error).__name__)
            time.sleep(1)
            continue
        if waiting:
            logger.warning("The database is back; the worker carries on.")
        return
