"""What changes inquiries: submission (form and API alike), notification, team work, privacy."""

import ipaddress
import logging
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from rest_framework.throttling import SimpleRateThrottle

from terms.selectors import site_settings
from webhooks.services import inquiry_created_emit

from . import idempotency, mail
from .forms import InquiryForm, consent_wording
from .models import (
    IdempotencyRecord,
    Inquiry,
    LeadRouting,
    LeadRoutingChange,
    OutgoingEmail,
    recipient_list,
)

logger = logging.getLogger(__name__)
Status = OutgoingEmail.Status

RETRY_FIRST_SECONDS = 60
RETRY_MAX_SECONDS = 3600
LINKS = re.compile(r"https?://|www\.|\[url", re.IGNORECASE)


class InquiryInvalid(Exception):
    """The visitor must correct something; ``form`` holds the errors per field."""

    def __init__(self, form: InquiryForm):
        super().__init__("invalid inquiry")
        self.form = form


class InquiryRateLimited(Exception):
    """Too many inquiries from one network address; nothing was stored."""

    def __init__(self, form: InquiryForm, retry_after: int):
        super().__init__("too many inquiries")
        self.form = form
        self.retry_after = retry_after


class IdempotencyKeyReused(Exception):
    """This Idempotency-Key came before with a different request body; nothing was stored."""


def network_hash(address: str) -> str:
    """A keyed hash of the sender: equal for equal senders, not reversible without the key.

    One IPv4 address is one sender; for IPv6, the /64 is (a host picks its own address in
    it freely, which would otherwise give it a fresh rate limit for every inquiry).
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    sender = str(ip) if ip.version == 4 else str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return salted_hmac("advisory.network-address", sender, algorithm="sha256").hexdigest()[:40]


def network_prefix(address: str) -> str:
    """The address's network, not the address: 203.0.113.0/24, 2001:db8:1::/48."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def advisory_rate() -> tuple[int, int]:
    """(inquiries, window in seconds) from ADVISORY_RATE, e.g. 5/hour."""
    return SimpleRateThrottle.parse_rate(None, settings.ADVISORY_RATE)


def spam_reasons(form: InquiryForm, *, now: float) -> list[str]:
    data = form.cleaned_data
    reasons = []
    if data.get("website"):
        reasons.append("hidden field filled in")
    seconds = now - data["form_token"]
    if seconds < settings.ADVISORY_MIN_SECONDS:
        reasons.append(f"sent {max(seconds, 0):.0f} s after the form was shown")
    links = len(LINKS.findall(data["message"]))
    if links > settings.ADVISORY_MAX_LINKS:
        reasons.append(f"{links} links in the message")
    if any(LINKS.search(data.get(field) or "") for field in ("name", "company", "job_title")):
        reasons.append("a link in name, company or job title")
    return reasons


@dataclass(frozen=True)
class Submitted:
    """What inquiry_submit did: stored ``inquiry`` now, or (``replayed``) found that this
    key or form token made it before with the same content, and stored nothing."""

    inquiry: Inquiry
    replayed: bool = False


