"""Everything that changes glossary content: publishing, archiving, import and export.

The admin actions, the management commands and (later) the API call these functions;
none of them writes content another way.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import term_links
from .audit import audit_record
from .history import revision_date, snapshot_of_revision
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
    normalize_text,
)
from .revisions import record_revision

FORMAT_NAME = "glossary/1"


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


@dataclass(frozen=True)
class RecordError:
    kind: str  # "file", "category", "reference" or "term"
    identity: str  # the record's slug or key, or its position when it has none
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.kind} {self.identity}" if self.identity else self.kind
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class ImportReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    errors: list[RecordError] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def summary(self) -> str:
        """What the import did, per kind: "categories: 1 created, 0 updated, 2 unchanged; …"."""
        return "; ".join(
            f"{plural}: {self.created[kind]} created, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            for kind, plural in (
                ("category", "categories"),
                ("reference", "references"),
                ("term", "terms"),
            )
        )


class GlossaryImportError(Exception):
    """The file had bad records; nothing was stored. ``report.errors`` lists each one."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__(f"{len(report.errors)} problem(s) in the glossary file; nothing stored.")


class _RecordInvalid(Exception):
    """Raised inside one record's import once its problems are recorded."""


CATEGORY_FIELDS = {"slug", "name", "description", "faqs"}
REFERENCE_FIELDS = {"key", "title", "publisher", "year", "url"}
INLINE_REFERENCE_FIELDS = REFERENCE_FIELDS - {"key"}
TERM_FIELDS = {
    "slug",
    "title",
    "aliases",
    "category",
    "status",
    "in_development",
    "summary",
    "definition",
    "why_it_matters",
    "key_considerations",
    "faqs",
    "references",
    "related",
    "cta",
    "published_at",
    "updated_at",
    # Added by the editorial workflow (still glossary/1: each is optional).
    "go_live_at",
    "take_down_at",
    "review_by",
    "reviewed_at",
}
# Times a term keeps as the file gives them, null included (null clears the stored one).
TERM_MOMENT_FIELDS = ("go_live_at", "take_down_at", "reviewed_at")
IMPORT_COMMAND = "manage.py import_glossary"
EXPORT_COMMAND = "manage.py export_glossary"
FAQ_FIELDS = {"question", "answer"}
CTA_FIELDS = {"heading", "body"}


def glossary_import(*, data: Any, dry_run: bool = False) -> ImportReport:
    """Import a glossary file (already parsed from JSON), all or nothing.

    Records are matched by identity (slug, or key for references) and rewritten only
    where they differ, so importing the same file twice changes nothing. Every bad
    record is reported with its identity and the reason; if there is any, the whole
    import is rolled back and ``GlossaryImportError`` is raised.

    Each term created or changed gets a revision (source "import"), and the import one
    audit entry with its counts, by the import command.
    """
    report = ImportReport()
    with transaction.atomic():
        with search_words_batched():
            _GlossaryImporter(report).run(data)
        if report.errors or dry_run:
            transaction.set_rollback(True)
        else:
            audit_record(
                AuditEntry.Action.IMPORT,
                source=Term.Source.IMPORT,
                actor_name=IMPORT_COMMAND,
                target_type="glossary",
                target_repr=FORMAT_NAME,
                detail=report.summary(),
            )
    if report.errors:
        raise GlossaryImportError(report)
    return report


