"""Everything that changes glossary content: publishing, archiving, import and export.

The admin actions, the management commands and (later) the API call these functions;
none of them writes content another way.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import changes, term_links
from .audit import audit_record
from .history import revision_date, snapshot_of_revision
from .imports.records import FORMAT_NAME, GlossaryImportError, ImportReport, Progress
from .imports.write import GlossaryWriter
from .models import (
    FAQ,
    AuditEntry,
    Category,
    KeyConsideration,
    Reference,
    SiteSettings,
    Term,
    TermReference,
    TermRevision,
)
from .revisions import record_revision

# Publishing ---------------------------------------------------------------------------


# Both in a transaction, as every content write is: its first save moves the content
# generation, so concurrent content changes queue on that one row instead of deadlocking
# over the spelling lexicon's rows, which publishing and archiving count up and down.


def may_publish(user) -> bool:
    """Whether ``user`` may publish (None: a management command, which has full rights)."""
    return user is None or user.has_perm("terms.publish_term")


def _check_may_publish(user) -> None:
    if not may_publish(user):
        raise PermissionDenied(_("Publishing needs the “publish terms” permission (Publishers)."))


def _actor(user) -> dict:
    return {"user": user, "actor_name": "" if user is not None else "command"}


def next_review_date(moment: datetime.datetime | None = None) -> datetime.date:
    """When an entry published or reviewed at ``moment`` (now) is next due for review."""
    months = SiteSettings.load().review_interval_months
    day = timezone.localdate(moment or timezone.now())
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def _stamp_reviewed(entry: Term) -> None:
    """Reviewed now, due again after the interval. Publishing is a check of the entry too:
    whoever publishes has read what goes live."""
    now = timezone.now()
    entry.reviewed_at = now
    entry.review_by = next_review_date(now)


@transaction.atomic
def term_publish(*, term: Term, user=None, source: str = Term.Source.ADMIN) -> Term:
    """Publish a term, stamping its first publication time; refuses an empty definition
    and, for a user without the "publish terms" permission, refuses altogether.

    Publishing a working copy writes it onto its live entry (working_copy_publish) and
    returns the entry. Records a revision and an audit entry; sets the review-by date.
    """
    _check_may_publish(user)
    if term.is_working_copy:
        return working_copy_publish(copy=term, user=user, source=source)
    term.status = Term.Status.PUBLISHED
    term.go_live_at = None
    _stamp_reviewed(term)
    term.full_clean()
    term.save()
    record_revision(term, user=user, source=source, comment="Published")
    audit_record(AuditEntry.Action.PUBLISH, source=source, target=term, **_actor(user))
    return term


@transaction.atomic
def term_archive(*, term: Term, user=None, source: str = Term.Source.ADMIN) -> Term:
    """Take a term off the site (archived). Taking down is publishing's other half: it
    needs the same permission."""
    _check_may_publish(user)
    # A live entry's working copy stays: it can be published again later.
    entry = term.draft_of if term.is_working_copy else term
    entry.status = Term.Status.ARCHIVED
    entry.take_down_at = None
    entry.save(update_fields=["status", "take_down_at", "updated_at"])
    record_revision(entry, user=user, source=source, comment="Archived")
    audit_record(AuditEntry.Action.ARCHIVE, source=source, target=entry, **_actor(user))
    return entry


@transaction.atomic
def term_mark_reviewed(*, term: Term, user=None, source: str = Term.Source.ADMIN) -> Term:
    """An editor checked the entry: it is reviewed now and due again after the interval."""
    entry = term.draft_of if term.is_working_copy else term
    _stamp_reviewed(entry)
    entry.save(update_fields=["reviewed_at", "review_by", "updated_at"])
    audit_record(
        AuditEntry.Action.REVIEW,
        source=source,
        target=entry,
        detail=f"next review by {entry.review_by.isoformat()}",
        **_actor(user),
    )
    return entry


# Working copies -------------------------------------------------------------------------


# What a working copy holds of its entry: every field an editor writes.
COPIED_FIELDS = (
    "title",
    "slug",
    "aliases",
    "category_id",
    "summary",
    "definition",
    "why_it_matters",
    "in_development",
    "cta_heading",
    "cta_body",
)
CHILD_MODELS = ((KeyConsideration, "term"), (FAQ, "term"), (TermReference, "term"))


@transaction.atomic
def working_copy_start(*, entry: Term) -> Term:
    """The working copy of a published entry: its own if it has one, else a new one
    holding everything the entry shows (fields, bullets, FAQs, citations, related terms).

    Editing a published term edits this copy; readers keep seeing the entry until the copy
    is published onto it (working_copy_publish).
    """
    entry = Term.objects.select_for_update().get(pk=entry.pk)
    if entry.is_working_copy:
        return entry
    existing = entry.current_working_copy()
    if existing is not None:
        return existing
    copy = Term(draft_of=entry, status=Term.Status.DRAFT, published_at=entry.published_at)
    for name in COPIED_FIELDS:
        setattr(copy, name, getattr(entry, name))
    copy.save()
    _move_children(source=entry, target=copy, keep_source=True)
    copy.related.set(entry.related.all())
    # No audit entry: nothing has changed yet. The copy's first save records the edit.
    return copy


@transaction.atomic
def working_copy_publish(*, copy: Term, user=None, source: str = Term.Source.ADMIN) -> Term:
    """Write a working copy onto its live entry and delete the copy: one transaction, so
    readers see the old entry or the new one, never a mix. Returns the entry."""
    _check_may_publish(user)
    copy.full_clean(exclude=["status"])
    entry = Term.objects.select_for_update().get(pk=copy.draft_of_id)
    for name in COPIED_FIELDS:
        setattr(entry, name, getattr(copy, name))
    entry.status = Term.Status.PUBLISHED
    entry.go_live_at = None
    if copy.take_down_at is not None:  # a copy's take-down time is its entry's
        entry.take_down_at = copy.take_down_at
    _stamp_reviewed(entry)
    entry.full_clean()
    related = list(copy.related.all())
    _delete_children(entry)
    _move_children(source=copy, target=entry, keep_source=False)
    entry.save()
    entry.related.set(related)
    copy.delete()
    record_revision(entry, user=user, source=source, comment="Working copy published")
    audit_record(
        AuditEntry.Action.PUBLISH,
        source=source,
        target=entry,
        detail="working copy published",
        **_actor(user),
    )
    return entry


@transaction.atomic
def working_copy_discard(*, copy: Term, user=None, source: str = Term.Source.ADMIN) -> Term:
    """Drop a working copy's changes; returns its entry, unchanged."""
    entry = copy.draft_of
    copy.delete()
    audit_record(AuditEntry.Action.DISCARD, source=source, target=entry, **_actor(user))
    return entry


