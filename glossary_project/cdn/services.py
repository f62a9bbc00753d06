"""Purging shared caches when content changes: one Purge row per change and backend,
written when the change feed announces the change, sent by the worker, retried with
backoff, purging everything after CDN_PURGE_ATTEMPTS failures, given up after
CDN_PURGE_GIVE_UP_SECONDS. Persist first, then send: a lost task is found by the
worker's sweep (``purges_sweep``), a lost announcement by the change feed's own sweep.
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import backends
from .backends import PurgeFailed
from .models import Purge
from .purge import PurgePlan, plan_for

logger = logging.getLogger("glossary.cdn")

RETRY_FIRST_SECONDS = 1
RETRY_MAX_SECONDS = 300
# A purge due this long ago with nothing sending it (its task was lost) is queued again.
SWEEP_GRACE = timedelta(seconds=30)
# Finished purges are kept this long, for whoever wonders whether a change was purged.
KEEP_FINISHED = timedelta(days=7)
WAITING = (Purge.Status.PENDING, Purge.Status.RETRYING)


def purge_queue_for_change(sender, change, **kwargs) -> None:
    """terms.changes.content_changed receiver: queue the purges ``change`` needs (once per
    change id, however often it is announced)."""
    if not settings.CDN_PURGE_BACKENDS or change.is_empty:
        return
    plan = plan_for(change)
    if not plan.is_empty:
        purges_queue(change_id=change.id, plan=plan)


def purges_queue(*, change_id: int, plan: PurgePlan) -> list[Purge]:
    """The purges of one change at every configured backend (and, CDN_REPURGE_SECONDS
    later, once more), stored and queued for the worker. Returns those made now."""
    now = timezone.now()
    rounds = [(1, now)]
    if settings.CDN_REPURGE_SECONDS > 0:
        rounds.append((2, now + timedelta(seconds=settings.CDN_REPURGE_SECONDS)))
    made = []
    with transaction.atomic():
        for backend in backends.configured():
            for number, due in rounds:
                purge, created = Purge.objects.get_or_create(
                    change_id=change_id,
                    backend=backend.name,
                    round=number,
                    defaults={
                        "tags": list(plan.tags),
                        "everything": plan.everything,
                        "next_attempt_at": due,
                    },
                )
                if created:
                    made.append(purge)
                    transaction.on_commit(partial(_queue, purge.pk, run_after=due))
    return made


def _queue(purge_id: int, *, run_after: datetime | None = None) -> None:
    from .tasks import purge

    if run_after is not None and run_after > timezone.now():
        purge.using(run_after=run_after).enqueue(purge_id)
    else:
        purge.enqueue(purge_id)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_FIRST_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS))


def purge_send(purge_id: int) -> str:
    """Send one purge to its backend, if it is still waiting; on failure, schedule the
    next attempt (or give up)."""
    purge = Purge.objects.filter(pk=purge_id, status__in=WAITING).first()
    if purge is None:
        return "nothing to send"
    backend = backends.named(purge.backend)
    if backend is None:
        _finish(purge, Purge.Status.FAILED, error="The backend is no longer configured.")
        logger.error("%s: its backend is no longer in CDN_PURGE_BACKENDS.", purge)
        return "backend gone"
    try:
        if purge.everything:
            backend.purge_everything()
        else:
            backend.purge(purge.tags)
    except PurgeFailed as error:
        return _failed(purge, error)
    _finish(purge, Purge.Status.DONE)
    return "purged everything" if purge.everything else f"purged {len(purge.tags)} tags"


def _finish(purge: Purge, status: str, *, error: str = "") -> None:
    Purge.objects.filter(pk=purge.pk).update(
        status=status, attempts=F("attempts") + 1, done_at=timezone.now(), last_error=error
    )


def _failed(purge: Purge, error: PurgeFailed) -> str:
    now = timezone.now()
    attempts = purge.attempts + 1
    if (now - purge.created_at).total_seconds() >= settings.CDN_PURGE_GIVE_UP_SECONDS:
        _finish(purge, Purge.Status.FAILED, error=str(error)[:2000])
        logger.error("%s: given up after %s attempts (%s).", purge, attempts, error)
        return "given up"
    everything = purge.everything or attempts >= settings.CDN_PURGE_ATTEMPTS
    if everything and not purge.everything:
        logger.warning(
            "%s failed %s times (%s); it purges everything instead.", purge, attempts, error
        )
    else:
        logger.warning("%s failed (attempt %s): %s", purge, attempts, error)
    retry_at = now + retry_delay(attempts)
    Purge.objects.filter(pk=purge.pk).update(
        status=Purge.Status.RETRYING,
        attempts=attempts,
        everything=everything,
        next_attempt_at=retry_at,
        last_error=str(error)[:2000],
    )
    _queue(purge.pk, run_after=retry_at)
    return f"retry at {retry_at.isoformat()}"


def purges_sweep() -> int:
    """Queue again each purge overdue by SWEEP_GRACE (its task was lost), and forget
    finished ones after KEEP_FINISHED. Run by every live worker (WORKER_SWEEPS)."""
    now = timezone.now()
    overdue = Purge.objects.filter(status__in=WAITING, next_attempt_at__lt=now - SWEEP_GRACE)
    ids = list(overdue.order_by("pk").values_list("pk", flat=True)[:500])
    if ids:
        Purge.objects.filter(pk__in=ids).update(next_attempt_at=now)
        for purge_id in ids:
            _queue(purge_id)
        logger.warning("Queued %s cache purges that were overdue with no attempt.", len(ids))
    Purge.objects.exclude(status__in=WAITING).filter(created_at__lt=now - KEEP_FINISHED).delete()
    return len(ids)
