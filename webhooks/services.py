"""What changes webhooks: events emitted (with a delivery per subscribed endpoint, in the
same transaction), deliveries sent by the worker and recorded, endpoints disabled after
failing for a day, and the admin's actions (test event, redeliver, re-enable, rotate)."""

import base64
import hashlib
import hmac
import http.client
import json
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from glossary_project import outbound
from terms.roles import EDITORS, member_addresses

from . import payloads
from .models import (
    SECRET_PREFIX,
    Delivery,
    DeliveryAttempt,
    Endpoint,
    Event,
    EventType,
    new_secret,
)

logger = logging.getLogger(__name__)
Status = Delivery.Status
KEEP_BYTES = 1024
USER_AGENT = "AI-Glossary-Webhooks/1"


# Signing (Standard Webhooks) ----------------------------------------------------------


def signature(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}``, keyed with the secret's
    bytes (base64-decoded after ``whsec_``), as https://www.standardwebhooks.com says."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def body_of(event: Event) -> bytes:
    return json.dumps(event.payload, ensure_ascii=False, separators=(",", ":")).encode()


# Emitting -----------------------------------------------------------------------------


def subscribers(event_type: str) -> list[Endpoint]:
    """The active endpoints subscribed to ``event_type`` (there are few: read them all)."""
    return [
        endpoint
        for endpoint in Endpoint.objects.filter(active=True).order_by("pk")
        if event_type in endpoint.events
    ]


def event_emit(
    *,
    event_id: str,
    event_type: str,
    data: dict,
    endpoints: list[Endpoint] | None = None,
    inquiry=None,
) -> Event | None:
    """Store one event and a delivery to each endpoint (by default every active one
    subscribed), queue the sending, all in the caller's transaction (or one of its own).

    None, and nothing stored, when no endpoint wants it or an event with this id exists
    already (the same change reported twice)."""
    endpoints = subscribers(event_type) if endpoints is None else endpoints
    if not endpoints:
        return None
    now = timezone.now()
    with transaction.atomic():
        if Event.objects.filter(pk=event_id).exists():
            return None
        event = Event.objects.create(
            id=event_id,
            type=event_type,
            created_at=now,
            inquiry=inquiry,
            payload={
                "id": event_id,
                "type": event_type,
                "timestamp": now.isoformat().replace("+00:00", "Z"),
                "data": data,
            },
        )
        deliveries = Delivery.objects.bulk_create(
            Delivery(endpoint=endpoint, event=event, queued_at=now) for endpoint in endpoints
        )
        for delivery in deliveries:
            # Written in this transaction: the worker sees the task once the event is
            # committed, and never without it.
            _queue_delivery(delivery.pk)
    return event


def content_change_emit(change) -> list[Event]:
    """The events of one terms.changes.ContentChange: an import is one glossary.imported
    event; otherwise one event per term published, updated or unpublished and one
    category.changed per category. Ids come from the change's id, so the same change
    reported again stores nothing new."""
    emitted = []
    wanted: dict[str, list[Endpoint]] = {}

    def emit(event_id, event_type, make_data):
        if event_type not in wanted:
            wanted[event_type] = subscribers(event_type)
        endpoints = wanted[event_type]
        if endpoints and not Event.objects.filter(pk=event_id).exists():
            event = event_emit(
                event_id=event_id, event_type=event_type, data=make_data(), endpoints=endpoints
            )
            if event is not None:
                emitted.append(event)

    # One transaction (one commit) for all the change's events.
    with transaction.atomic():
        if change.imported is not None:
            emit(
                f"evt_{change.id}_import",
                EventType.GLOSSARY_IMPORTED,
                lambda: payloads.import_data(change.imported),
            )
            return emitted
        for event_type, terms, with_term in (
            (EventType.TERM_PUBLISHED, change.published, True),
            (EventType.TERM_UPDATED, change.updated, True),
            (EventType.TERM_UNPUBLISHED, change.unpublished, False),
        ):
            for term in terms:
                emit(
                    f"evt_{change.id}_{event_type.removeprefix('term.')}_{term.id}",
                    event_type,
                    lambda term=term, with_term=with_term: payloads.term_data(
                        term, with_term=with_term
                    ),
                )
        for category in change.categories:
            emit(
                f"evt_{change.id}_category_{category.id}",
                EventType.CATEGORY_CHANGED,
                lambda category=category: payloads.category_data(category),
            )
    return emitted


