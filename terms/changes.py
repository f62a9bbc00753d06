"""The change feed: what the public can see that changed, announced once it has committed.

Every write to a model whose rows the public reads is noticed through model signals (the
models that also move the content generation, terms/apps.py). At a transaction's first
write to a term or a category, what the public saw of it is fingerprinted (its public
JSON, less the times of the write itself) into a ContentChangeRecord written in that same
transaction, so the record commits or rolls back with the change. After the commit the
record is announced: what the public sees now is fingerprinted again, and the difference
goes out as one ContentChange on the ``content_changed`` signal (webhooks, CDN purges).

A record not announced (the process died after the commit, the database failed just
then, a receiver failed) is announced by the worker's sweep (``changes_sweep``): every
change is announced at least once, so receivers must be idempotent by ``change.id``.

Writers that bypass model signals (the importer's bulk writes) say what they changed
themselves: ``report()``, with their writes inside ``untracked()``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal
from django.http import Http404
from django.utils import timezone

from .models import (
    FAQ,
    Category,
    ContentChangeRecord,
    KeyConsideration,
    Reference,
    SiteSettings,
    Term,
    TermReference,
)

logger = logging.getLogger("glossary.changes")

# Sent after the commit, outside any transaction, with ``change`` (a ContentChange), at
# least once per change; a receiver that raises has the change sent again by the sweep.
content_changed = Signal()


@dataclass(frozen=True)
class TermChange:
    id: int
    slug: str
    category: str | None  # the category's slug, now or (for a term gone) when last public
    category_id: int | None
    previous_slug: str | None = None  # a live term's slug before this change renamed it


@dataclass(frozen=True)
class CategoryChange:
    id: int
    slug: str


@dataclass(frozen=True)
class ContentChange:
    id: int  # the ContentChangeRecord's: stable across repeated announcements
    occurred_at: datetime
    source: str  # a Term.Source value
    published: tuple[TermChange, ...]  # public now, were not
    updated: tuple[TermChange, ...]  # public before and after; what the public sees changed
    unpublished: tuple[TermChange, ...]  # were public, are not (archived, taken down, deleted)
    categories: tuple[CategoryChange, ...]  # created, changed (shared FAQs too) or deleted
    imported: dict | None  # a glossary import's own summary; None for any other change
    settings_changed: bool  # site settings: every page may look different

    @property
    def is_empty(self) -> bool:
        """Nothing to announce (an import is announced even when it changed nothing)."""
        return not (
            self.published
            or self.updated
            or self.unpublished
            or self.categories
            or self.settings_changed
            or self.imported is not None
        )

    @property
    def terms(self) -> tuple[TermChange, ...]:
        return self.published + self.updated + self.unpublished


# Recording ------------------------------------------------------------------------------

_untracked: ContextVar[bool] = ContextVar("changes_untracked", default=False)
_outside_transactions = threading.local()  # a write outside any transaction: its record


@contextmanager
def untracked() -> Iterator[None]:
    """Within the block, model signals record nothing: for a writer that says itself what
    it changed (``report()``)."""
    token = _untracked.set(True)
    try:
        yield
    finally:
        _untracked.reset(token)


class _Pending:
    """The open transaction's record: registered as one of its on-commit callbacks, so the
    transaction's later writes find it again, and it is dropped with a rollback."""

    def __init__(self, record: ContentChangeRecord):
        self.record = record

    def __call__(self) -> None:
        announce_safely(self.record.pk)

    def add_terms(self, fingerprints: dict[int, dict | None]) -> None:
        self.record.terms_before |= {str(pk): print_ for pk, print_ in fingerprints.items()}
        self.record.save(update_fields=["terms_before"])

    def add_categories(self, fingerprints: dict[int, dict | None]) -> None:
        self.record.categories_before |= {str(pk): p for pk, p in fingerprints.items()}
        self.record.save(update_fields=["categories_before"])


def _open_pending(using: str) -> _Pending | None:
    for _ids, callback, _robust in connections[using].run_on_commit:
        if isinstance(callback, _Pending):
            return callback
    return None


def _pending(using: str) -> _Pending:
    if connections[using].in_atomic_block:
        pending = _open_pending(using)
        if pending is None:
            pending = _Pending(ContentChangeRecord.objects.using(using).create())
            transaction.on_commit(pending, using=using, robust=True)
        return pending
    # Autocommit: the record commits before the write, and is announced after it (by
    # the post_* signal; if the write fails, the sweep finds nothing changed).
    pending = _Pending(ContentChangeRecord.objects.using(using).create())
    _outside_transactions.pending = pending
    return pending