def inquiry_submit(
    data: Mapping, *, client_address: str, idempotency_key: str | None = None
) -> Submitted:
    """Validate and store a visitor's inquiry and its outbox, and queue the sending.

    The one path for the site's form and the API. Raises InquiryInvalid (the visitor
    corrects and resends), InquiryRateLimited (nothing stored, try later),
    IdempotencyKeyInvalid or IdempotencyKeyReused (an API client's mistake). An inquiry
    that looks automated is stored with status spam for the team to review, and the
    caller answers exactly as for any other: a person's inquiry never vanishes.
    (IdempotencyKeyInvalid lives in advisory.idempotency, with the keys.)

    A submission is recognised when it comes again, by its Idempotency-Key and by its form
    token (each token makes one inquiry): with the same content, the first inquiry is
    returned (``replayed``) and nothing is stored; with other content it is refused. Two
    at once are told apart by the database's unique constraint, not by luck.
    """
    if idempotency_key is not None:
        idempotency_key = idempotency.clean_key(idempotency_key)
    keys = idempotency.submission_keys(data, idempotency_key=idempotency_key)
    earlier = _earlier_submission(keys, data)
    if earlier is not None:
        return Submitted(earlier, replayed=True)

    form = InquiryForm(data)
    if not form.is_valid():
        raise InquiryInvalid(form)
    now = time.time()
    address_hash = network_hash(client_address)

    inquiry = form.save(commit=False)
    term = form.cleaned_data.get("term")
    inquiry.term = term
    inquiry.term_title = term.title if term else ""
    inquiry.source_url = form.cleaned_data["source_url"]
    inquiry.consent_given_at = timezone.now()
    inquiry.consent_text = consent_wording()
    inquiry.network_hash = address_hash
    inquiry.network_prefix = network_prefix(client_address)
    reasons = spam_reasons(form, now=now)
    if reasons:
        inquiry.status = Inquiry.Status.SPAM
        inquiry.spam_reasons = "; ".join(reasons)
        inquiry.notification = Inquiry.Notification.NOT_SENT
    kinds = [OutgoingEmail.Kind.TEAM]
    if LeadRouting.load().send_inquiry_acknowledgement:
        kinds.append(OutgoingEmail.Kind.ACKNOWLEDGEMENT)
    idempotency.records_purge()
    try:
        with transaction.atomic():
            if address_hash:
                # Counted and stored under one lock per sender: forty requests at once
                # must not all count four and all be stored.
                _sender_lock(address_hash)
                retry_after = _rate_limit_retry_after(address_hash)
                if retry_after is not None:
                    # Perhaps the very same submission, stored a moment ago while this
                    # one waited for the lock: its answer, not a refusal.
                    earlier = _earlier_submission(keys, data)
                    if earlier is not None:
                        return Submitted(earlier, replayed=True)
                    raise InquiryRateLimited(form, retry_after)
            inquiry.save()
            OutgoingEmail.objects.bulk_create(
                OutgoingEmail(
                    inquiry=inquiry,
                    kind=kind,
                    # Spam sends nothing; the rows say what it would have sent.
                    status=Status.CANCELLED if reasons else Status.PENDING,
                    message_id=OutgoingEmail.message_id_for(inquiry, kind),
                )
                for kind in kinds
            )
            IdempotencyRecord.objects.bulk_create(
                IdempotencyRecord(
                    scope=key.scope,
                    key_hash=key.key_hash,
                    fingerprint=key.fingerprint,
                    inquiry=inquiry,
                )
                for key in keys
            )
            if not reasons:
                # The task row is written in this transaction: the worker sees it only
                # once the inquiry is committed, and never without it.
                _queue_notifications(inquiry)
                # The CRM's webhook too: stored with the inquiry, or not at all.
                inquiry_created_emit(inquiry)
    except IntegrityError:
        # The same key or token was stored by another request a moment ago (the unique
        # index made this one wait for it): answer as that one was answered.
        earlier = _earlier_submission(keys, data)
        if earlier is None:
            raise
        return Submitted(earlier, replayed=True)
    return Submitted(inquiry)


# The first key of the two-key form of pg_advisory_xact_lock: the namespace of the
# inquiry rate limit's locks (any other use of advisory locks takes another number).
RATE_LOCK_NAMESPACE = 0x1A7E


def _sender_lock(address_hash: str) -> None:
    """Hold the rate-limit lock of one sender (a network hash) until the transaction
    ends: their inquiries are then counted and stored one at a time.

    PostgreSQL: a transaction-level advisory lock on the hash (two senders whose hashes
    share 32 bits merely wait for each other). SQLite allows one writer at a time, and
    each transaction takes the write lock as it begins (settings.py: transaction_mode
    IMMEDIATE), so this transaction holds it already."""
    if connection.vendor != "postgresql":
        return
    key = int(address_hash[:8], 16) - 2**31  # a signed 32-bit integer
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [RATE_LOCK_NAMESPACE, key])