def inquiry_created_emit(inquiry) -> Event | None:
    """inquiry.created for the endpoints subscribed to it (the Advisory team's), in the
    inquiry's own transaction: committed with it, or not at all."""
    return event_emit(
        event_id=f"evt_inquiry_{inquiry.reference.hex}",
        event_type=EventType.INQUIRY_CREATED,
        data=payloads.inquiry_data(inquiry),
        inquiry=inquiry,
    )


def endpoint_send_test(endpoint: Endpoint) -> Event:
    """A webhook.test event to this one endpoint (active or not), sent by the worker now."""
    return event_emit(
        event_id=f"evt_test_{secrets.token_hex(12)}",
        event_type=EventType.WEBHOOK_TEST,
        data=payloads.ping_data(endpoint),
        endpoints=[endpoint],
    )


def _queue_delivery(delivery_id: int, *, run_after: datetime | None = None) -> None:
    from .tasks import deliver_webhook

    task = deliver_webhook if run_after is None else deliver_webhook.using(run_after=run_after)
    task.enqueue(delivery_id)


# Endpoints ----------------------------------------------------------------------------


def endpoint_create(*, created_by, **fields) -> Endpoint:
    """A new endpoint with a fresh secret (the caller shows it once)."""
    endpoint = Endpoint(created_by=created_by, **fields)
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def endpoint_rotate_secret(endpoint: Endpoint) -> str:
    """Give the endpoint a new secret, used from the next attempt on; return it (shown
    once). Deliveries signed before keep the old signature."""
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint.secret


def endpoint_enable(endpoint: Endpoint) -> None:
    """Turn a disabled endpoint back on, its failure history forgotten."""
    Endpoint.objects.filter(pk=endpoint.pk).update(
        active=True,
        disabled_at=None,
        disabled_reason="",
        failing_since=None,
        updated_at=timezone.now(),
    )


def deliveries_redeliver(deliveries: Iterable[Delivery]) -> int:
    """Send each delivery again now, from a fresh start (attempts from 0), whatever became
    of it, except one in flight. Returns how many were queued."""
    pks = [delivery.pk for delivery in deliveries]
    now = timezone.now()
    queued = 0
    with transaction.atomic():
        for delivery in Delivery.objects.select_for_update().filter(pk__in=pks).order_by("pk"):
            if delivery.status == Status.SENDING and not _lease_over(delivery, now):
                continue
            delivery.status = Status.PENDING
            delivery.attempts = 0
            delivery.queued_at = now
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "attempts", "queued_at", "next_attempt_at"])
            _queue_delivery(delivery.pk)
            queued += 1
    return queued


# Sending ------------------------------------------------------------------------------


def lease() -> timedelta:
    """How long an attempt may be in flight before its worker is presumed dead: twice a
    whole request (WEBHOOKS_TIMEOUT, the address looked up too), and 10 s."""
    return timedelta(seconds=2 * settings.WEBHOOKS_TIMEOUT + 10)


def _lease_over(delivery: Delivery, now: datetime) -> bool:
    return (delivery.last_attempt_at or now) <= now - lease()


def retry_delay(attempts: int) -> timedelta:
    schedule = settings.WEBHOOKS_RETRY_SCHEDULE
    return timedelta(seconds=schedule[min(attempts, len(schedule)) - 1])