def _after_write_outside_transaction(using: str) -> None:
    pending = getattr(_outside_transactions, "pending", None)
    if pending is not None and not connections[using].in_atomic_block:
        _outside_transactions.pending = None
        pending()


def attribute(source: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Say where the open transaction's change comes from (a Term.Source value; "admin"
    unless said). Called where revisions are recorded, which always know it."""
    pending = _open_pending(using) if connections[using].in_atomic_block else None
    if pending is not None and pending.record.source != source:
        pending.record.source = source
        pending.record.save(update_fields=["source"])


def touch_terms(term_ids: Iterable[int], *, new: bool = False, using=DEFAULT_DB_ALIAS) -> None:
    """Before these terms are written: fingerprint what the public sees of each, unless
    this transaction did already (``new``: just created, so the public saw nothing)."""
    if _untracked.get():
        return
    term_ids = {pk for pk in term_ids if pk is not None}
    if not term_ids:
        return
    pending = _pending(using)
    fresh = term_ids - {int(pk) for pk in pending.record.terms_before}
    if fresh:
        pending.add_terms(dict.fromkeys(fresh) if new else _terms_seen(fresh))


def touch_categories(category_ids: Iterable[int], *, new=False, using=DEFAULT_DB_ALIAS) -> None:
    if _untracked.get():
        return
    category_ids = {pk for pk in category_ids if pk is not None}
    if not category_ids:
        return
    pending = _pending(using)
    fresh = category_ids - {int(pk) for pk in pending.record.categories_before}
    if fresh:
        pending.add_categories(dict.fromkeys(fresh) if new else _categories_seen(fresh))


def report(
    *,
    published: Iterable[int] = (),
    updated: Iterable[int] = (),
    unpublished: Iterable[tuple[int, str, int | None]] = (),
    categories: Iterable[int] = (),
    imported: dict | None = None,
    source: str | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """For a writer that bypasses model signals, inside its transaction: what it changed.
    ``published``/``updated``: term ids; ``unpublished``: (id, slug, category id) of terms
    the public no longer sees; ``categories``: ids; ``imported``: an import's summary."""
    if not connections[using].in_atomic_block:
        raise RuntimeError("report() is for a writer's open transaction.")
    pending = _pending(using)
    reported = pending.record.reported or {
        "published": [],
        "updated": [],
        "unpublished": [],
        "categories": [],
    }
    reported["published"] += list(published)
    reported["updated"] += list(updated)
    reported["unpublished"] += [list(row) for row in unpublished]
    reported["categories"] += list(categories)
    if imported is not None:
        reported["imported"] = imported
    pending.record.reported = reported
    fields = ["reported"]
    if source is not None:
        pending.record.source = source
        fields.append("source")
    pending.record.save(update_fields=fields)


# Fingerprints ---------------------------------------------------------------------------

# What changes with every write and so says nothing of the content (json_ld repeats the rest).
_NOT_CONTENT = ("updated_at", "reviewed_at", "json_ld")


def _digest(value) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _terms_seen(term_ids: Iterable[int]) -> dict[int, dict | None]:
    """What the public sees of each term: slug, category and a digest of its public JSON;
    None for a term it does not see (or that does not exist)."""
    from .api.serializers import term_public_json
    from .selectors import term_page

    seen: dict[int, dict | None] = dict.fromkeys(term_ids)
    rows = Term.objects.published().filter(pk__in=seen)
    token = _untracked.set(True)  # reading may create the site settings' row
    try:
        for pk, slug, category_id, category in rows.values_list(
            "pk", "slug", "category_id", "category__slug"
        ):
            try:
                public = term_public_json(term_page(slug=slug))
            except Http404:
                continue
            for name in _NOT_CONTENT:
                public.pop(name, None)
            seen[pk] = {
                "slug": slug,
                "category": category,
                "category_id": category_id,
                "digest": _digest(public),
            }
    finally:
        _untracked.reset(token)
    return seen


def _terms_public(term_ids: Iterable[int]) -> dict[int, dict | None]:
    """Of these terms, the slug and category of those the public sees; None for the rest."""
    public: dict[int, dict | None] = dict.fromkeys(term_ids)
    rows = Term.objects.published().filter(pk__in=public)
    for pk, slug, category_id, category in rows.values_list(
        "pk", "slug", "category_id", "category__slug"
    ):
        public[pk] = {"slug": slug, "category": category, "category_id": category_id}
    return public