def _rate_limit_retry_after(address_hash: str) -> int | None:
    """Seconds until this sender may send again (ADVISORY_RATE), or None: they may now."""
    limit, window = advisory_rate()
    since = timezone.now() - timedelta(seconds=window)
    recent = list(
        Inquiry.objects.filter(network_hash=address_hash, created_at__gte=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    return int((recent[0] - since).total_seconds()) + 1


def _earlier_submission(keys: list[idempotency.SubmissionKey], data: Mapping) -> Inquiry | None:
    """The inquiry an earlier submission with one of these keys made, if it sent the same
    content; refused if it sent other content."""
    for key in keys:
        record = idempotency.earlier_use(key)
        if record is None:
            continue
        if record.fingerprint == key.fingerprint:
            return record.inquiry
        if key.scope == IdempotencyRecord.Scope.IDEMPOTENCY_KEY:
            raise IdempotencyKeyReused
        # Another inquiry from a form (or token) already used: the visitor gets a fresh
        # token and keeps what they typed; the earlier inquiry's reference is not theirs
        # to learn from this.
        form = InquiryForm(data)
        form.is_valid()
        form.add_error(
            "form_token",
            ValidationError(
                _(
                    "This form was already sent, with other details. Check your details "
                    "and send them again as a new inquiry."
                ),
                code="used",
            ),
        )
        raise InquiryInvalid(form)
    return None


def _queue_notifications(inquiry: Inquiry, *, run_after: datetime | None = None) -> None:
    from .tasks import deliver_notifications

    task = (
        deliver_notifications
        if run_after is None
        else deliver_notifications.using(run_after=run_after)
    )
    task.enqueue(inquiry.pk)


# Sending ----------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_FIRST_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS))


def lease() -> timedelta:
    return timedelta(seconds=settings.ADVISORY_NOTIFY_LEASE_SECONDS)


def inquiry_notify(inquiry_id: int) -> str:
    """Send each of one inquiry's emails that is due: the team's, then the visitor's.

    Each email on its own, in three steps: a short transaction records the attempt
    (``sending``, attempts + 1) and commits; the mail server is called outside any
    transaction or lock; a second short transaction records what happened. A worker that
    dies between the mail server accepting and the outcome being recorded leaves the row
    in ``sending``; once its lease (ADVISORY_NOTIFY_LEASE_SECONDS) is over the email is
    sent again with the same Message-ID, which mail systems use to drop the duplicate:
    delivery is at least once, not exactly once. Within the lease the email is in flight
    elsewhere and left alone, with a task queued for when the lease ends.

    Safe to run any number of times, side by side. A temporary failure is retried (1
    minute later, doubling, at most an hour apart) until ADVISORY_NOTIFY_GIVE_UP_AFTER;
    a permanent one (a 5xx reply, a message that cannot be composed) is marked failed
    and waits for a person. The two emails never hold each other up. Any error counts:
    an unexpected one must not leave the team untold, nor put the visitor's words into a
    traceback in the logs.
    """
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "inquiry_notify runs outside any transaction: each attempt must be committed "
            "before the mail server is called."
        )
    outcomes = []
    for kind in OutgoingEmail.Kind.values:
        email, outcome = _email_claim(inquiry_id, kind)
        if email is not None:
            outcome = _email_send(email)
        outcomes.append(f"{kind}: {outcome}")
    return "; ".join(outcomes)


def _email_claim(inquiry_id: int, kind: str) -> tuple[OutgoingEmail | None, str]:
    """Mark the email as being sent, if it is due and not in flight elsewhere."""
    now = timezone.now()
    with transaction.atomic():
        # The inquiry first, then its email: every writer locks in this order. Locking
        # the inquiry row only: PostgreSQL refuses FOR UPDATE on a nullable outer join.
        inquiry = Inquiry.objects.select_for_update().filter(pk=inquiry_id).first()
        if inquiry is None:
            return None, "inquiry no longer exists"
        email = OutgoingEmail.objects.select_for_update().filter(inquiry=inquiry, kind=kind).first()
        if email is None:
            return None, "not wanted"
        if inquiry.status == Inquiry.Status.SPAM:
            # Set to spam in its change form, without the service: catch up here.
            _emails_cancel([inquiry.pk])
            email.refresh_from_db(fields=["status"])
        if email.status in (Status.SENT, Status.FAILED, Status.CANCELLED):
            return None, f"nothing to send ({email.status})"
        if email.status == Status.SENDING and (email.last_attempt_at or now) > now - lease():
            lease_ends = email.last_attempt_at + lease()
            _queue_notifications(inquiry, run_after=lease_ends)
            return None, f"in flight elsewhere; looked at again at {lease_ends.isoformat()}"
        if email.status == Status.RETRYING and (email.next_attempt_at or now) > now:
            return None, "not due yet"
        email.status = Status.SENDING
        email.attempts += 1
        email.last_attempt_at = now
        email.next_attempt_at = None
        email.save(update_fields=["status", "attempts", "last_attempt_at", "next_attempt_at"])
    email.inquiry = inquiry
    return email, ""


def _email_send(email: OutgoingEmail) -> str:
    try:
        mail.compose(email).send()
    except Exception as error:  # any error: recorded, and retried unless permanent
        return _email_record(email, error)
    return _email_record(email, None)


def _email_record(claimed: OutgoingEmail, error: Exception | None) -> str:
    """Record what became of the attempt ``claimed`` began, and queue the retry."""
    now = timezone.now()
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().filter(pk=claimed.inquiry_id).first()
        email = OutgoingEmail.objects.select_for_update().filter(pk=claimed.pk).first()
        if inquiry is None or email is None:
            return "inquiry deleted while sending"
        if error is None:
            # Sent is sent, even if the email was cancelled or taken over meanwhile.
            email.status = Status.SENT
            email.sent_at = now
            email.error = ""
            outcome = "sent"
        elif email.status != Status.SENDING or email.attempts != claimed.attempts:
            # Cancelled (spam) meanwhile, or taken over by another worker after the
            # lease: the failure of this attempt no longer decides anything.
            return f"failed ({mail.error_summary(error)}); now {email.status}"
        else:
            summary = mail.error_summary(error)
            give_up = timedelta(seconds=settings.ADVISORY_NOTIFY_GIVE_UP_AFTER)
            if mail.error_is_permanent(error):
                email.status = Status.FAILED
                email.error = summary
                outcome = f"failed ({summary}); will not retry"
            elif now - email.queued_at >= give_up:
                email.status = Status.FAILED
                email.error = f"Gave up after {email.attempts} attempts; last: {summary}"[:200]
                outcome = f"failed ({summary}); gave up"
            else:
                email.status = Status.RETRYING
                email.error = summary
                email.next_attempt_at = now + retry_delay(email.attempts)
                _queue_notifications(inquiry, run_after=email.next_attempt_at)
                outcome = f"failed ({summary}); retry at {email.next_attempt_at.isoformat()}"
            # The inquiry's id only: never the visitor's address or words.
            logger.log(
                logging.WARNING if email.status == Status.RETRYING else logging.ERROR,
                "The %s email for inquiry %s failed (%s), attempt %s; %s.",
                email.kind,
                inquiry.pk,
                summary,
                email.attempts,
                outcome.partition("; ")[2],
            )
        email.save(update_fields=["status", "sent_at", "error", "next_attempt_at"])
        _notifications_sync([inquiry.pk])
    return outcome


def notification_summary(statuses: Iterable[str]) -> str:
    """The inquiry's ``notification`` from its emails' statuses: what needs a person
    first (failed), then what is still under way, then done."""
    statuses = set(statuses)
    if Status.FAILED in statuses:
        return Inquiry.Notification.FAILED
    if Status.RETRYING in statuses:
        return Inquiry.Notification.RETRYING
    if statuses & {Status.PENDING, Status.SENDING}:
        return Inquiry.Notification.PENDING
    if Status.SENT in statuses:
        return Inquiry.Notification.SENT
    return Inquiry.Notification.NOT_SENT  # nothing was to be sent: spam


def _notifications_sync(inquiry_ids: Iterable[int]) -> None:
    """Bring the inquiries' ``notification`` summaries in line with their emails."""
    inquiry_ids = list(inquiry_ids)
    statuses: dict[int, set[str]] = {pk: set() for pk in inquiry_ids}
    for inquiry_id, status in OutgoingEmail.objects.filter(inquiry_id__in=inquiry_ids).values_list(
        "inquiry_id", "status"
    ):
        statuses[inquiry_id].add(status)
    current = dict(Inquiry.objects.filter(pk__in=inquiry_ids).values_list("pk", "notification"))
    now = timezone.now()
    for inquiry_id, summary in current.items():
        wanted = notification_summary(statuses[inquiry_id])
        if summary != wanted:
            Inquiry.objects.filter(pk=inquiry_id).update(notification=wanted, updated_at=now)


def _emails_cancel(inquiry_ids: Iterable[int]) -> None:
    """Cancel the emails of these (spam) inquiries that have not gone, except one a live
    worker is sending right now."""
    inquiry_ids = list(inquiry_ids)
    presumed_dead = timezone.now() - lease()
    OutgoingEmail.objects.filter(inquiry_id__in=inquiry_ids).filter(
        Q(status__in=[Status.PENDING, Status.RETRYING, Status.FAILED])
        | Q(status=Status.SENDING, last_attempt_at__lt=presumed_dead)
    ).update(status=Status.CANCELLED, next_attempt_at=None)
    _notifications_sync(inquiry_ids)


def pending_notifications() -> QuerySet[Inquiry]:
    """Inquiries (not spam) with an email not sent yet, failed ones included."""
    unsent = OutgoingEmail.objects.filter(inquiry=OuterRef("pk"), status__in=OutgoingEmail.UNSENT)
    return Inquiry.objects.exclude(status=Inquiry.Status.SPAM).filter(Exists(unsent))


def notifications_resend(inquiries: Iterable[Inquiry]) -> int:
    """Queue an immediate attempt for each inquiry (not spam) with an email not sent yet.

    Failed emails included: resending is a person's decision, after mending the cause.
    A failed email starts afresh (attempts from 0, a new give-up period); one waiting to
    retry is due at once; one in flight is left to its lease. Sent and cancelled emails
    are never sent again. Returns how many inquiries were queued.
    """
    pks = [inquiry.pk for inquiry in inquiries]
    now = timezone.now()
    queued = 0
    with transaction.atomic():
        waiting = pending_notifications().filter(pk__in=pks).select_for_update().order_by("pk")
        for inquiry in waiting:
            emails = OutgoingEmail.objects.select_for_update().filter(inquiry=inquiry)
            emails.filter(status=Status.FAILED).update(
                status=Status.PENDING, attempts=0, queued_at=now, next_attempt_at=None
            )
            emails.filter(status=Status.RETRYING).update(next_attempt_at=now)
            _queue_notifications(inquiry)
            queued += 1
        _notifications_sync(pks)
    return queued


# An email nothing is going to send (its task failed on a database error while recording
# an outcome, say) is queued again by the worker's sweep once it is overdue by this long.
SWEEP_GRACE = timedelta(minutes=2)


def notifications_sweep() -> int:
    """Queue an attempt for each inquiry with an email that should have gone by now and
    has not: pending, or due to retry, for SWEEP_GRACE; in flight past its lease for as
    long. Run by every live worker (WORKER_SWEEPS); a swept email is left alone for
    another SWEEP_GRACE. Returns how many inquiries were queued."""
    now = timezone.now()
    overdue = now - SWEEP_GRACE
    not_just_swept = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=now)
    stuck = (
        Q(status=Status.PENDING, queued_at__lt=overdue) & not_just_swept
        | Q(status=Status.RETRYING, next_attempt_at__lt=overdue)
        | Q(status=Status.SENDING, last_attempt_at__lt=overdue - lease()) & not_just_swept
    )
    queued = 0
    with transaction.atomic():
        inquiry_ids = set(
            OutgoingEmail.objects.filter(stuck)
            .exclude(inquiry__status=Inquiry.Status.SPAM)
            .values_list("inquiry_id", flat=True)
        )
        for inquiry in Inquiry.objects.filter(pk__in=inquiry_ids).order_by("pk"):
            emails = OutgoingEmail.objects.filter(stuck, inquiry=inquiry)
            # Due now (a retry is sent only once due); the others marked as just swept.
            emails.filter(status=Status.RETRYING).update(next_attempt_at=now)
            emails.exclude(status=Status.RETRYING).update(next_attempt_at=now + SWEEP_GRACE)
            _queue_notifications(inquiry)
            queued += 1
    if queued:
        logger.warning("Queued %s inquiries whose emails were overdue with no attempt.", queued)
    return queued


