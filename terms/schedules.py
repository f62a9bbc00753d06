"""Scheduled publishing and taking down, exact without cron.

A term goes live at ``go_live_at`` (status Scheduled: an unpublished term, or the working
copy of a live entry) and comes down at ``take_down_at`` (a published entry, or the
working copy of one: then the entry comes down). ``schedules_apply_due`` writes every
change whose time has come to the stored status, through the same services as a person
(``term_publish``, ``term_archive``: each records its revision and audit entry). It runs:

- on the first request of each process to see the next scheduled moment pass
  (glossary_project.httpcache.schedule, through settings.CONTENT_SCHEDULE_NEXT and
  CONTENT_SCHEDULE_APPLY): so the public read paths never serve the state from before
  that moment, response cache included;
- on every heartbeat of the worker (settings.WORKER_SWEEPS), for a site nobody reads.
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from glossary_project.httpcache.generation import content_will_change

from .audit import audit_record
from .models import AuditEntry, Term
from .services import term_archive, term_publish

logger = logging.getLogger("glossary.schedules")

# What a scheduled change is: exactly the rows schedules_apply_due acts on (and nothing
# else, or the next moment would stay in the past and every request would look again).
GOES_LIVE = Q(status=Term.Status.SCHEDULED, go_live_at__isnull=False)
# (A scheduled term's take-down comes after its go-live, which applies it.)
COMES_DOWN = Q(take_down_at__isnull=False) & (
    Q(status=Term.Status.PUBLISHED) | Q(draft_of__status=Term.Status.PUBLISHED)
)


def due(now: datetime.datetime) -> Q:
    return (GOES_LIVE & Q(go_live_at__lte=now)) | (COMES_DOWN & Q(take_down_at__lte=now))


def next_scheduled_change() -> datetime.datetime | None:
    """The earliest go-live or take-down time still to be applied (one small query on
    the partial indexes of the two columns), or None."""
    moments = Term.objects.filter(
        Q(go_live_at__isnull=False) | Q(take_down_at__isnull=False)
    ).aggregate(
        go_live=Min("go_live_at", filter=GOES_LIVE),
        take_down=Min("take_down_at", filter=COMES_DOWN),
    )
    times = [moment for moment in moments.values() if moment is not None]
    return min(times) if times else None


def schedules_apply_due(now: datetime.datetime | None = None) -> int:
    """Apply every scheduled change whose time has come; returns how many were applied.

    One transaction. It first moves the content generation (so every process's caches
    move with the change, and concurrent appliers queue on that one row: the second one
    finds nothing left to do, then reads what the first committed), then locks the due
    rows, skipping any another transaction holds (an editor saving that very term: it is
    due still, and applied on the next call).
    """
    now = now or timezone.now()
    if not Term.objects.filter(due(now)).exists():
        return 0
    applied = 0
    with transaction.atomic():
        content_will_change()
        rows = list(
            Term.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(due(now))
            .order_by("pk")
        )
        for term in rows:
            applied += _apply(term, now=now)
    return applied


def _apply(term: Term, *, now: datetime.datetime) -> int:
    applied = 0
    if term.status == Term.Status.SCHEDULED and term.go_live_at <= now:
        try:
            # A working copy's take-down time becomes its entry's (working_copy_publish).
            term = term_publish(term=term, user=None, source=Term.Source.SCHEDULE)
        except ValidationError as error:
            _go_live_failed(term, error)
            return 0
        applied += 1
    if term.take_down_at is not None and term.take_down_at <= now:
        term_archive(term=term, user=None, source=Term.Source.SCHEDULE)
        if term.is_working_copy:
            term.take_down_at = None
            term.save(update_fields=["take_down_at", "updated_at"])
        applied += 1
    return applied


def _go_live_failed(term: Term, error: ValidationError) -> None:
    """A scheduled term that cannot be published (its definition was emptied, say): back
    to Draft with the reason in the audit log, so it is not tried on every request."""
    reasons = " ".join(error.messages)
    logger.warning("Scheduled term %s could not go live: %s", term.pk, reasons)
    term.status = Term.Status.DRAFT
    term.go_live_at = None
    term.save(update_fields=["status", "go_live_at", "updated_at"])
    audit_record(
        AuditEntry.Action.SCHEDULE,
        source=Term.Source.SCHEDULE,
        target=term,
        actor_name="schedule",
        detail=f"could not go live, back to Draft: {reasons}",
    )


def schedule_record(*, term: Term, user, before: tuple, source: str = Term.Source.ADMIN) -> None:
    """Audit a change of ``term``'s go-live or take-down time (``before``: the two times
    as they were), if there was one."""
    after = (term.go_live_at, term.take_down_at)
    if tuple(before) == after:
        return
    parts = []
    for label, old, new in zip(("go live", "take down"), before, after, strict=True):
        if old != new:
            parts.append(f"{label}: {_moment(old)} → {_moment(new)}")
    audit_record(
        AuditEntry.Action.SCHEDULE, source=source, target=term, user=user, detail="; ".join(parts)
    )


def _moment(value: datetime.datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value else "none"