class _GlossaryImporter:
    def __init__(self, report: ImportReport):
        self.report = report
        self._review_by = None
        self.id_for_slug: dict[str, int] = {}
        self.slugs_in_file: set[str] = set()
        # Texts linking to terms of the file not written yet: (kind, identity, instance,
        # field, text as in the file), given their ids once every term is written.
        self.links_later: list[tuple[str, str, Any, str, str]] = []

    def review_by(self) -> datetime.date:
        """The review-by date of a term published by this import (the same for all)."""
        if self._review_by is None:
            self._review_by = next_review_date()
        return self._review_by

    # Checking shapes ------------------------------------------------------------------

    def error(self, kind: str, identity: str, field_name: str | None, message: str) -> None:
        self.report.errors.append(RecordError(kind, identity, field_name, message))

    def check_keys(
        self, kind: str, identity: str, record: dict, allowed: set[str], required: set[str]
    ) -> bool:
        ok = True
        for name in sorted(set(record) - allowed):
            self.error(kind, identity, name, "unknown field (check the spelling)")
            ok = False
        for name in sorted(required):
            value = record.get(name)
            if not isinstance(value, str) or not value.strip():
                self.error(kind, identity, name, "is required")
                ok = False
        return ok

    def text(self, kind: str, identity: str, record: dict, name: str) -> str | None:
        """The stripped string under ``name``; None if absent or not a string (reported)."""
        if name not in record or record[name] is None:
            return None
        value = record[name]
        if not isinstance(value, str):
            self.error(kind, identity, name, "must be text")
            return None
        return value.strip()

    def text_list(self, kind: str, identity: str, record: dict, name: str) -> list[str] | None:
        if name not in record or record[name] is None:
            return None
        value = record[name]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.error(kind, identity, name, "must be a list of text")
            return None
        return [" ".join(item.split()) for item in value]

    def faq_list(self, kind: str, identity: str, record: dict) -> list[tuple[str, str]] | None:
        if "faqs" not in record or record["faqs"] is None:
            return None
        value = record["faqs"]
        if not isinstance(value, list):
            self.error(kind, identity, "faqs", "must be a list of question and answer pairs")
            return None
        faqs, ok = [], True
        for number, item in enumerate(value, start=1):
            where = f"faqs[{number}]"
            if not isinstance(item, dict):
                self.error(kind, identity, where, "must be an object with question and answer")
                ok = False
                continue
            for name in sorted(set(item) - FAQ_FIELDS):
                self.error(kind, identity, f"{where}.{name}", "unknown field (check the spelling)")
                ok = False
            question, answer = item.get("question"), item.get("answer")
            if not isinstance(question, str) or not question.strip():
                self.error(kind, identity, where, "has no question")
                ok = False
            if not isinstance(answer, str) or not answer.strip():
                self.error(kind, identity, where, "has no answer")
                ok = False
            if ok:
                faqs.append((" ".join(question.split()), answer.strip()))
        return faqs if ok else None

    def linked(self, kind: str, identity: str, where: str, text: str | None):
        """``text`` with its term links (by slug in a file) written by id, and whether it
        must wait for terms later in the file (then it is returned as the file has it)."""
        if not text:
            return text, False
        slugs = term_links.linked_slugs(text)
        for slug in slugs:
            if slug not in self.id_for_slug and slug not in self.slugs_in_file:
                self.error(kind, identity, where, f"links to no term with slug {slug!r}")
        if any(slug not in self.id_for_slug for slug in slugs):
            return text, True
        return term_links.with_ids(text, self.id_for_slug), False

    def link_later(self, kind: str, identity: str, instance, name: str, text: str) -> None:
        instance.term_links_checked_later = True
        self.links_later.append((kind, identity, instance, name, text))

    def write_links_later(self) -> None:
        """Now that every term of the file is written, give the links waiting for one
        their ids, and check them as any link is checked (the model's clean)."""
        waiting: dict[int, tuple[str, str, Any]] = {}
        for kind, identity, instance, name, text in self.links_later:
            setattr(instance, name, term_links.with_ids(text, self.id_for_slug))
            instance.term_links_checked_later = False
            waiting[id(instance)] = (kind, identity, instance)
        for kind, identity, instance in waiting.values():
            with contextlib.suppress(_RecordInvalid):
                self.validated_save(kind, identity, instance)

    def validation_errors(self, kind: str, identity: str, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field_name, messages in error.message_dict.items():
                for message in messages:
                    shown = None if field_name == "__all__" else field_name
                    self.error(kind, identity, shown, message)
        else:
            for message in error.messages:
                self.error(kind, identity, None, message)

    def validated_save(self, kind: str, identity: str, instance, *, exclude=None) -> None:
        """full_clean() then save() in a savepoint; problems are reported, not raised."""
        try:
            instance.full_clean(exclude=exclude)
            with transaction.atomic():
                instance.save()
        except ValidationError as error:
            self.validation_errors(kind, identity, error)
            raise _RecordInvalid from error
        except IntegrityError as error:
            self.error(kind, identity, None, f"conflicts with stored content ({error})")
            raise _RecordInvalid from error

    def count(self, kind: str, *, created: bool, changed: bool) -> None:
        if created:
            self.report.created[kind] += 1
        elif changed:
            self.report.updated[kind] += 1
        else:
            self.report.unchanged[kind] += 1

    # The file -------------------------------------------------------------------------

    def run(self, data: Any) -> None:
        if not isinstance(data, dict):
            self.error("file", "", None, "must be a JSON object with categories, references, terms")
            return
        for name in sorted(set(data) - {"format", "categories", "references", "terms"}):
            self.error("file", "", name, "unknown field (check the spelling)")
        if "format" in data and data["format"] != FORMAT_NAME:
            self.error("file", "", "format", f"must be {FORMAT_NAME!r}")
        sections = {}
        for name in ("categories", "references", "terms"):
            value = data.get(name) or []
            if not isinstance(value, list):
                self.error("file", "", name, "must be a list")
                value = []
            sections[name] = value
        if self.report.errors:
            return

        self.id_for_slug = dict(Term.objects.entries().values_list("slug", "pk"))
        self.slugs_in_file = {
            record["slug"].strip()
            for record in sections["terms"]
            if isinstance(record, dict) and isinstance(record.get("slug"), str)
        }
        for kind, name in (("category", "categories"), ("reference", "references")):
            for record, identity in self.identified(kind, sections[name]):
                with contextlib.suppress(_RecordInvalid):
                    getattr(self, f"import_{kind}")(record, identity)

        pending = []
        for record, identity in self.identified("term", sections["terms"]):
            with contextlib.suppress(_RecordInvalid):
                pending.append(self.import_term_fields(record, identity))
        self.write_links_later()
        # Children and related terms second: "related" may name terms later in the file.
        for term, record, identity, changed, created in pending:
            try:
                children_changed = self.import_term_children(
                    term, record, identity, changed=changed
                )
            except _RecordInvalid:
                continue
            self.count("term", created=created, changed=changed or children_changed)
            if created or changed or children_changed:
                record_revision(term, source=Term.Source.IMPORT, comment="Imported")

    def identified(self, kind: str, records: list):
        """Yield (record, identity) for each record with an identity not seen before."""
        identity_field = "key" if kind == "reference" else "slug"
        seen = set()
        for number, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                self.error(kind, f"#{number}", None, "must be an object")
                continue
            identity = record.get(identity_field)
            if not isinstance(identity, str) or not identity.strip():
                self.error(kind, f"#{number}", identity_field, "is required")
                continue
            identity = identity.strip()
            if identity in seen:
                self.error(kind, identity, identity_field, "appears more than once in the file")
                continue
            seen.add(identity)
            yield record, identity

    # Categories -----------------------------------------------------------------------

    def import_category(self, record: dict, slug: str) -> None:
        kind = "category"
        errors_before = len(self.report.errors)
        self.check_keys(kind, slug, record, CATEGORY_FIELDS, {"slug", "name"})
        name = self.text(kind, slug, record, "name")
        file_description = self.text(kind, slug, record, "description")
        description, description_later = self.linked(kind, slug, "description", file_description)
        faqs = self.faq_list(kind, slug, record)
        faqs_later = {}
        for number, (question, answer) in enumerate(faqs or [], start=1):
            linked, later = self.linked(kind, slug, f"faqs[{number}].answer", answer)
            faqs[number - 1] = (question, linked)
            if later:
                faqs_later[number] = answer
        if len(self.report.errors) > errors_before:
            raise _RecordInvalid

        category = Category.objects.filter(slug=slug).first()
        created = category is None
        if created:
            category = Category(slug=slug, order=Category.objects.count())
        wanted = {"name": name}
        if description is not None:
            wanted["description"] = description
        changed = _assign(category, wanted)
        if description_later:
            self.link_later(kind, slug, category, "description", file_description)
        if created or changed:
            self.validated_save(kind, slug, category)

        faqs_changed = False
        if faqs is not None:
            current = list(category.shared_faqs.values_list("question", "answer"))
            if current != faqs:
                category.shared_faqs.all().delete()
                for position, (question, answer) in enumerate(faqs, start=1):
                    faq = FAQ(category=category, question=question, answer=answer)
                    faq.position = position
                    if position in faqs_later:
                        self.link_later(kind, slug, faq, "answer", faqs_later[position])
                    self.validated_save(kind, slug, faq)
                faqs_changed = True
        self.count(kind, created=created, changed=changed or faqs_changed)

    # References -----------------------------------------------------------------------

    def import_reference(self, record: dict, key: str) -> None:
        kind = "reference"
        errors_before = len(self.report.errors)
        self.check_keys(kind, key, record, REFERENCE_FIELDS, {"key", "title"})
        wanted = self.reference_values(kind, key, record)
        if len(self.report.errors) > errors_before:
            raise _RecordInvalid
        reference = Reference.objects.filter(key=key).first()
        created = reference is None
        if created:
            reference = Reference(key=key)
        changed = _assign(reference, wanted)
        if created or changed:
            self.validated_save(kind, key, reference)
        self.count(kind, created=created, changed=changed)

    def reference_values(self, kind: str, identity: str, record: dict) -> dict:
        values = {}
        for name in ("title", "publisher", "url"):
            value = self.text(kind, identity, record, name)
            if value is not None:
                values[name] = value
        if "year" in record:
            year = record["year"]
            if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
                self.error(kind, identity, "year", "must be a whole number such as 2023")
            else:
                values["year"] = year
        return values

    def inline_reference(self, term_slug: str, number: int, item: dict) -> Reference:
        """Match an inline reference by URL, else by title and year; create it if new."""
        kind, where = "term", f"references[{number}]"
        errors_before = len(self.report.errors)
        for name in sorted(set(item) - INLINE_REFERENCE_FIELDS):
            self.error(kind, term_slug, f"{where}.{name}", "unknown field (check the spelling)")
        values = self.reference_values(kind, term_slug, item)
        if not values.get("title"):
            self.error(kind, term_slug, f"{where}.title", "is required")
        if len(self.report.errors) > errors_before:
            raise _RecordInvalid
        found = None
        if values.get("url"):
            found = Reference.objects.filter(url=values["url"]).first()
        if found is None:
            found = Reference.objects.filter(title=values["title"], year=values.get("year")).first()
        if found is not None:
            return found
        reference = Reference(key=_unique_reference_key(values), **values)
        try:
            reference.full_clean()
            with transaction.atomic():
                reference.save()
        except ValidationError as error:
            for field_name, messages in error.message_dict.items():
                for message in messages:
                    self.error(kind, term_slug, f"{where}.{field_name}", message)
            raise _RecordInvalid from error
        self.report.created["reference"] += 1
        return reference

    # Terms ----------------------------------------------------------------------------

    def import_term_fields(self, record: dict, slug: str):
        kind = "term"
        errors_before = len(self.report.errors)
        self.check_keys(kind, slug, record, TERM_FIELDS, {"slug", "title", "category"})

        wanted: dict[str, Any] = {}
        links_later: dict[str, str] = {}
        for name in ("title", "summary", "definition", "why_it_matters"):
            value = self.text(kind, slug, record, name)
            if name in ("definition", "why_it_matters"):
                value, later = self.linked(kind, slug, name, value)
                if later:
                    links_later[name] = value
            if value is not None:
                wanted[name] = value
        if "title" in wanted:
            wanted["title"] = " ".join(wanted["title"].split())  # as Term.clean() stores it
        aliases = self.text_list(kind, slug, record, "aliases")
        status = self.text(kind, slug, record, "status")
        if status is not None:
            if status not in Term.Status.values:
                choices = ", ".join(Term.Status.values)
                self.error(kind, slug, "status", f"must be one of {choices}, not {status!r}")
            wanted["status"] = status
        if "in_development" in record:
            if not isinstance(record["in_development"], bool):
                self.error(kind, slug, "in_development", "must be true or false")
            wanted["in_development"] = record["in_development"]
        if record.get("published_at") is not None:
            # null means "not given": publishing stamps the time once and keeps it.
            wanted["published_at"] = self.timestamp(slug, record, "published_at")
        if "updated_at" in record:
            self.timestamp(slug, record, "updated_at")  # checked; the CMS keeps its own
        for name in TERM_MOMENT_FIELDS:
            if name in record:
                wanted[name] = self.timestamp(slug, record, name)
        if "review_by" in record:
            wanted["review_by"] = self.date(slug, record, "review_by")
        if "cta" in record and record["cta"] is not None:
            cta = record["cta"]
            if not isinstance(cta, dict):
                self.error(kind, slug, "cta", "must be an object with heading and body")
            else:
                for name in sorted(set(cta) - CTA_FIELDS):
                    self.error(kind, slug, f"cta.{name}", "unknown field (check the spelling)")
                for name, model_field in (("heading", "cta_heading"), ("body", "cta_body")):
                    value = self.text(kind, slug, cta, name)
                    if name == "body":
                        value, later = self.linked(kind, slug, "cta.body", value)
                        if later:
                            links_later[model_field] = value
                    wanted[model_field] = value or ""

        category_slug = self.text(kind, slug, record, "category")
        category = Category.objects.filter(slug=category_slug).first() if category_slug else None
        if category_slug and category is None:
            self.error(kind, slug, "category", f"no category with slug {category_slug!r}")
        if len(self.report.errors) > errors_before:
            raise _RecordInvalid

        term = Term.objects.entries().filter(slug=slug).first()
        created = term is None
        if created:
            term = Term(slug=slug)
        changed = _assign(term, {**wanted, "category_id": category.pk})
        if aliases is not None:
            before = term.aliases
            term.set_aliases(aliases)
            changed = changed or term.aliases != before
        if term.status == Term.Status.SCHEDULED and term.go_live_at is None:
            self.error(kind, slug, "go_live_at", "is required when the status is scheduled")
            raise _RecordInvalid
        if term.is_published and term.review_by is None:
            # Every published entry has a review-by date; a file without one (glossary/1
            # before review-by dates) gets the one publishing would give.
            term.review_by = self.review_by()
            changed = True
        for name, text in links_later.items():
            self.link_later(kind, slug, term, name, text)
        if created or changed:
            self.validated_save(kind, slug, term)
        self.id_for_slug[slug] = term.pk
        return term, record, slug, changed, created

    def timestamp(self, slug: str, record: dict, name: str) -> datetime.datetime | None:
        value = record[name]
        if value is None:
            return None
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:  # well formed but no such time, e.g. 2026-02-30T10:00:00Z
            parsed = None
        if parsed is None:
            self.error("term", slug, name, "must be an ISO 8601 date and time")
            return None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, datetime.UTC)
        return parsed

    def date(self, slug: str, record: dict, name: str) -> datetime.date | None:
        value = record[name]
        if value is None:
            return None
        try:
            parsed = parse_date(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            self.error("term", slug, name, "must be an ISO 8601 date such as 2027-06-30")
        return parsed

    def import_term_children(self, term: Term, record: dict, slug: str, *, changed: bool) -> bool:
        """Replace the term's bullets, FAQs, citations and related terms where they differ."""
        kind = "term"
        errors_before = len(self.report.errors)
        considerations = self.text_list(kind, slug, record, "key_considerations")
        if considerations is not None:
            seen: dict[str, int] = {}
            for number, text in enumerate(considerations, start=1):
                folded = normalize_text(text)
                if not folded:
                    self.error(kind, slug, f"key_considerations[{number}]", "is empty")
                elif folded in seen:
                    self.error(
                        kind,
                        slug,
                        f"key_considerations[{number}]",
                        f"repeats key consideration {seen[folded]}: “{text}”",
                    )
                else:
                    seen[folded] = number
        faqs = self.faq_list(kind, slug, record)
        # Every term of the file is written by now: a link still waiting is to a term
        # whose record was refused (reported there; nothing is stored).
        answers_waiting = set()
        for number, (question, answer) in enumerate(faqs or [], start=1):
            linked, waiting = self.linked(kind, slug, f"faqs[{number}].answer", answer)
            faqs[number - 1] = (question, linked)
            if waiting:
                answers_waiting.add(number)
        references = self.term_references(term, record, slug)
        related = self.related_terms(term, record, slug)
        if len(self.report.errors) > errors_before:
            raise _RecordInvalid

        children_changed = False
        if considerations is not None:
            current = list(term.key_considerations.values_list("text", flat=True))
            if current != considerations:
                term.key_considerations.all().delete()
                for position, text in enumerate(considerations, start=1):
                    item = KeyConsideration(term=term, text=text, position=position)
                    self.validated_save(kind, slug, item)
                children_changed = True
        if faqs is not None:
            current = list(term.faqs.values_list("question", "answer"))
            if current != faqs:
                term.faqs.all().delete()
                for position, (question, answer) in enumerate(faqs, start=1):
                    faq = FAQ(term=term, question=question, answer=answer, position=position)
                    faq.term_links_checked_later = position in answers_waiting
                    self.validated_save(kind, slug, faq)
                children_changed = True
        if references is not None:
            current = list(term.citations.values_list("reference_id", flat=True))
            if current != [reference.pk for reference in references]:
                term.citations.all().delete()
                TermReference.objects.bulk_create(
                    TermReference(term=term, reference=reference, position=position)
                    for position, reference in enumerate(references, start=1)
                )
                children_changed = True
        if related is not None:
            current = set(term.related.values_list("pk", flat=True))
            if current != {other.pk for other in related}:
                term.related.set(related)
                children_changed = True
        if children_changed and not changed:
            term.save(update_fields=["updated_at"])
        return children_changed

    def term_references(self, term: Term, record: dict, slug: str) -> list[Reference] | None:
        if "references" not in record or record["references"] is None:
            return None
        items = record["references"]
        if not isinstance(items, list):
            self.error("term", slug, "references", "must be a list of reference keys or objects")
            return None
        resolved: list[Reference] = []
        for number, item in enumerate(items, start=1):
            try:
                if isinstance(item, str):
                    reference = Reference.objects.filter(key=item.strip()).first()
                    if reference is None:
                        self.error(
                            "term", slug, f"references[{number}]", f"no reference with key {item!r}"
                        )
                        continue
                elif isinstance(item, dict):
                    reference = self.inline_reference(slug, number, item)
                else:
                    self.error("term", slug, f"references[{number}]", "must be a key or an object")
                    continue
            except _RecordInvalid:
                continue
            if reference in resolved:
                self.error("term", slug, f"references[{number}]", "cites the same reference twice")
                continue
            resolved.append(reference)
        return resolved

    def related_terms(self, term: Term, record: dict, slug: str) -> list[Term] | None:
        slugs = self.text_list("term", slug, record, "related")
        if slugs is None:
            return None
        found = {other.slug: other for other in Term.objects.entries().filter(slug__in=slugs)}
        related = []
        for number, other_slug in enumerate(slugs, start=1):
            if other_slug == slug:
                self.error("term", slug, f"related[{number}]", "a term cannot be related to itself")
            elif other_slug not in found:
                self.error("term", slug, f"related[{number}]", f"no term with slug {other_slug!r}")
            else:
                related.append(found[other_slug])
        return related


def _assign(instance, values: dict) -> bool:
    """Set attributes that differ; return whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _unique_reference_key(values: dict) -> str:
    base = slugify(f"{values.get('title', '')} {values.get('year') or ''}")[:100] or "reference"
    key, suffix = base, 2
    while Reference.objects.filter(key=key).exists():
        key, suffix = f"{base}-{suffix}", suffix + 1
    return key


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

    def portable(text: str) -> str:
        return term_links.portable(text, slug_for_id)

    def faq_record(faq: FAQ) -> dict:
        return {"question": faq.question, "answer": portable(faq.answer)}

    categories = Category.objects.prefetch_related("shared_faqs").order_by("order", "name")
    return {
        "format": FORMAT_NAME,
        "categories": [
            {
                "slug": category.slug,
                "name": category.name,
                "description": portable(category.description),
                "faqs": [faq_record(faq) for faq in category.shared_faqs.all()],
            }
            for category in categories
        ],
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
        "terms": [
            {
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
                "faqs": [faq_record(faq) for faq in term.faqs.all()],
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
            for term in terms
        ],
    }


def _iso(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