def delivery_send(delivery_id: int) -> str:
    """Send one delivery if it is due, as inquiry emails are sent: a short transaction
    records the attempt (``sending``) and commits; the endpoint is called outside any
    transaction; a second one records the answer and, for a timeout, a refused
    connection, a 5xx or a 429, queues the retry (WEBHOOKS_RETRY_SCHEDULE, or the
    endpoint's Retry-After) for up to WEBHOOKS_RETRY_FOR. Any other answer but a 2xx
    (4xx, a redirect) is final. Safe to run any number of times, side by side."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("delivery_send runs outside any transaction.")
    claimed, outcome = _delivery_claim(delivery_id)
    if claimed is None:
        return outcome
    endpoint, event = claimed.endpoint, claimed.event
    started = timezone.now()
    timestamp = int(started.timestamp())
    body = body_of(event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": event.pk,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(
            endpoint.secret, message_id=event.pk, timestamp=timestamp, body=body
        ),
    }
    answer, error = None, None
    clock = timezone.now()
    try:
        # Looked up again: the address checked now is the one connected to.
        target = outbound.resolve(endpoint.url)
        answer = outbound.post(
            target, body, headers=headers, timeout=settings.WEBHOOKS_TIMEOUT, keep=KEEP_BYTES
        )
    except (OSError, http.client.HTTPException, outbound.AddressRefused) as failure:
        error = failure
    duration_ms = round((timezone.now() - clock).total_seconds() * 1000)
    return _delivery_record(claimed, answer=answer, error=error, duration_ms=duration_ms)


def _delivery_claim(delivery_id: int) -> tuple[Delivery | None, str]:
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("endpoint", "event")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return None, "delivery no longer exists"
        if delivery.status in (Status.DELIVERED, Status.FAILED):
            return None, f"nothing to send ({delivery.status})"
        if not delivery.endpoint.active and delivery.event.type != EventType.WEBHOOK_TEST:
            delivery.status = Status.FAILED
            delivery.error = "The endpoint is disabled."
            delivery.save(update_fields=["status", "error"])
            return None, "endpoint disabled"
        if delivery.status == Status.SENDING and not _lease_over(delivery, now):
            lease_ends = delivery.last_attempt_at + lease()
            _queue_delivery(delivery.pk, run_after=lease_ends)
            return None, f"in flight elsewhere; looked at again at {lease_ends.isoformat()}"
        if delivery.status == Status.RETRYING and (delivery.next_attempt_at or now) > now:
            return None, "not due yet"
        delivery.status = Status.SENDING
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "attempts", "last_attempt_at", "next_attempt_at"])
    return delivery, ""


def _retry_after(answer: outbound.Answer | None, now: datetime) -> timedelta | None:
    """The endpoint's Retry-After (seconds or an HTTP date), if it sent a usable one."""
    value = (answer.headers.get("retry-after") or "").strip() if answer else ""
    if not value:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


def _error_summary(error: Exception) -> str:
    if isinstance(error, outbound.AddressRefused):
        return str(error)[:300]
    if isinstance(error, TimeoutError):
        return f"Timed out after {settings.WEBHOOKS_TIMEOUT:g} s"
    code = getattr(error, "errno", None)
    return (f"{type(error).__name__}" + (f" ({code})" if code else "") + f": {error}")[:300]


def _delivery_record(
    claimed: Delivery, *, answer: outbound.Answer | None, error: Exception | None, duration_ms
) -> str:
    now = timezone.now()
    body = answer.body.decode("utf-8", errors="replace") if answer else ""
    if answer is not None and 200 <= answer.status < 300:
        failure, retry = "", False
    elif answer is not None:
        failure = f"HTTP {answer.status}"
        retry = answer.status >= 500 or answer.status == 429
        if 300 <= answer.status < 400:
            failure += " (redirects are not followed)"
    else:
        failure = _error_summary(error)
        # A refused address stays refused; a failed look-up may be the resolver's moment.
        retry = not isinstance(error, outbound.AddressRefused) or isinstance(
            error, outbound.LookupFailed
        )
    logger.log(
        logging.INFO if not failure else logging.WARNING,
        "Webhook %s to endpoint %s, attempt %s: %s in %s ms.",
        claimed.event_id,
        claimed.endpoint_id,
        claimed.attempts,
        failure or f"HTTP {answer.status}",
        duration_ms,
        extra={"response_start": body[:100]},
    )
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().filter(pk=claimed.endpoint_id).first()
        delivery = Delivery.objects.select_for_update().filter(pk=claimed.pk).first()
        if endpoint is None or delivery is None:
            return "deleted while sending"
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=claimed.attempts,
            started_at=claimed.last_attempt_at,
            response_status=answer.status if answer else None,
            duration_ms=duration_ms,
            response_body=body,
            error=failure,
        )
        delivery.response_status = answer.status if answer else None
        delivery.duration_ms = duration_ms
        delivery.response_body = body
        delivery.error = failure
        fields = ["response_status", "duration_ms", "response_body", "error"]
        if not failure:
            delivery.status = Status.DELIVERED
            delivery.delivered_at = now
            outcome = f"delivered (HTTP {answer.status})"
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since"])
        elif delivery.status != Status.SENDING or delivery.attempts != claimed.attempts:
            # Taken over after the lease, or redelivered meanwhile: this attempt's failure
            # decides nothing more.
            delivery.save(update_fields=fields)
            return f"failed ({failure}); now {delivery.status}"
        else:
            delay = _retry_after(answer, now) or retry_delay(delivery.attempts)
            give_up_at = delivery.queued_at + timedelta(seconds=settings.WEBHOOKS_RETRY_FOR)
            if not retry:
                delivery.status = Status.FAILED
                outcome = f"failed ({failure}); will not retry"
            elif now + delay > give_up_at:
                delivery.status = Status.FAILED
                delivery.error = f"Gave up after {delivery.attempts} attempts; last: {failure}"[
                    :300
                ]
                outcome = f"failed ({failure}); gave up"
            else:
                delivery.status = Status.RETRYING
                delivery.next_attempt_at = now + delay
                _queue_delivery(delivery.pk, run_after=delivery.next_attempt_at)
                outcome = f"failed ({failure}); retry at {delivery.next_attempt_at.isoformat()}"
            if claimed.event.type != EventType.WEBHOOK_TEST:
                _endpoint_failed(endpoint, now=now, failure=failure)
        delivery.save(update_fields=[*fields, "status", "delivered_at", "next_attempt_at"])
    return outcome


