"""Cache invalidation: every write to glossary content moves the content generation."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from .cache import content_changed
from .models import FAQ, Category, KeyConsideration, Reference, SiteSettings, Term, TermReference

CONTENT_MODELS = [Category, Term, KeyConsideration, FAQ, Reference, TermReference, SiteSettings]


def _content_changed(sender, **kwargs):
    content_changed()


def connect():
    for model in CONTENT_MODELS:
        post_save.connect(
            _content_changed, sender=model, dispatch_uid=f"content-save-{model.__name__}"
        )
        post_delete.connect(
            _content_changed, sender=model, dispatch_uid=f"content-delete-{model.__name__}"
        )
    m2m_changed.connect(
        _content_changed, sender=Term.related.through, dispatch_uid="content-related"
    )
