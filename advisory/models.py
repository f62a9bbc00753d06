import uuid
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
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

    # What identifies or describes the visitor (the API marks them; README "Privacy").
    PERSONAL_DATA_FIELDS = ("name", "email", "company", "job_title", "country", "phone", "message")

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


RECIPIENTS_MAX = 20


class LeadRouting(models.Model):
    """Where new inquiries go: who is told of them, and whether the visitor gets an
    acknowledgement. The one record (primary key 1), the Advisory team's to change (not
    the Editors': whoever sets the recipients receives every lead). Every change is
    recorded (LeadRoutingChange) and the recipients before and after are emailed, through
    advisory.services.lead_routing_change."""

    inquiry_recipients = models.TextField(
        _("who is told of new inquiries"),
        blank=True,
        help_text=_(
            "Email addresses, one per line, e.g. advisory@example.org. The "
            "ADVISORY_NOTIFY_EMAILS environment variable, when set, takes precedence; with "
            "neither, every member of the Advisory team with an email address is told. A "
            "change is emailed to the addresses told before it and after it."
        ),
    )
    send_inquiry_acknowledgement = models.BooleanField(
        _("acknowledge inquiries by email"),
        default=True,
        help_text=_("Send visitors an email confirming that their inquiry arrived."),
    )

    FIELDS = ("inquiry_recipients", "send_inquiry_acknowledgement")

    class Meta:
        verbose_name = _("lead routing")
        verbose_name_plural = _("lead routing")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="lead_routing_single_row"),
        ]

    def __str__(self) -> str:
        return str(_("Lead routing"))

    @classmethod
    def load(cls) -> "LeadRouting":
        routing, _created = cls.objects.get_or_create(pk=1)
        return routing

    def clean(self) -> None:
        addresses: dict[str, str] = {}  # each once, ignoring case, in order
        for line in self.inquiry_recipients.splitlines():
            address = line.strip()
            if not address:
                continue
            try:
                validate_email(address)
            except ValidationError as error:
                raise ValidationError(
                    {
                        "inquiry_recipients": ValidationError(
                            _("“%(address)s” is not an email address. Write one address per line."),
                            code="invalid_recipient",
                            params={"address": address[:100]},
                        )
                    }
                ) from error
            addresses.setdefault(address.casefold(), address)
        if len(addresses) > RECIPIENTS_MAX:
            raise ValidationError(
                {
                    "inquiry_recipients": ValidationError(
                        _("Write at most %(limit)d addresses (there are %(count)d)."),
                        code="too_many_recipients",
                        params={"limit": RECIPIENTS_MAX, "count": len(addresses)},
                    )
                }
            )
        # Stored as read: one address a line, no blanks or repeats; a change is a change
        # of who is told, not of spacing.
        self.inquiry_recipients = "\n".join(addresses.values())

    def inquiry_recipient_list(self) -> list[str]:
        return recipient_list(self.inquiry_recipients)


def recipient_list(text: str) -> list[str]:
    """The addresses in a recipients field: one a line, blank lines ignored."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class LeadRoutingChange(models.Model):
    """One field of the lead routing changed: who, when, from what to what. Written by
    advisory.services.lead_routing_change and never edited; the admin shows it read-only.

    A change of the recipients also emails everyone told of inquiries before it or after
    it (``notice_to``); the notice's fields say what became of that email."""

    class Notice(models.TextChoices):
        NOT_SENT = "not_sent", _("No email (not a change of who is told)")
        NOBODY = "nobody", _("Nobody to tell")
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Failed, will retry")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will not retry")

    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept if the account is deleted: the record still says who it was.
    changed_by_name = models.CharField(_("changed by (user name)"), max_length=150)
    field = models.CharField(
        _("setting"),
        max_length=50,
        choices=[
            ("inquiry_recipients", _("who is told of new inquiries")),
            ("send_inquiry_acknowledgement", _("acknowledge inquiries by email")),
        ],
    )
    old_value = models.TextField(_("before"), blank=True)
    new_value = models.TextField(_("after"), blank=True)

    notice_to = models.TextField(_("emailed to"), blank=True)
    notice = models.CharField(
        _("email about the change"),
        max_length=20,
        choices=Notice.choices,
        default=Notice.NOT_SENT,
    )
    notice_attempts = models.PositiveIntegerField(_("attempts"), default=0)
    notice_sent_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    notice_error = models.CharField(_("last error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("lead routing change")
        verbose_name_plural = _("lead routing changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        when = self.changed_at.strftime("%Y-%m-%d %H:%M")
        return f"{self.get_field_display()}: {when} by {self.changed_by_name}"

    @property
    def message_id(self) -> str:
        return f"<lead-routing-change-{self.pk}@{message_id_domain()}>"