# Lead routing -----------------------------------------------------------------------


def _routing_value(routing: LeadRouting, field: str) -> str:
    value = getattr(routing, field)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "\n".join(recipient_list(value))  # as clean() stores it: spacing is no change


def lead_routing_change(*, changed_by, **values) -> list[LeadRoutingChange]:
    """Change the lead routing (``inquiry_recipients``, ``send_inquiry_acknowledgement``)
    as ``changed_by``, recording each changed field: who, when, before, after.

    A change of the recipients is emailed, by the worker once this is committed, to every
    address told of inquiries before it or after it (each list, or the Advisory team's
    members when it is empty; ADVISORY_NOTIFY_EMAILS too, when set), so that whoever
    stops getting the leads hears of it. Raises ValidationError (per field) for values
    the model refuses. Returns the recorded changes, none if nothing changed."""
    unknown = set(values) - set(LeadRouting.FIELDS)
    if unknown:
        raise TypeError(f"not lead routing fields: {sorted(unknown)}")
    now = timezone.now()
    with transaction.atomic():
        LeadRouting.load()
        # Locked: two changes at once are recorded one after the other, each from what
        # the other left.
        routing = LeadRouting.objects.select_for_update().get(pk=1)
        before = {field: _routing_value(routing, field) for field in LeadRouting.FIELDS}
        told_before = mail.routed_to(routing.inquiry_recipients)
        for field, value in values.items():
            setattr(routing, field, value)
        routing.full_clean()
        changes = []
        for field in LeadRouting.FIELDS:
            after = _routing_value(routing, field)
            if after == before[field]:
                continue
            change = LeadRoutingChange(
                changed_at=now,
                changed_by=changed_by,
                changed_by_name=changed_by.get_username() if changed_by else "",
                field=field,
                old_value=before[field],
                new_value=after,
            )
            if field == "inquiry_recipients":
                told = [*told_before, *mail.routed_to(after), *settings.ADVISORY_NOTIFY_EMAILS]
                audience: dict[str, str] = {}
                for address in told:  # each once, ignoring case, in order
                    audience.setdefault(address.casefold(), address)
                change.notice_to = "\n".join(audience.values())
                change.notice = (
                    LeadRoutingChange.Notice.PENDING
                    if audience
                    else LeadRoutingChange.Notice.NOBODY
                )
            changes.append(change)
        if not changes:
            return []
        routing.save()
        LeadRoutingChange.objects.bulk_create(changes)
        for change in changes:
            if change.notice == LeadRoutingChange.Notice.PENDING:
                # Written in this transaction: the worker sees the task once the change
                # is committed, and never without it.
                _queue_routing_notice(change.pk)
    for change in changes:
        logger.info(
            "Lead routing changed: %s, by user %s.", change.field, getattr(changed_by, "pk", None)
        )
    return changes