def _categories_seen(category_ids: Iterable[int]) -> dict[int, dict | None]:
    seen: dict[int, dict | None] = dict.fromkeys(category_ids)
    faqs: dict[int, list] = {}
    for row in (
        FAQ.objects.filter(category_id__in=seen)
        .order_by("position", "pk")
        .values_list("category_id", "question", "answer")
    ):
        faqs.setdefault(row[0], []).append(row[1:])
    for pk, slug, *fields in Category.objects.filter(pk__in=seen).values_list(
        "pk", "slug", "name", "description", "order"
    ):
        seen[pk] = {"slug": slug, "digest": _digest([slug, *fields, faqs.get(pk, [])])}
    return seen


# Announcing -----------------------------------------------------------------------------


def difference(record: ContentChangeRecord) -> ContentChange:
    """What the public sees now that it did not before ``record``'s change."""
    before = {int(pk): seen for pk, seen in record.terms_before.items()}
    reported = record.reported or {}
    reported_ids = {*reported.get("published", []), *reported.get("updated", [])}
    # A writer's report says what changed: of those terms only where they are is read,
    # not their public JSON (an import may report 20,000).
    now = _terms_seen(before.keys()) | _terms_public(reported_ids - before.keys())
    published, updated, unpublished = {}, {}, {}
    for pk, was in before.items():
        seen = now[pk]
        if seen and not was:
            published[pk] = _term_change(pk, seen)
        elif was and not seen:
            unpublished[pk] = _term_change(pk, was)
        elif was and seen and was["digest"] != seen["digest"]:
            renamed_from = was["slug"] if was["slug"] != seen["slug"] else None
            updated[pk] = _term_change(pk, seen, previous_slug=renamed_from)
    for kind, into in (("published", published), ("updated", updated)):
        for pk in reported.get(kind, []):
            if now.get(pk) and pk not in before:
                into[pk] = _term_change(pk, now[pk])
    for pk, slug, category_id in reported.get("unpublished", []):
        if pk not in before and not now.get(pk):
            category = Category.objects.filter(pk=category_id).values_list("slug", flat=True)
            unpublished[pk] = TermChange(pk, slug, category.first(), category_id)
    categories_before = {int(pk): seen for pk, seen in record.categories_before.items()}
    reported_categories = set(reported.get("categories", []))
    categories_now = _categories_seen(categories_before.keys() | reported_categories)
    categories = []
    for pk, seen in sorted(categories_now.items()):
        was = categories_before.get(pk)
        if pk in categories_before and (was or {}).get("digest") == (seen or {}).get("digest"):
            continue
        slug = (seen or was or {}).get("slug")
        if slug:  # (a category reported by a writer and deleted since has none)
            categories.append(CategoryChange(pk, slug))
    return ContentChange(
        id=record.pk,
        occurred_at=record.created_at,
        source=record.source,
        published=tuple(published[pk] for pk in sorted(published)),
        updated=tuple(updated[pk] for pk in sorted(updated)),
        unpublished=tuple(unpublished[pk] for pk in sorted(unpublished)),
        categories=tuple(categories),
        imported=reported.get("imported"),
        settings_changed=record.settings_changed,
    )


def _term_change(pk: int, seen: dict, *, previous_slug: str | None = None) -> TermChange:
    return TermChange(pk, seen["slug"], seen["category"], seen["category_id"], previous_slug)


def announce(record_id: int) -> ContentChange | None:
    """Announce one committed record unless it was already; returns what was announced.
    If a receiver fails, the record stays due, for the sweep to announce again."""
    record = ContentChangeRecord.objects.filter(pk=record_id, announced_at__isnull=True).first()
    if record is None:
        return None
    change = difference(record)
    if not change.is_empty:
        failed = False
        for receiver, outcome in content_changed.send_robust(sender=ContentChange, change=change):
            if isinstance(outcome, Exception):
                failed = True
                logger.error(
                    "Content change %s: %s failed (%s); the sweep announces it again.",
                    record.pk,
                    getattr(receiver, "__qualname__", receiver),
                    outcome,
                    exc_info=outcome,
                )
        if failed:
            return change
    ContentChangeRecord.objects.filter(pk=record.pk).update(announced_at=timezone.now())
    return change


def announce_safely(record_id: int) -> None:
    """After a commit: announce now if possible; whatever fails is left to the sweep."""
    try:
        announce(record_id)
    except Exception:
        logger.warning(
            "Content change %s could not be announced now; the sweep will.",
            record_id,
            exc_info=True,
        )


