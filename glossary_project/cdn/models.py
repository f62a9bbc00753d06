from django.db import models
from django.utils.translation import gettext_lazy as _


class Purge(models.Model):
    """One purge of one content change at one backend (CDN_PURGE_BACKENDS), kept until
    the backend confirmed it: the worker retries it with backoff, and its sweep finds one
    whose task was lost."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RETRYING = "retrying", _("retrying")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    change_id = models.BigIntegerField(
        _("change"), help_text=_("The change feed's id of the content change, e.g. 42.")
    )
    round = models.PositiveSmallIntegerField(
        _("round"),
        default=1,
        help_text=_("1: the purge after the change; 2: the same purge CDN_REPURGE_SECONDS later."),
    )
    backend = models.CharField(
        _("backend"),
        max_length=300,
        help_text=_("As CDN_PURGE_BACKENDS names it, e.g. varnish:http://10.0.0.5:6081."),
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    everything = models.BooleanField(_("purge everything"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cache purge")
        verbose_name_plural = _("cache purges")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["change_id", "backend", "round"], name="cdn_purge_once_per_change"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="cdn_purge_due")]

    def __str__(self) -> str:
        what = "everything" if self.everything else f"{len(self.tags)} tags"
        return f"Purge of change {self.change_id} ({what}) at {self.backend}: {self.status}"