@dataclass
class Restored:
    """What revision_restore wrote (the working copy, or the unpublished term itself) and
    what of the revision it could not bring back."""

    term: Term
    warnings: list[str] = field(default_factory=list)


@transaction.atomic
def revision_restore(
    *, term_revision: TermRevision, user=None, source: str = Term.Source.ADMIN
) -> Restored:
    """Turn an old revision of an entry into its working copy, never straight into what
    readers see: a published entry's working copy (made if needed) takes the revision's
    content; an unpublished term takes it itself and keeps its status. References,
    related terms and a category deleted since are skipped (the warnings say which).
    Records a revision and an audit entry."""
    entry = Term.objects.select_for_update().get(pk=term_revision.entry_id)
    target = entry.current_working_copy()
    if target is None and entry.is_published:
        target = working_copy_start(entry=entry)
    target = target or entry
    snapshot = snapshot_of_revision(term_revision.revision)
    restored = Restored(term=target)

    for name in COPIED_FIELDS:
        value = snapshot.fields.get(name)
        if name == "category_id" and not Category.objects.filter(pk=value).exists():
            restored.warnings.append(
                _("Its category has been deleted since; the term keeps “%(category)s”.")
                % {"category": target.category}
            )
            continue
        if value is not None:
            setattr(target, name, value)
    target.full_clean()
    target.save()

    _delete_children(target)
    for row in snapshot.considerations:
        KeyConsideration.objects.create(term=target, **row)
    for row in snapshot.faqs:
        FAQ.objects.create(term=target, **row)
    wanted = {row["reference_id"] for row in snapshot.references}
    existing = set(Reference.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    for row in snapshot.references:
        if row["reference_id"] in existing:
            TermReference.objects.create(term=target, **row)
    if missing := len(wanted - existing):
        restored.warnings.append(
            _("%(count)d reference(s) it cited have been deleted since and were left out.")
            % {"count": missing}
        )
    related = list(Term.objects.entries().filter(pk__in=snapshot.fields["related"]))
    target.related.set(related)
    if missing := len(set(snapshot.fields["related"]) - {term.pk for term in related}):
        restored.warnings.append(
            _("%(count)d related term(s) have been deleted since and were left out.")
            % {"count": missing}
        )

    when = revision_date(term_revision.revision)
    record_revision(target, user=user, source=source, comment=f"Restored from revision of {when}")
    audit_record(
        AuditEntry.Action.RESTORE,
        source=source,
        target=target,
        detail=f"revision {term_revision.revision_id} of {when}"
        + (" into the working copy" if target.is_working_copy else ""),
        **_actor(user),
    )
    return restored


def _delete_children(term: Term) -> None:
    for model, fk_name in CHILD_MODELS:
        model.objects.filter(**{fk_name: term}).delete()


def _move_children(*, source: Term, target: Term, keep_source: bool) -> None:
    """Give ``target`` the bullets, own FAQs and citations of ``source``: copies of them
    (``keep_source``) or the rows themselves."""
    for model, fk_name in CHILD_MODELS:
        rows = model.objects.filter(**{fk_name: source}).order_by("position", "pk")
        if not keep_source:
            rows.update(**{fk_name: target})
            continue
        for row in rows:
            row.pk = None
            row._state.adding = True
            setattr(row, fk_name, target)
            row.save()


# Search -------------------------------------------------------------------------------


@contextlib.contextmanager
def search_words_batched():
    """Within the block (inside a transaction), count the words of changed terms into the
    spelling lexicon once, at its end, instead of at each save (PostgreSQL; migration
    terms/0012). For writes of many terms in one transaction: counting each term into
    the same rows of common words makes every save slower than the last. Searches in the
    block see the lexicon as it was before it."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('terms.search_words', 'batched', true)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('terms.search_words', '', true)")
        cursor.execute("SELECT terms_search_word_apply()")


# Import -------------------------------------------------------------------------------
# The parts live in terms/imports/: validate.py (the whole file, before any write),
# match.py (records matched to stored rows), write.py (the differences written in bulk).

IMPORT_COMMAND = "manage.py import_glossary"
EXPORT_COMMAND = "manage.py export_glossary"


def glossary_import(
    *,
    data: Any,
    dry_run: bool = False,
    progress: Progress | None = None,
    source: str = Term.Source.IMPORT,
    actor_name: str = IMPORT_COMMAND,
    revision_comment: str = "Imported",
    whole_document: bool = True,
) -> ImportReport:
    """Import a glossary file (already parsed from JSON), all or nothing.

    The whole file is validated first, without writing: if any record is bad, every bad
    record is reported with its identity and the reason, ``GlossaryImportError`` is
    raised and nothing has been written. Otherwise records are matched by identity (slug,
    or key for references) and rewritten only where they differ, so importing the same
    file twice changes nothing; what only a write reveals is reported the same way and
    the import rolled back.

    Each term created or changed gets a revision (source "import"), and the import one
    audit entry with its counts, by the import command; a file that changes nothing
    writes nothing else (no revision, no content-generation move). ``progress`` is told
    ("validated", records done, records) and ("written", terms done, terms) as it goes.

    ``source``, ``actor_name`` and ``revision_comment`` say who writes (the content write
    API: "api" and its key). ``whole_document=False``: the data is one entry written by
    terms.writes, not an import: no import audit entry (the caller records its own, in the
    same transaction) and no import account for the change feed (``imported`` stays None,
    so no glossary.imported webhook; the entry's own change is announced).
    """
    report = ImportReport()
    with transaction.atomic():
        with search_words_batched():
            GlossaryWriter(
                report,
                source=source,
                revision_comment=revision_comment,
                whole_document=whole_document,
            ).run(data, progress)
        if report.errors or dry_run:
            transaction.set_rollback(True)
        else:
            changes.attribute(source)  # a document of categories alone records no revision
            if whole_document:
                audit_record(
                    AuditEntry.Action.IMPORT,
                    source=source,
                    actor_name=actor_name,
                    target_type="glossary",
                    target_repr=FORMAT_NAME,
                    detail=report.summary(),
                )
    if report.errors:
        raise GlossaryImportError(report)
    return report


# Export -------------------------------------------------------------------------------


def glossary_export(*, statuses: list[str] | None = None) -> dict:
    """The whole glossary (or the terms with the given statuses) in the interchange format.

    Entries only: a live entry's working copy holds unpublished changes, not an entry of
    its own. Recorded in the audit log, by the export command."""
    terms = (
        Term.objects.entries()
        .select_related("category")
        .prefetch_related("key_considerations", "faqs", "citations__reference", "related")
    )
    if statuses:
        terms = terms.filter(status__in=statuses)
    terms = list(terms.order_by("slug"))
    exported_slugs = {term.slug for term in terms}
    audit_record(
        AuditEntry.Action.EXPORT,
        source=Term.Source.COMMAND,
        actor_name=EXPORT_COMMAND,
        target_type="glossary",
        target_repr=FORMAT_NAME,
        detail=f"terms: {len(terms)}"
        + (f" (status: {', '.join(sorted(statuses))})" if statuses else ""),
    )

    slug_for_id = dict(Term.objects.entries().values_list("pk", "slug"))
    categories = Category.objects.prefetch_related("shared_faqs").order_by("order", "name")
    return {
        "format": FORMAT_NAME,
        "categories": [category_record(category, slug_for_id) for category in categories],
        "references": [
            {
                "key": reference.key,
                "title": reference.title,
                "publisher": reference.publisher,
                "year": reference.year,
                "url": reference.url,
            }
            for reference in Reference.objects.order_by("key")
        ],
        "terms": [term_record(term, slug_for_id, exported_slugs) for term in terms],
    }


def category_record(category: Category, slug_for_id: dict[int, str]) -> dict:
    """A category as glossary/1 has it (its shared FAQs prefetched or read here)."""
    return {
        "slug": category.slug,
        "name": category.name,
        "description": term_links.portable(category.description, slug_for_id),
        "faqs": [_faq_record(faq, slug_for_id) for faq in category.shared_faqs.all()],
    }


def term_record(term: Term, slug_for_id: dict[int, str], exported_slugs: set[str]) -> dict:
    """A term as glossary/1 has it: links to terms by slug (``slug_for_id``), related terms
    among ``exported_slugs`` only (a file names no term it leaves out)."""

    def portable(text: str) -> str:
        return term_links.portable(text, slug_for_id)

    return {
        "slug": term.slug,
        "title": term.title,
        "aliases": term.alias_list,
        "category": term.category.slug,
        "status": term.status,
        "in_development": term.in_development,
        "summary": term.summary,
        "definition": portable(term.definition),
        "why_it_matters": portable(term.why_it_matters),
        "key_considerations": [item.text for item in term.key_considerations.all()],
        "faqs": [_faq_record(faq, slug_for_id) for faq in term.faqs.all()],
        "references": [citation.reference.key for citation in term.citations.all()],
        "related": sorted(
            other.slug for other in term.related.all() if other.slug in exported_slugs
        ),
        "cta": {"heading": term.cta_heading, "body": portable(term.cta_body)},
        "published_at": _iso(term.published_at),
        "updated_at": _iso(term.updated_at),
        "go_live_at": _iso(term.go_live_at),
        "take_down_at": _iso(term.take_down_at),
        "review_by": term.review_by.isoformat() if term.review_by else None,
        "reviewed_at": _iso(term.reviewed_at),
    }


def _faq_record(faq: FAQ, slug_for_id: dict[int, str]) -> dict:
    return {"question": faq.question, "answer": term_links.portable(faq.answer, slug_for_id)}


def _iso(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