def changes_sweep() -> int:
    """Announce the records left unannounced for CONTENT_CHANGE_SWEEP_SECONDS (younger
    than CONTENT_CHANGE_GIVE_UP_HOURS), and forget those announced long ago. Run by the
    worker (WORKER_SWEEPS). Returns how many it announced."""
    now = timezone.now()
    due = ContentChangeRecord.objects.filter(
        announced_at__isnull=True,
        created_at__lt=now - timedelta(seconds=settings.CONTENT_CHANGE_SWEEP_SECONDS),
    )
    give_up = now - timedelta(hours=settings.CONTENT_CHANGE_GIVE_UP_HOURS)
    abandoned = due.filter(created_at__lt=give_up).update(announced_at=now)
    if abandoned:
        logger.error("%s content changes could not be announced for a day; given up.", abandoned)
    announced = 0
    for record_id in due.order_by("pk").values_list("pk", flat=True)[:100]:
        if announce(record_id) is not None:
            announced += 1
    ContentChangeRecord.objects.filter(
        announced_at__lt=now - timedelta(days=settings.CONTENT_CHANGE_KEEP_DAYS)
    ).delete()
    return announced


# Watching the models ----------------------------------------------------------------------


def _term_saving(sender, instance, using, **kwargs):
    touch_terms([instance.pk], using=using)


def _term_saved(sender, instance, created, using, **kwargs):
    if created:
        touch_terms([instance.pk], new=True, using=using)
    _after_write_outside_transaction(using)


def _term_part_writing(sender, instance, using, **kwargs):
    touch_terms([instance.term_id], using=using)


def _faq_writing(sender, instance, using, **kwargs):
    touch_terms([instance.term_id], using=using)
    touch_categories([instance.category_id], using=using)


def _reference_writing(sender, instance, using, **kwargs):
    if instance.pk is not None:
        citing = TermReference.objects.using(using).filter(reference_id=instance.pk)
        touch_terms(citing.values_list("term_id", flat=True), using=using)


def _category_saving(sender, instance, using, **kwargs):
    touch_categories([instance.pk], using=using)


def _category_saved(sender, instance, created, using, **kwargs):
    if created:
        touch_categories([instance.pk], new=True, using=using)
    _after_write_outside_transaction(using)


def _settings_saved(sender, instance, using, **kwargs):
    if _untracked.get():
        return
    pending = _pending(using)
    if not pending.record.settings_changed:
        pending.record.settings_changed = True
        pending.record.save(update_fields=["settings_changed"])
    _after_write_outside_transaction(using)


def _written(sender, using, **kwargs):
    _after_write_outside_transaction(using)


def _related_changing(sender, instance, action, reverse, pk_set, using, **kwargs):
    if action.startswith("post_"):
        _after_write_outside_transaction(using)
        return
    ids = {instance.pk, *(pk_set or ())}
    if action == "pre_clear":
        through = sender.objects.using(using)
        column = "to_term_id" if reverse else "from_term_id"
        other = "from_term_id" if reverse else "to_term_id"
        ids |= set(through.filter(**{column: instance.pk}).values_list(other, flat=True))
    touch_terms(ids, using=using)


def track() -> None:
    """Watch every model whose rows the public reads (terms/apps.py calls this)."""
    pre_save.connect(_term_saving, sender=Term, dispatch_uid="changes-term-saving")
    post_save.connect(_term_saved, sender=Term, dispatch_uid="changes-term-saved")
    pre_delete.connect(_term_saving, sender=Term, dispatch_uid="changes-term-deleting")
    for model in (KeyConsideration, TermReference):
        name = model._meta.label
        pre_save.connect(_term_part_writing, sender=model, dispatch_uid=f"changes-{name}-save")
        pre_delete.connect(_term_part_writing, sender=model, dispatch_uid=f"changes-{name}-del")
    pre_save.connect(_faq_writing, sender=FAQ, dispatch_uid="changes-faq-saving")
    pre_delete.connect(_faq_writing, sender=FAQ, dispatch_uid="changes-faq-deleting")
    pre_save.connect(_reference_writing, sender=Reference, dispatch_uid="changes-ref-saving")
    pre_delete.connect(_reference_writing, sender=Reference, dispatch_uid="changes-ref-deleting")
    pre_save.connect(_category_saving, sender=Category, dispatch_uid="changes-category-saving")
    post_save.connect(_category_saved, sender=Category, dispatch_uid="changes-category-saved")
    pre_delete.connect(_category_saving, sender=Category, dispatch_uid="changes-category-del")
    post_save.connect(_settings_saved, sender=SiteSettings, dispatch_uid="changes-settings")
    for model in (KeyConsideration, TermReference, FAQ, Reference):
        post_save.connect(_written, sender=model, dispatch_uid=f"changes-{model._meta.label}-w")
    for model in (Term, KeyConsideration, TermReference, FAQ, Reference, Category):
        post_delete.connect(_written, sender=model, dispatch_uid=f"changes-{model._meta.label}-d")
    m2m_changed.connect(
        _related_changing, sender=Term.related.through, dispatch_uid="changes-related"
    )