def _endpoint_failed(endpoint: Endpoint, *, now: datetime, failure: str) -> None:
    """Note a failure; an endpoint failing for WEBHOOKS_DISABLE_AFTER with no delivery in
    between is disabled, its waiting deliveries failed, and the Editors and its creator
    told (by the worker, once this is committed)."""
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since"])
        return
    if not endpoint.active:
        return
    if now - endpoint.failing_since < timedelta(seconds=settings.WEBHOOKS_DISABLE_AFTER):
        return
    endpoint.active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = (
        f"Failing since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC; last: {failure}"
    )[:300]
    endpoint.save(update_fields=["active", "disabled_at", "disabled_reason"])
    endpoint.deliveries.filter(status__in=[Status.PENDING, Status.RETRYING]).update(
        status=Status.FAILED, error="The endpoint was disabled.", next_attempt_at=None
    )
    logger.error("Webhook endpoint %s disabled: %s", endpoint.pk, endpoint.disabled_reason)
    from .tasks import notify_endpoint_disabled

    notify_endpoint_disabled.enqueue(endpoint.pk)


def endpoint_disabled_notify(endpoint_id: int) -> str:
    """Email the Editors and the endpoint's creator that it was disabled, and why."""
    endpoint = Endpoint.objects.select_related("created_by").filter(pk=endpoint_id).first()
    if endpoint is None or endpoint.active:
        return "nothing to tell"
    recipients = member_addresses(EDITORS)
    creator = endpoint.created_by
    if creator is not None and creator.email and creator.email not in recipients:
        recipients.append(creator.email)
    if not recipients:
        return "nobody to tell"
    admin_url = settings.SITE_URL + reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])
    send_mail(
        subject=f"Webhook endpoint disabled: {endpoint}",
        message=(
            f"The webhook endpoint {endpoint.url} was disabled at "
            f"{endpoint.disabled_at:%Y-%m-%d %H:%M} UTC after failing for a day.\n\n"
            f"{endpoint.disabled_reason}\n\n"
            f"Mend the receiver, then re-enable it and redeliver what it missed:\n{admin_url}\n"
        ),
        from_email=None,
        recipient_list=recipients,
    )
    return f"told {len(recipients)}"


# An attempt nothing is going to make (its task lost, its worker killed) is queued again
# by the worker's sweep once it is overdue by this long.
SWEEP_GRACE = timedelta(minutes=2)


def deliveries_sweep() -> int:
    """Queue an attempt for each delivery that should have gone by now and has not:
    pending, or due to retry, for SWEEP_GRACE; in flight past its lease for as long. A
    swept delivery is left alone for another SWEEP_GRACE. Run by every live worker
    (WORKER_SWEEPS). Returns how many were queued."""
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
        for delivery in Delivery.objects.select_for_update().filter(stuck).order_by("pk"):
            if delivery.status == Status.RETRYING:
                delivery.next_attempt_at = now  # due now: a retry is sent only once due
            else:
                delivery.next_attempt_at = now + SWEEP_GRACE
            delivery.save(update_fields=["next_attempt_at"])
            _queue_delivery(delivery.pk)
            queued += 1
    if queued:
        logger.warning("Queued %s webhook deliveries that were overdue with no attempt.", queued)
    return queued


def events_purge() -> int:
    """Delete events older than WEBHOOKS_KEEP_DAYS whose deliveries are all over
    (delivered or failed), with their deliveries and attempts. Run by the worker's sweep;
    returns how many events were deleted."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOKS_KEEP_DAYS)
    unfinished = Delivery.objects.filter(event=OuterRef("pk")).exclude(
        status__in=[Status.DELIVERED, Status.FAILED]
    )
    old = Event.objects.filter(created_at__lt=cutoff).exclude(Exists(unfinished))
    pks = list(old.values_list("pk", flat=True)[:1000])  # a bounded amount each time
    if not pks:
        return 0
    _deleted, per_model = Event.objects.filter(pk__in=pks).delete()
    return per_model.get(Event._meta.label, 0)
