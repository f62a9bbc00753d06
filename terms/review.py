"""Review: editors submit a term for review, publishers approve it (publish or schedule)
or request changes with a comment. Each step is a ReviewNote on the entry, an audit
entry, and an email (sent by the worker once the step is committed)."""

from __future__ import annotations

import datetime
import logging
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .audit import audit_record
from .models import AuditEntry, ReviewNote, Term
from .roles import PUBLISHERS, member_addresses
from .schedules import schedule_record
from .services import may_publish, term_publish
from .text import one_line

logger = logging.getLogger("glossary.review")

PUBLISH_NEEDS_PERMISSION = gettext_lazy(
    "Publishing needs the publish permission; submit the term for review instead."
)
# Statuses only a publisher may give a term: each one changes what readers see, or when.
PUBLISHER_STATUSES = (Term.Status.PUBLISHED, Term.Status.SCHEDULED, Term.Status.ARCHIVED)


def _check_may_publish(user) -> None:
    if not may_publish(user):
        raise PermissionDenied(PUBLISH_NEEDS_PERMISSION)


def review_target(term: Term) -> Term | None:
    """The row a review of ``term`` is about: a live entry's working copy (None if it has
    none: nothing to review), else the term itself."""
    if term.is_working_copy or term.status != Term.Status.PUBLISHED:
        return term
    return term.current_working_copy()


@transaction.atomic
def review_submit(*, term: Term, user, message: str = "", source: str = Term.Source.ADMIN):
    """An editor asks the Publishers to review ``term`` (a live entry: its working copy)."""
    target = review_target(term)
    if target is None:
        raise ValidationError(_("This entry has no unpublished changes to review."))
    if target.status in (Term.Status.REVIEW, Term.Status.SCHEDULED):
        raise ValidationError(
            _("This term is already %(status)s.") % {"status": target.get_status_display()}
        )
    target.status = Term.Status.REVIEW
    target.save(update_fields=["status", "updated_at"])
    note = _note(target, ReviewNote.Kind.SUBMITTED, user=user, text=message)
    audit_record(AuditEntry.Action.SUBMIT, source=source, target=target, user=user, detail=message)
    return note


@transaction.atomic
def review_approve(
    *,
    term: Term,
    user,
    go_live_at: datetime.datetime | None = None,
    message: str = "",
    source: str = Term.Source.ADMIN,
) -> ReviewNote:
    """A publisher approves a term in review: published now (a working copy onto its
    entry), or scheduled to go live at ``go_live_at``."""
    _check_may_publish(user)
    target = _in_review(term)
    entry_id = target.entry_id
    if go_live_at is not None:
        if go_live_at <= timezone.now():
            raise ValidationError({"go_live_at": _("Choose a time in the future.")})
        before = (target.go_live_at, target.take_down_at)
        target.status = Term.Status.SCHEDULED
        target.go_live_at = go_live_at
        target.full_clean()
        target.save()
        schedule_record(term=target, user=user, before=before, source=source)
    else:
        term_publish(term=target, user=user, source=source)
    entry = Term.objects.get(pk=entry_id)
    note = _note(entry, ReviewNote.Kind.APPROVED, user=user, text=message)
    audit_record(AuditEntry.Action.APPROVE, source=source, target=entry, user=user, detail=message)
    return note


@transaction.atomic
def review_request_changes(
    *, term: Term, user, comment: str, source: str = Term.Source.ADMIN
) -> ReviewNote:
    """A publisher sends a term in review back to Draft, with a comment for its editor."""
    _check_may_publish(user)
    if not comment.strip():
        raise ValidationError({"comment": _("Say what should change.")})
    target = _in_review(term)
    target.status = Term.Status.DRAFT
    target.save(update_fields=["status", "updated_at"])
    note = _note(target, ReviewNote.Kind.CHANGES_REQUESTED, user=user, text=comment)
    audit_record(
        AuditEntry.Action.REQUEST_CHANGES, source=source, target=target, user=user, detail=comment
    )
    return note


def _in_review(term: Term) -> Term:
    target = review_target(term)
    if target is None or target.status != Term.Status.REVIEW:
        raise ValidationError(_("This term is not in review."))
    return target


def _note(term: Term, kind: str, *, user, text: str) -> ReviewNote:
    author = user if user is not None and user.is_authenticated else None
    note = ReviewNote(entry_id=term.entry_id, kind=kind, author=author, text=text.strip())
    note.full_clean()
    note.save()
    from .tasks import send_review_note

    # The task row commits with the step, or not at all.
    send_review_note.enqueue(note.pk)
    return note


# Notifications ------------------------------------------------------------------------


def publisher_addresses() -> list[str]:
    return member_addresses(PUBLISHERS)


def submitter_of(note: ReviewNote):
    """Who submitted the entry for the review that ``note`` answers."""
    submitted = (
        ReviewNote.objects.filter(entry_id=note.entry_id, kind=ReviewNote.Kind.SUBMITTED)
        .filter(pk__lt=note.pk)
        .select_related("author")
        .order_by("-pk")
        .first()
    )
    return submitted.author if submitted else None


def review_note_message(note: ReviewNote) -> EmailMessage | None:
    """The email a review step sends (None when there is nobody to tell)."""
    if note.kind == ReviewNote.Kind.SUBMITTED:
        to = publisher_addresses()
    else:
        submitter = submitter_of(note)
        to = [submitter.email] if submitter and submitter.is_active and submitter.email else []
    if note.author is not None and note.author.email in to and len(to) > 1:
        to.remove(note.author.email)  # a publisher who submits needs no email about it
    if not to:
        return None
    entry = note.entry
    shown = entry.current_working_copy() or entry
    context = {
        "note": note,
        "term": shown,
        "who": note.author.get_username() if note.author else _("someone"),
        "admin_url": settings.SITE_URL + reverse("admin:terms_term_change", args=[shown.pk]),
    }
    subjects = {
        ReviewNote.Kind.SUBMITTED: _("“%(title)s” was submitted for review"),
        ReviewNote.Kind.APPROVED: _("“%(title)s” was approved"),
        ReviewNote.Kind.CHANGES_REQUESTED: _("Changes requested to “%(title)s”"),
    }
    _name, sender = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = sender.rpartition("@")[2] or "localhost"
    return EmailMessage(
        subject=one_line(subjects[note.kind] % {"title": shown.title}),
        body=render_to_string("terms/email/review_note.txt", context),
        to=to,
        headers={"Message-ID": f"<review-note-{note.pk}@{domain}>"},
    )


def review_note_send(note_id: int) -> str:
    """Send the email of one review step (the worker's task; the same Message-ID on every
    attempt, so a repeat after a lost worker is dropped by mail systems)."""
    note = ReviewNote.objects.select_related("author", "entry").filter(pk=note_id).first()
    if note is None:
        return "gone"
    message = review_note_message(note)
    if message is None:
        return "nobody to tell"
    message.send()
    return "sent"
