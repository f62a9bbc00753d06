"""Credentials for integrations: a key with scopes, stored as a hash, and its uses."""

import hashlib
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX = "gk_"


class Scope(models.TextChoices):
    """What a key may do beyond what anyone may (read published content)."""

    READ_UNPUBLISHED = (
        "content:read-unpublished",
        _(
            "content:read-unpublished — drafts, entries in review, scheduled and archived "
            "entries, and working copies"
        ),
    )
    WRITE = "content:write", _("content:write — create, change and delete content")
    INQUIRIES_READ = (
        "inquiries:read",
        _("inquiries:read — the advisory inquiries, with their personal data"),
    )


def secret_hash(key_text: str) -> str:
    """SHA-256 of the whole key text: a key is 32 random bytes, so no salt or slow hash
    is needed (nothing to guess from), and a lookup costs one hash."""
    return hashlib.sha256(key_text.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def usable(self, now: datetime | None = None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).exclude(expires_at__lte=now)


class ApiKey(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        EXPIRED = "expired", _("expired")
        REVOKED = "revoked", _("revoked")

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Who uses it, e.g. “Next.js front end (prod)”.")
    )
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("What it is for and who to ask before revoking it."),
    )
    prefix = models.CharField(
        _("prefix"),
        max_length=16,
        unique=True,
        editable=False,
        help_text=_("The part of the key after gk_ that is kept, to recognise it: gk_1a2b3c4d_…"),
    )
    secret_hash = models.CharField(_("hash of the key"), max_length=64, editable=False)
    scopes = models.CharField(
        _("scopes"),
        max_length=200,
        blank=True,
        help_text=_("Space-separated, e.g. “content:read-unpublished inquiries:read”."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="api_keys_created",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(
        _("expires"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a key that works until it is revoked."),
    )
    last_used_at = models.DateTimeField(
        _("last used"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("To the minute: recorded at most once a minute."),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="api_keys_revoked",
        verbose_name=_("revoked by"),
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.display_key})"

    def get_absolute_url(self) -> str:
        return reverse("admin:apikeys_apikey_change", args=[self.pk])

    @property
    def display_key(self) -> str:
        return f"{KEY_PREFIX}{self.prefix}_…"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scope_list

    def state(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at is not None and self.expires_at <= (now or timezone.now()):
            return self.State.EXPIRED
        return self.State.ACTIVE

    def clean(self) -> None:
        unknown = sorted(set(self.scope_list) - set(Scope.values))
        if unknown:
            raise ValidationError({"scopes": _("Unknown scopes: %s.") % ", ".join(unknown)})


class ApiKeyUse(models.Model):
    """One request made with a key (valid or not: a revoked key's tries are kept too),
    kept API_KEY_USE_RETENTION_DAYS days."""

    key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, related_name="uses", verbose_name=_("key")
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path and query"), max_length=500)
    status_code = models.PositiveSmallIntegerField(_("status"))
    network = models.CharField(
        _("client network"),
        max_length=40,
        blank=True,
        help_text=_(
            "A keyed hash of the client's address (its /64 for IPv6), as inquiries record "
            "it: equal for equal clients, not the address."
        ),
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("API key use")
        verbose_name_plural = _("API key uses")
        indexes = [models.Index(fields=["key", "-at"], name="apikeyuse_key_at")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status_code}"
