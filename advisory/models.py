import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from terms.models import Term

NAME_MAX_LENGTH = 200
MESSAGE_MAX_LENGTH = 5000


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

    notification = models.CharField(
        _("notification"),
        max_length=20,
        choices=Notification.choices,
        default=Notification.PENDING,
        db_index=True,
    )
    acknowledgement_wanted = models.BooleanField(_("acknowledgement to visitor"), default=True)
    team_notified_at = models.DateTimeField(_("team notified at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("visitor acknowledged at"), null=True, blank=True)
    notification_attempts = models.PositiveIntegerField(_("notification attempts"), default=0)
    next_notification_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    notification_error = models.CharField(_("last notification error"), max_length=200, blank=True)

    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

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
