"""Revisions of terms, kept by django-reversion: every save of an entry or its working
copy records the whole entry (fields, related terms, and through ``follow`` its key
considerations, own FAQs and citations), who made it, when, why and from where."""

import json

import reversion
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from reversion.models import Revision, Version

from . import changes
from .models import FAQ, KeyConsideration, Term, TermReference, TermRevision

# What a revision leaves out: derived from what it keeps, or bookkeeping of the row.
TERM_FIELDS_NOT_KEPT = ["letter", "definition_html", "why_it_matters_html"]
TERM_FOLLOWS = ["key_considerations", "faqs", "citations"]
REGISTERED = {
    Term: {"follow": TERM_FOLLOWS, "exclude": TERM_FIELDS_NOT_KEPT},
    KeyConsideration: {"exclude": ["normalized_text"]},
    FAQ: {"exclude": ["answer_html"]},
    TermReference: {"exclude": []},
}
# Entries whose revisions record_revisions writes in one round of queries.
BULK_BATCH = 500


def register_models() -> None:
    """Called once, from the app's ready()."""
    for model, options in REGISTERED.items():
        reversion.register(model, **options)


def record_revision(term: Term, *, user=None, source: str, comment: str = "") -> None:
    """Record the term as it is now as a revision of its entry (in its own transaction,
    or in the caller's: a change and its revision commit together)."""
    changes.attribute(source)
    with reversion.create_revision(manage_manually=True):
        reversion.add_to_revision(term)
        if user is not None and user.is_authenticated:
            reversion.set_user(user)
        reversion.set_comment(comment)
        reversion.add_meta(
            TermRevision,
            entry_id=term.entry_id,
            of_working_copy=term.is_working_copy,
            source=source,
        )


def record_revisions(terms: list[Term], *, source: str, comment: str = "") -> None:
    """What record_revision records (without a user), for many terms at once as they are
    stored now: one revision each, written in bulk, a few queries per BULK_BATCH terms
    instead of several per term. The versions are django-reversion's own (its serializer,
    the fields and follows registered above), so histories read them as any other.

    What a term holds of its related terms and followed rows is read from the database,
    unless the caller has just written them and gives them as a prefetch would (in the
    term's prefetch cache, as lists)."""
    changes.attribute(source)
    content_types = ContentType.objects.get_for_models(*REGISTERED)
    now = timezone.now()
    for start in range(0, len(terms), BULK_BATCH):
        batch = terms[start : start + BULK_BATCH]
        prefetch_related_objects(
            batch,
            Prefetch("related", queryset=Term.objects.only("pk")),
            *TERM_FOLLOWS,
            "citations__reference",
        )
        revisions = Revision.objects.bulk_create(
            [Revision(date_created=now, comment=comment) for _term in batch]
        )
        kept = [
            (revision, row)
            for term, revision in zip(batch, revisions, strict=True)
            for row in [term, *(row for name in TERM_FOLLOWS for row in getattr(term, name).all())]
        ]
        versions = [
            Version(
                revision=revision,
                object_id=str(row.pk),
                content_type=content_types[type(row)],
                db=DEFAULT_DB_ALIAS,
                format="json",
                serialized_data=data,
                object_repr=str(row),
            )
            for (revision, row), data in zip(
                kept, _serialized([row for _r, row in kept]), strict=True
            )
        ]
        Version.objects.bulk_create(versions, batch_size=1000)
        TermRevision.objects.bulk_create(
            TermRevision(
                revision=revision,
                entry_id=term.entry_id,
                of_working_copy=term.is_working_copy,
                source=source,
            )
            for term, revision in zip(batch, revisions, strict=True)
        )


def _serialized(rows) -> list[str]:
    """Each row as django-reversion keeps it: Django's JSON serialization of the row
    alone, with the fields registered. Made by the Python serializer, one call per model
    (a call per row costs more than the row), with a term's related terms from the
    prefetched ones (the serializer would build a query per term)."""
    by_model: dict = {}
    for row in rows:
        by_model.setdefault(type(row), []).append(row)
    dumped = {}
    for model, model_rows in by_model.items():
        fields = [name for name in _kept_fields(model) if name != "related"]
        items = serializers.serialize("python", model_rows, fields=fields)
        for row, item in zip(model_rows, items, strict=True):
            if model is Term:
                item["fields"]["related"] = [other.pk for other in row.related.all()]
            dumped[id(row)] = json.dumps([item], cls=DjangoJSONEncoder, ensure_ascii=False)
    return [dumped[id(row)] for row in rows]


def _kept_fields(model) -> tuple[str, ...]:
    """The fields a version of ``model`` holds, as django-reversion reads REGISTERED."""
    opts = model._meta.concrete_model._meta
    excluded = REGISTERED[model]["exclude"]
    return tuple(
        field.name
        for field in opts.local_fields + opts.local_many_to_many
        if field.name not in excluded
    )
