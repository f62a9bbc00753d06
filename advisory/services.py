"""What changes inquiries: submission (form and API alike), notification, team work, privacy."""

import ipaddress
import logging
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework.throttling import SimpleRateThrottle

from terms.roles import ADVISORY_TEAM
from terms.selectors import site_settings

from .forms import InquiryForm, consent_wording
from .models import Inquiry

logger = logging.getLogger(__name__)

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


class NoRecipients(Exception):
    """Nobody is configured to hear about new inquiries."""


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


def inquiry_submit(data: Mapping, *, client_address: str) -> Inquiry:
    """Validate and store a visitor's inquiry, and queue its notifications.

    The one path for the site's form and the API. Raises InquiryInvalid (the visitor
    corrects and resends) or InquiryRateLimited (nothing stored, try later). An inquiry
    that looks automated is stored with status spam for the team to review, and the
    caller answers exactly as for any other: a person's inquiry never vanishes.
    """
    form = InquiryForm(data)
    if not form.is_valid():
        raise InquiryInvalid(form)
    now = time.time()
    address_hash = network_hash(client_address)
    limit, window = advisory_rate()
    if address_hash:
        since = timezone.now() - timedelta(seconds=window)
        recent = list(
            Inquiry.objects.filter(network_hash=address_hash, created_at__gte=since)
            .order_by("created_at")
            .values_list("created_at", flat=True)[:limit]
        )
        if len(recent) >= limit:
            retry_after = int((recent[0] - since).total_seconds()) + 1
            raise InquiryRateLimited(form, retry_after)

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
    inquiry.acknowledgement_wanted = site_settings().send_inquiry_acknowledgement
    with transaction.atomic():
        inquiry.save()
        if not reasons:
            # The task row is written in this transaction: the worker sees it only once
            # the inquiry is committed, and never without it.
            _queue_notifications(inquiry)
    return inquiry


def _queue_notifications(inquiry: Inquiry, *, run_after: datetime | None = None) -> None:
    from .tasks import deliver_notifications

    task = (
        deliver_notifications
        if run_after is None
        else deliver_notifications.using(run_after=run_after)
    )
    task.enqueue(inquiry.pk)


def team_recipients() -> list[str]:
    """ADVISORY_NOTIFY_EMAILS, else the site settings' list, else the Advisory team members."""
    if settings.ADVISORY_NOTIFY_EMAILS:
        return list(settings.ADVISORY_NOTIFY_EMAILS)
    configured = site_settings().inquiry_recipient_list()
    if configured:
        return configured
    members = (
        get_user_model()
        .objects.filter(groups__name=ADVISORY_TEAM, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    return list(members)


def _team_message(inquiry: Inquiry) -> EmailMessage:
    recipients = team_recipients()
    if not recipients:
        raise NoRecipients
    about = inquiry.term_title or "the glossary"
    context = {"inquiry": inquiry, "admin_url": settings.SITE_URL + inquiry.get_admin_url()}
    # One line: a line break the visitor typed would make EmailMessage refuse the header.
    subject = " ".join(f"New advisory inquiry from {inquiry.company} about {about}".split())
    return EmailMessage(
        subject=subject,
        body=render_to_string("advisory/email/team_notification.txt", context),
        to=recipients,
        reply_to=[inquiry.email],
    )


def _acknowledgement(inquiry: Inquiry) -> EmailMessage:
    organisation = site_settings().organisation_name
    context = {"inquiry": inquiry, "organisation": organisation}
    return EmailMessage(
        subject=f"{organisation}: we received your inquiry",
        body=render_to_string("advisory/email/acknowledgement.txt", context),
        to=[inquiry.email],
    )


def mail_error_summary(error: Exception) -> str:
    """What went wrong, without the message text, which may quote addresses."""
    if isinstance(error, NoRecipients):
        return "No recipients: set ADVISORY_NOTIFY_EMAILS or the site settings' list."
    code = getattr(error, "smtp_code", None) or getattr(error, "errno", None)
    return f"{type(error).__name__}" + (f" ({code})" if code else "")


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_FIRST_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS))


