"""What moves the content generation: any write to a model whose rows the public sees."""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from .generation import content_changed, content_will_change


def _before(sender, using, **kwargs):
    content_will_change(using)


def _after(sender, using, **kwargs):
    content_changed(using)


def _relation_changed(sender, action, using, **kwargs):
    if action.startswith("pre_"):
        content_will_change(using)
    else:
        content_changed(using)


def watch(*models, relations=()) -> None:
    """Move the generation whenever a row of ``models`` (or of the many-to-many
    ``relations``, their through models) is saved or deleted.

    Writes that send no signals (QuerySet.update(), bulk_create()) must call
    ``generation.content_changed()`` themselves.
    """
    for model in models:
        name = f"{model._meta.label}"
        pre_save.connect(_before, sender=model, dispatch_uid=f"httpcache-pre-save-{name}")
        post_save.connect(_after, sender=model, dispatch_uid=f"httpcache-save-{name}")
        pre_delete.connect(_before, sender=model, dispatch_uid=f"httpcache-pre-delete-{name}")
        post_delete.connect(_after, sender=model, dispatch_uid=f"httpcache-delete-{name}")
    for through in relations:
        m2m_changed.connect(
            _relation_changed,
            sender=through,
            dispatch_uid=f"httpcache-relation-{through._meta.label}",
        )
