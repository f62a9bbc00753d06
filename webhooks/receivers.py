"""The content change feed (terms.changes) turned into webhook events."""

from django.dispatch import receiver

from terms.changes import content_changed

from . import services


@receiver(content_changed, dispatch_uid="webhooks.content_changed")
def content_changed_emit(sender, change, **kwargs):
    # After commit, at least once per change: the event ids make a repeat store nothing.
    if not change.is_empty:
        services.content_change_emit(change)
