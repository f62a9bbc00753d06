"""Webhooks: the endpoints integrations register, the events the site emits, and each
event's delivery to each endpoint (the outbox the worker sends from)."""

import base64
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from glossary_project import outbound
from terms.models import HttpURLField, TimeStampedModel

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class EventType(models.TextChoices):
    TERM_PUBLISHED = "term.published", _("term.published: a term is now public")
    TERM_UPDATED = "term.updated", _("term.updated: a public term's content changed")
    TERM_UNPUBLISHED = (
        "term.unpublished",
        _("term.unpublished: a term is no longer public (archived, taken down, deleted)"),
    )
    CATEGORY_CHANGED = (
        "category.changed",
        _("category.changed: a category was created, changed or deleted"),
    )
    GLOSSARY_IMPORTED = (
        "glossary.imported",
        _("glossary.imported: an import finished, with what it changed"),
    )
    INQUIRY_CREATED = (
        "inquiry.created",
        _("inquiry.created: a visitor sent an inquiry (personal data; Advisory team only)"),
    )
    WEBHOOK_TEST = "webhook.test", _("webhook.test: sent from the admin on request")


# Events an endpoint may subscribe to (webhook.test is sent on request only).
SUBSCRIBABLE = [choice for choice in EventType if choice != EventType.WEBHOOK_TEST]
# Events that carry personal data: subscribed to, and seen, by the Advisory team only.
PERSONAL = {EventType.INQUIRY_CREATED}
PERSONAL_DATA_PERMISSION = "advisory.view_inquiry"


class Endpoint(TimeStampedModel):
    """An address that receives the events it subscribes to, signed with its secret."""

    url = HttpURLField(
        _("URL"),
        max_length=500,
        help_text=_(
            "Where events are POSTed, e.g. https://front.example.com/api/revalidate. "
            "Only public addresses."
        ),
    )
    description = models.CharField(
        _("description"), max_length=200, blank=True, help_text=_("e.g. Next.js site rebuild")
    )
    # Standard Webhooks' form, whsec_<base64>; kept to sign with, shown once when made.
    secret = models.CharField(_("secret"), max_length=100, default=new_secret, editable=False)
    events = models.JSONField(_("events"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    failing_since = models.DateTimeField(
        _("failing since"),
        null=True,
        blank=True,
        help_text=_("The first failed attempt since the last delivered one."),
    )
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_endpoints",
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["url", "id"]

    def __str__(self) -> str:
        return self.description or self.url

    def clean(self):
        super().clean()
        unknown = set(self.events) - {choice.value for choice in SUBSCRIBABLE}
        if unknown:
            raise ValidationError({"events": _("Unknown events: %s") % ", ".join(sorted(unknown))})
        if self.url:
            try:
                outbound.resolve(self.url)
            except outbound.AddressRefused as refused:
                raise ValidationError({"url": str(refused)}) from None

    @property
    def carries_personal_data(self) -> bool:
        return bool(PERSONAL & set(self.events))

    def secret_hint(self) -> str:
        return f"{self.secret[:10]}…"


class Event(models.Model):
    """Something that happened, as every subscribed endpoint receives it."""

    id = models.CharField(_("id"), max_length=100, primary_key=True)
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices, db_index=True)
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    # The inquiry an inquiry.created event carries: deleted with it (retention, erasure).
    inquiry = models.ForeignKey(
        "advisory.Inquiry",
        verbose_name=_("inquiry"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_events",
    )

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"

    @property
    def carries_personal_data(self) -> bool:
        return self.type in PERSONAL


class Delivery(models.Model):
    """One event to one endpoint, and what became of it.

    The attempt is recorded (``sending``) before the endpoint is called; a worker that
    dies mid-request leaves it so, and once the lease is over it is sent again, with the
    same webhook-id (receivers drop duplicates by it): at-least-once delivery.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Failed, will retry")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed, will not retry")

    endpoint = models.ForeignKey(
        Endpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    response_status = models.PositiveIntegerField(_("response status"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    response_body = models.TextField(_("response (first 1 KB)"), blank=True)
    error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-queued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_one_per_endpoint"),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="delivery_delivered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.endpoint}: {self.get_status_display()}"


class DeliveryAttempt(models.Model):
    """One request made for a delivery: what the endpoint answered, or what went wrong."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="log"
    )
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    response_status = models.PositiveIntegerField(_("response status"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    response_body = models.TextField(_("response (first 1 KB)"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["delivery", "number", "id"]

    def __str__(self) -> str:
        outcome = self.response_status or self.error
        return f"#{self.number}: {outcome} in {self.duration_ms} ms"