def _queue_routing_notice(change_id: int, *, run_after: datetime | None = None) -> None:
    from .tasks import notify_lead_routing_change

    task = (
        notify_lead_routing_change
        if run_after is None
        else notify_lead_routing_change.using(run_after=run_after)
    )
    task.enqueue(change_id)


def lead_routing_notice_send(change_id: int) -> str:
    """Email a change of the recipients to ``notice_to``, if not sent yet: the mail server
    is called outside any transaction, then the outcome recorded; temporary failures are
    retried as inquiry emails are (1 minute later, doubling, for
    ADVISORY_NOTIFY_GIVE_UP_AFTER), permanent ones marked failed. Run twice (a dead
    worker's task run again), it may send twice, with the same Message-ID."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("lead_routing_notice_send runs outside any transaction.")
    Notice = LeadRoutingChange.Notice
    now = timezone.now()
    with transaction.atomic():
        change = LeadRoutingChange.objects.select_for_update().filter(pk=change_id).first()
        if change is None:
            return "change no longer recorded"
        if change.notice not in (Notice.PENDING, Notice.RETRYING):
            return f"nothing to send ({change.notice})"
        change.notice_attempts += 1
        change.save(update_fields=["notice_attempts"])
    try:
        mail.lead_routing_notice(change).send()
        error = None
    except Exception as failure:  # any error: recorded, and retried unless permanent
        error = failure
    with transaction.atomic():
        change = LeadRoutingChange.objects.select_for_update().get(pk=change_id)
        if error is None:
            change.notice, change.notice_sent_at, change.notice_error = Notice.SENT, now, ""
            outcome = "sent"
        else:
            summary = mail.error_summary(error)
            give_up = timedelta(seconds=settings.ADVISORY_NOTIFY_GIVE_UP_AFTER)
            if mail.error_is_permanent(error) or now - change.changed_at >= give_up:
                change.notice = Notice.FAILED
                outcome = f"failed ({summary}); will not retry"
            else:
                change.notice = Notice.RETRYING
                retry_at = now + retry_delay(change.notice_attempts)
                _queue_routing_notice(change.pk, run_after=retry_at)
                outcome = f"failed ({summary}); retry at {retry_at.isoformat()}"
            change.notice_error = summary
            logger.log(
                logging.WARNING if change.notice == Notice.RETRYING else logging.ERROR,
                "The email about lead routing change %s failed (%s), attempt %s.",
                change.pk,
                summary,
                change.notice_attempts,
            )
        change.save(update_fields=["notice", "notice_sent_at", "notice_error"])
    return outcome


# The team's work --------------------------------------------------------------------


def inquiries_set_status(inquiries: QuerySet[Inquiry], status: str) -> int:
    # Pinned by id: ``inquiries`` may be filtered on what the update changes.
    pks = list(inquiries.values_list("pk", flat=True))
    with transaction.atomic():
        changed = Inquiry.objects.filter(pk__in=pks).update(
            status=status, updated_at=timezone.now()
        )
        if status == Inquiry.Status.SPAM:
            # Spam is not worth an email still waiting to go out, to retry, or failed.
            _emails_cancel(pks)
    return changed


def inquiries_assign(inquiries: QuerySet[Inquiry], user) -> int:
    return inquiries.update(assigned_to=user, updated_at=timezone.now())


def inquiries_purge(*, older_than_days: int, dry_run: bool = False) -> int:
    """Delete inquiries received more than ``older_than_days`` ago (retention), with their
    emails and used keys; also forget used keys past their own retention."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    old = Inquiry.objects.filter(created_at__lt=cutoff)
    if dry_run:
        return old.count()
    with transaction.atomic():
        _deleted, per_model = old.delete()
        idempotency.records_purge()
    return per_model.get(Inquiry._meta.label, 0)


