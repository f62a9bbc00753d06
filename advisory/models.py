import uuid
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terms.models import Term

NAME_MAX_LENGTH = 200
MESSAGE_MAX_LENGTH = 5000


class InquiryQuerySet(models.QuerySet):
    def team_not_told(self, *, minutes: int | None = None):
        """Not spam, received more than ``minutes`` (ADVISORY_NOTIFY_ALERT_MINUTES) ago, and
        the team's email has not gone out (nor been cancelled, as for spam): someone should
        look at the mail server or the worker."""
        if minutes is None:
            minutes = settings.ADVISORY_NOTIFY_ALERT_MINUTES
        done = OutgoingEmail.objects.filter(
            inquiry=OuterRef("pk"),
            kind=OutgoingEmail.Kind.TEAM,
            status__in=[OutgoingEmail.Status.SENT, OutgoingEmail.Status.CANCELLED],
        )
        return (
            self.exclude(status=Inquiry.Status.SPAM)
            .filter(created_at__lt=timezone.now() - timedelta(minutes=minutes))
            .exclude(Exists(done))
        )


class Inquiry(models.Model):
    """A visitor's request for advisory help, and the team's work on it.

    What the visitor sent is kept as sent (the admin shows it read-only); the team works
    the status, assignee and notes.
    """

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        SPAM = "spam", _("Spam")

    class Notification(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Failed, will retry")
        FAILED = "failed", _("Failed, will not retry")
        SENT = "sent", _("Sent")
        NOT_SENT = "not_sent", _("Not sent (spam)")

    reference = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)

    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    email = models.EmailField(_("email"))
    company = models.CharField(_("company"), max_length=NAME_MAX_LENGTH)
    job_title = models.CharField(_("job title"), max_length=NAME_MAX_LENGTH, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    message = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)

    term = models.ForeignKey(
        Term,
        verbose_name=_("term"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inquiries",
    )
    # Kept when the term is renamed or deleted: the inquiry says what the visitor read.
    term_title = models.CharField(_("term title"), max_length=200, blank=True)
    source_url = models.CharField(_("sent from page"), max_length=500, blank=True)

    consent_given_at = models.DateTimeField(_("consent given at"))
    consent_text = models.TextField(_("consent wording agreed to"))

    # A keyed hash and the network prefix (IPv4 /24, IPv6 /48): enough to see repeat
    # senders and to rate-limit, never the full address.
    network_hash = models.CharField(_("network address (keyed hash)"), max_length=64, blank=True)
    network_prefix = models.CharField(_("network prefix"), max_length=64, blank=True)
    spam_reasons = models.CharField(_("why marked as spam"), max_length=300, blank=True)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_inquiries",
    )
    internal_notes = models.TextField(_("internal notes"), blank=True)

    # A summary of its emails (OutgoingEmail), kept by the services that change them, for
    # the inbox's column and filter.
    notification = models.CharField(
        _("notification"),
        max_length=20,
        choices=Notification.choices,
        default=Notification.PENDING,
        db_index=True,
    )

    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = InquiryQuerySet.as_manager()

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-created_at", "-id"]
        permissions = [("export_inquiry", "Can export inquiries to CSV")]
        indexes = [models.Index(fields=["network_hash", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(consent_text=""), name="inquiry_consent_wording_recorded"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})"

    def get_admin_url(self) -> str:
        return reverse("admin:advisory_inquiry_change", args=[self.pk])


def message_id_domain() -> str:
    """The domain of DEFAULT_FROM_EMAIL ("AI Advisory <glossary@example.org>" → example.org)."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return address.rpartition("@")[2] or "localhost"


class OutgoingEmail(models.Model):
    """One email an inquiry sends (the team's notification, the visitor's acknowledgement)
    and what became of it: the outbox the worker delivers from.

    The attempt is recorded before the mail server is called, so a worker that dies
    mid-send leaves the row in "sending"; after the lease (ADVISORY_NOTIFY_LEASE_SECONDS)
    it is sent again with the same Message-ID, which mail systems use to drop the
    duplicate (at-least-once delivery).
    """

    class Kind(models.TextChoices):
        TEAM = "team", _("Team notification")
        ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement to the visitor")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Failed, will retry")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will not retry")
        CANCELLED = "cancelled", _("Cancelled (spam)")

    UNSENT = (Status.PENDING, Status.SENDING, Status.RETRYING, Status.FAILED)

    inquiry = models.ForeignKey(
        Inquiry, verbose_name=_("inquiry"), on_delete=models.CASCADE, related_name="emails"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # What went wrong, never with an address or the message: "SMTPRecipientsRefused (550)".
    error = models.CharField(_("last error"), max_length=200, blank=True)
    message_id = models.CharField(
        _("Message-ID"),
        max_length=255,
        unique=True,
        help_text=_("The same on every attempt, e.g. <inquiry-…-team@example.org>."),
    )
    # When sending was (last) asked for: at submission, or by a resend. Giving up on
    # temporary failures (ADVISORY_NOTIFY_GIVE_UP_AFTER) counts from here.
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["inquiry", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["inquiry", "kind"], name="outgoing_email_one_per_kind"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outgoing_email_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_status_display()}"

    def clean(self):
        if self.status == self.Status.SENT and self.sent_at is None:
            raise ValidationError({"sent_at": _("A sent email needs the time it was sent.")})

    @staticmethod
    def message_id_for(inquiry: Inquiry, kind: str) -> str:
        return f"<inquiry-{inquiry.reference}-{kind}@{message_id_domain()}>"


class IdempotencyRecord(models.Model):
    """A submission that succeeded, by the key it came with: an API client's
    Idempotency-Key, or the form token (single-use). The same key with the same content is
    answered with the inquiry it made; with other content it is refused.

    Only keyed hashes are kept (of the key and of the content), never what was sent.
    """

    class Scope(models.TextChoices):
        IDEMPOTENCY_KEY = "idempotency_key", _("Idempotency-Key header")
        FORM_TOKEN = "form_token", _("Form token")

    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices)
    key_hash = models.CharField(_("key (keyed hash)"), max_length=64)
    fingerprint = models.CharField(_("content (keyed hash)"), max_length=64)
    inquiry = models.ForeignKey(
        Inquiry,
        verbose_name=_("inquiry"),
        on_delete=models.CASCADE,
        related_name="idempotency_records",
    )
    created_at = models.DateTimeField(_("used at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "key_hash"], name="idempotency_key_used_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.key_hash[:12]}…"