def inquiry_notify(inquiry_id: int) -> str:
    """Send what is still unsent for one inquiry: the team's email and the visitor's.

    Safe to run twice (what was sent is recorded and not sent again). When sending fails,
    the failure is recorded and another attempt is queued, later each time (1 minute,
    doubling, at most an hour apart), until the mail goes. Any error counts, not only the
    mail server's: an unexpected one must not leave an inquiry waiting with nobody told,
    nor put the visitor's words into a traceback in the logs.
    """
    with transaction.atomic():
        # Lock the inquiry row only: PostgreSQL refuses FOR UPDATE on a nullable outer join
        # (the term), and the mail needs only the stored term_title.
        inquiry = Inquiry.objects.select_for_update().filter(pk=inquiry_id).first()
        if inquiry is None:
            return "inquiry no longer exists"
        if inquiry.status == Inquiry.Status.SPAM:
            inquiry.notification = Inquiry.Notification.NOT_SENT
        if inquiry.notification in (Inquiry.Notification.SENT, Inquiry.Notification.NOT_SENT):
            inquiry.save(update_fields=["notification"])
            return f"nothing to send ({inquiry.notification})"
        now = timezone.now()
        errors = []
        if inquiry.team_notified_at is None:
            try:
                _team_message(inquiry).send()
                inquiry.team_notified_at = now
            except Exception as error:  # any error: recorded and retried (see above)
                errors.append(mail_error_summary(error))
        if inquiry.acknowledgement_wanted and inquiry.acknowledged_at is None:
            try:
                _acknowledgement(inquiry).send()
                inquiry.acknowledged_at = now
            except Exception as error:  # any error: recorded and retried (see above)
                errors.append(mail_error_summary(error))
        inquiry.notification_attempts += 1
        if errors:
            inquiry.notification = Inquiry.Notification.RETRYING
            inquiry.notification_error = "; ".join(errors)[:200]
            inquiry.next_notification_at = now + retry_delay(inquiry.notification_attempts)
            _queue_notifications(inquiry, run_after=inquiry.next_notification_at)
            outcome = f"failed ({inquiry.notification_error}); retry queued"
            # The inquiry's id only: never the visitor's address or words.
            logger.warning(
                "Notification for inquiry %s failed (%s), attempt %s; retry at %s.",
                inquiry.pk,
                inquiry.notification_error,
                inquiry.notification_attempts,
                inquiry.next_notification_at.isoformat(),
            )
        else:
            inquiry.notification = Inquiry.Notification.SENT
            inquiry.notification_error = ""
            inquiry.next_notification_at = None
            outcome = "sent"
        inquiry.save(
            update_fields=[
                "team_notified_at",
                "acknowledged_at",
                "notification",
                "notification_attempts",
                "notification_error",
                "next_notification_at",
                "updated_at",
            ]
        )
    return outcome


def pending_notifications() -> QuerySet[Inquiry]:
    return Inquiry.objects.filter(
        notification__in=[Inquiry.Notification.PENDING, Inquiry.Notification.RETRYING]
    )


def notifications_resend(inquiries: Iterable[Inquiry]) -> int:
    """Queue an immediate attempt for each inquiry whose notifications have not all gone."""
    queued = 0
    with transaction.atomic():
        for inquiry in inquiries:
            if inquiry.notification in (
                Inquiry.Notification.PENDING,
                Inquiry.Notification.RETRYING,
            ):
                _queue_notifications(inquiry)
                queued += 1
    return queued


def inquiries_set_status(inquiries: QuerySet[Inquiry], status: str) -> int:
    # Pinned by id: ``inquiries`` may be filtered on what the first update changes.
    inquiries = Inquiry.objects.filter(pk__in=list(inquiries.values_list("pk", flat=True)))
    updates = {"status": status, "updated_at": timezone.now()}
    if status == Inquiry.Status.SPAM:
        # Spam is not worth a notification still waiting to go out, or waiting to retry.
        inquiries.filter(
            notification__in=[Inquiry.Notification.PENDING, Inquiry.Notification.RETRYING]
        ).update(notification=Inquiry.Notification.NOT_SENT)
    return inquiries.update(**updates)


def inquiries_assign(inquiries: QuerySet[Inquiry], user) -> int:
    return inquiries.update(assigned_to=user, updated_at=timezone.now())


def inquiries_purge(*, older_than_days: int, dry_run: bool = False) -> int:
    """Delete inquiries received more than ``older_than_days`` ago (retention)."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    old = Inquiry.objects.filter(created_at__lt=cutoff)
    if dry_run:
        return old.count()
    deleted, _per_model = old.delete()
    return deleted


def inquiries_of(email: str) -> QuerySet[Inquiry]:
    """Every inquiry sent with this address (matched ignoring case)."""
    return Inquiry.objects.filter(email__iexact=email.strip()).order_by("created_at", "id")


def personal_data_export(email: str) -> dict:
    """Everything held about one email address, for a data subject access request: every
    stored field of each inquiry (a field added to the model is exported with it)."""
    inquiries = []
    for inquiry in inquiries_of(email).select_related("assigned_to"):
        record = {}
        for field in Inquiry._meta.concrete_fields:
            if field.name in ("id", "term"):  # internal keys; term_title says what was read
                continue
            value = getattr(inquiry, field.name)
            if field.name == "assigned_to":
                value = value.get_username() if value else None
            record[field.name] = value
        inquiries.append(record)
    return {
        "email": email.strip(),
        "exported_at": timezone.now(),
        "held_by": site_settings().organisation_name,
        "inquiries": inquiries,
    }


def personal_data_erase(email: str, *, dry_run: bool = False) -> int:
    """Delete every inquiry sent with this address (a data subject's erasure request)."""
    inquiries = inquiries_of(email)
    if dry_run:
        return inquiries.count()
    deleted, _per_model = inquiries.delete()
    return deleted
