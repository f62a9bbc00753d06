"""The content change feed (terms.changes) turned into webhook events, by the worker.

The receiver runs in the process that made the change, right after its commit; it only
queues a task, so a change touching thousands of terms (each event carries the term's
JSON) never holds up the request that made it. Should the process die before the task is
queued, the feed's own sweep announces the change again.
"""

from dataclasses import asdict
from datetime import datetime

from django.dispatch import receiver

from terms.changes import CategoryChange, ContentChange, TermChange, content_changed

from .services import subscribers
from .tasks import emit_content_change


@receiver(content_changed, dispatch_uid="webhooks.content_changed")
def content_changed_queue(sender, change: ContentChange, **kwargs):
    if change.is_empty or not any(subscribers(kind) for kind in _kinds(change)):
        return
    emit_content_change.enqueue(change_to_json(change))


def _kinds(change: ContentChange) -> list[str]:
    if change.imported is not None:
        return ["glossary.imported"]
    kinds = []
    for kind, terms in (
        ("term.published", change.published),
        ("term.updated", change.updated),
        ("term.unpublished", change.unpublished),
        ("category.changed", change.categories),
    ):
        if terms:
            kinds.append(kind)
    return kinds


def change_to_json(change: ContentChange) -> dict:
    data = asdict(change)
    data["occurred_at"] = change.occurred_at.isoformat()
    return data


def change_from_json(data: dict) -> ContentChange:
    return ContentChange(
        **{
            **data,
            "occurred_at": datetime.fromisoformat(data["occurred_at"]),
            "published": tuple(TermChange(**term) for term in data["published"]),
            "updated": tuple(TermChange(**term) for term in data["updated"]),
            "unpublished": tuple(TermChange(**term) for term in data["unpublished"]),
            "categories": tuple(CategoryChange(**category) for category in data["categories"]),
        }
    )