def inquiries_of(email: str) -> QuerySet[Inquiry]:
    """Every inquiry sent with this address (matched ignoring case)."""
    return Inquiry.objects.filter(email__iexact=email.strip()).order_by("created_at", "id")


def _stored_fields(instance, *, leave_out: tuple[str, ...]) -> dict:
    """Every stored field of a row (a field added to the model is exported with it)."""
    record = {}
    for field in type(instance)._meta.concrete_fields:
        if field.name in leave_out:
            continue
        value = getattr(instance, field.name)
        if field.name == "assigned_to":
            value = value.get_username() if value else None
        record[field.name] = value
    return record


def personal_data_export(email: str) -> dict:
    """Everything held about one email address, for a data subject access request: every
    stored field of each inquiry and of each email it sent (or was to send), and the
    webhook events that carried it to the CRM.

    The used Idempotency-Keys and form tokens are not listed: only keyed hashes of them
    are stored, which say nothing about the person."""
    inquiries = []
    inquiries_held = (
        inquiries_of(email)
        .select_related("assigned_to")
        .prefetch_related("emails", "webhook_events__deliveries__endpoint")
    )
    for inquiry in inquiries_held:
        # Internal keys left out; term_title says what was read.
        record = _stored_fields(inquiry, leave_out=("id", "term"))
        record["emails"] = [
            _stored_fields(sent, leave_out=("id", "inquiry")) for sent in inquiry.emails.all()
        ]
        # What the CRM's webhook was sent (webhooks: inquiry.created), and to where.
        record["webhook_events"] = [
            {
                "id": event.pk,
                "type": event.type,
                "created_at": event.created_at,
                "payload": event.payload,
                "sent_to": [
                    {"url": d.endpoint.url, "status": d.status, "delivered_at": d.delivered_at}
                    for d in event.deliveries.all()
                ],
            }
            for event in inquiry.webhook_events.all()
        ]
        inquiries.append(record)
    return {
        "email": email.strip(),
        "exported_at": timezone.now(),
        "held_by": site_settings().organisation_name,
        "inquiries": inquiries,
    }


def personal_data_erase(email: str, *, dry_run: bool = False) -> int:
    """Delete every inquiry sent with this address (a data subject's erasure request), with
    its emails and used keys. Returns how many inquiries."""
    inquiries = inquiries_of(email)
    if dry_run:
        return inquiries.count()
    _deleted, per_model = inquiries.delete()
    return per_model.get(Inquiry._meta.label, 0)
