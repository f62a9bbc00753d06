"""Writing one entry, a term or a category, as a glossary/1 record: the services of the
content write API (terms/api/writes.py).

One code path with the import: a write is a glossary/1 document holding that one record,
validated and written by ``terms.services.glossary_import``, so a record is refused with
the import's own errors and stored as the import stores it (a live entry in place, a
revision for each change, the change feed told in the same transaction). What this module
adds is what a file does not have: create against replace against merge, deletion, and the
entry's version (its ETag) checked under a row lock so that a lost update is refused.

- create: the record is a new entry; its slug must be free (EntryExists).
- replace (PUT): the record is the whole entry. Content it leaves out is emptied (aliases,
  texts, key considerations, FAQs, references, related terms, CTA; a category's
  description and FAQs), scheduled times cleared; the workflow state it leaves out is kept
  (status, publication and review times), so a PUT never takes an entry down by omission.
- merge (PATCH): each top-level field given replaces the stored one; the rest is kept
  (the stored record, as the exporter writes it, overlaid with the fields given).
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from . import changes
from .audit import audit_record
from .imports.records import FORMAT_NAME, GlossaryImportError, RecordError
from .models import AuditEntry, Category, Term
from .services import category_record, glossary_import, term_record

SOURCE = Term.Source.API


class Mode(enum.StrEnum):
    CREATE = "create"
    REPLACE = "replace"
    MERGE = "merge"


# What a PUT record that leaves a field out means: the value a new entry has.
TERM_REPLACED = {
    "aliases": [],
    "in_development": False,
    "summary": "",
    "definition": "",
    "why_it_matters": "",
    "key_considerations": [],
    "faqs": [],
    "references": [],
    "related": [],
    "cta": {"heading": "", "body": ""},
    "go_live_at": None,
    "take_down_at": None,
}
CATEGORY_REPLACED = {"description": "", "faqs": []}


class EntryNotFound(Exception):
    """No entry with that slug."""


class EntryExists(Exception):
    """A create named the slug of a stored entry."""


class PreconditionFailed(Exception):
    """If-Match named none of the entry's current version."""

    def __init__(self, etag: str):
        self.etag = etag
        super().__init__(f"The entry has changed: its version now is {etag}.")


class RecordRefused(Exception):
    """The record is bad; nothing was stored. ``errors`` as the import reports them."""

    def __init__(self, errors: list[RecordError]):
        self.errors = errors
        super().__init__("; ".join(map(str, errors)))


class CategoryInUse(Exception):
    """A category cannot be deleted while terms are in it."""

    def __init__(self, slug: str, terms: int):
        self.terms = terms
        super().__init__(
            f"Category {slug!r} has {terms} term(s) (working copies included); move them to "
            "another category or delete them first. Nothing was deleted."
        )


@dataclass(frozen=True)
class Version:
    """An entry as the write API shows it: its record, whether the public sees it, and
    the ETag of that record (any change of the record changes it)."""

    record: dict
    live: bool
    etag: str


def version_tag(record: dict) -> str:
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def _check_version(current: Version, if_match: list[str] | None) -> None:
    """``if_match``: the ETags of an If-Match header (None: not sent, nothing checked)."""
    if if_match is None or "*" in if_match or current.etag in if_match:
        return
    raise PreconditionFailed(current.etag)


# Terms --------------------------------------------------------------------------------


def _slug_for_id() -> dict[int, str]:
    return dict(Term.objects.entries().values_list("pk", "slug"))


def term_version(*, slug: str, lock: bool = False) -> Version | None:
    """The entry ``slug`` (any status; never a working copy) as a record, or None."""
    terms = (
        Term.objects.entries()
        .filter(slug=slug)
        .select_related("category")
        .prefetch_related("key_considerations", "faqs", "citations__reference", "related")
    )
    if lock:
        Term.objects.entries().select_for_update().filter(slug=slug).exists()
    term = terms.first()
    if term is None:
        return None
    slugs = _slug_for_id()
    record = term_record(term, slugs, set(slugs.values()))
    return Version(record=record, live=term.is_published, etag=version_tag(record))


def _with_slug(record: Any, kind: str, slug: str | None) -> Any:
    """The record with the address's slug; a record naming another one is refused."""
    if not isinstance(record, dict) or slug is None:
        return record
    given = record.get("slug", slug)
    if given != slug:
        raise RecordRefused(
            [
                RecordError(
                    kind,
                    slug,
                    "slug",
                    f"must be {slug!r}, the slug in the address (an entry is not renamed "
                    "through the API)",
                )
            ]
        )
    return {**record, "slug": slug}


def _prepared(record: Any, mode: Mode, stored: Version | None, replaced: dict) -> Any:
    if not isinstance(record, dict) or mode == Mode.CREATE:
        return record
    if mode == Mode.REPLACE:
        return {**replaced, **record}
    return {**stored.record, **record}


def _imported(document: dict, actor_name: str):
    try:
        return glossary_import(
            data={"format": FORMAT_NAME, **document},
            source=SOURCE,
            actor_name=actor_name,
            revision_comment=f"Written through the API by {actor_name}",
            whole_document=False,
        )
    except GlossaryImportError as error:
        raise RecordRefused(error.report.errors) from error


def _write_target(read, record, mode: Mode, slug: str | None, if_match):
    """The slug a write addresses (a creation's: the record's) and the stored version it
    replaces (None for a creation), read locked by ``read`` and checked as every write is:
    a creation must be new, anything else must exist and match ``if_match``."""
    if mode == Mode.CREATE:
        slug = record.get("slug") if isinstance(record, dict) else None
        slug = slug.strip() if isinstance(slug, str) else None
    stored = read(slug=slug, lock=True) if isinstance(slug, str) else None
    if mode == Mode.CREATE:
        if stored is not None:
            raise EntryExists(slug)
    else:
        if stored is None:
            raise EntryNotFound(slug)
        _check_version(stored, if_match)
    return slug, stored


@transaction.atomic
def term_write(
    *,
    record: Any,
    mode: Mode,
    actor_name: str,
    slug: str | None = None,
    if_match: list[str] | None = None,
) -> tuple[Version, bool]:
    """Create (``slug`` None: the record's), replace or merge the term ``slug`` through
    the import; returns its new version and whether anything changed. Audited as a
    create or an edit by ``actor_name`` (an API key) when something did."""
    record = _with_slug(record, "term", slug)
    slug, stored = _write_target(term_version, record, mode, slug, if_match)
    replaced = {} if mode == Mode.CREATE else {**TERM_REPLACED}
    report = _imported({"terms": [_prepared(record, mode, stored, replaced)]}, actor_name)
    written = term_version(slug=slug)
    changes.attribute(SOURCE)  # for the change feed (revisions say it too)
    if report.changed_anything:
        term = Term.objects.entries().get(slug=slug)
        audit_record(
            AuditEntry.Action.CREATE if stored is None else AuditEntry.Action.EDIT,
            source=SOURCE,
            target=term,
            actor_name=actor_name,
            detail=f"through the API ({mode}); status {term.status}",
        )
    return written, report.changed_anything


@transaction.atomic
def term_delete(*, slug: str, actor_name: str, if_match: list[str] | None = None) -> None:
    """Delete the entry ``slug`` with its working copy (a live one is taken down)."""
    stored = term_version(slug=slug, lock=True)
    if stored is None:
        raise EntryNotFound(slug)
    _check_version(stored, if_match)
    term = Term.objects.entries().get(slug=slug)
    audit_record(
        AuditEntry.Action.DELETE,
        source=SOURCE,
        target=term,
        actor_name=actor_name,
        detail=f"through the API; was {term.status}",
    )
    term.delete()
    changes.attribute(SOURCE)


# Categories ---------------------------------------------------------------------------


def category_version(*, slug: str, lock: bool = False) -> Version | None:
    categories = Category.objects.filter(slug=slug)
    if lock:
        categories = categories.select_for_update()
    category = categories.first()
    if category is None:
        return None
    record = category_record(category, _slug_for_id())
    return Version(record=record, live=True, etag=version_tag(record))


@transaction.atomic
def category_write(
    *,
    record: Any,
    mode: Mode,
    actor_name: str,
    slug: str | None = None,
    if_match: list[str] | None = None,
) -> tuple[Version, bool]:
    """As term_write, for a category and its shared FAQs."""
    record = _with_slug(record, "category", slug)
    slug, stored = _write_target(category_version, record, mode, slug, if_match)
    report = _imported(
        {"categories": [_prepared(record, mode, stored, CATEGORY_REPLACED)]}, actor_name
    )
    changes.attribute(SOURCE)
    if report.changed_anything:
        audit_record(
            AuditEntry.Action.CREATE if stored is None else AuditEntry.Action.EDIT,
            source=SOURCE,
            target=Category.objects.get(slug=slug),
            actor_name=actor_name,
            detail=f"through the API ({mode})",
        )
    return category_version(slug=slug), report.changed_anything


@transaction.atomic
def category_delete(*, slug: str, actor_name: str, if_match: list[str] | None = None) -> None:
    """Delete an empty category with its shared FAQs; one with terms is refused."""
    stored = category_version(slug=slug, lock=True)
    if stored is None:
        raise EntryNotFound(slug)
    _check_version(stored, if_match)
    category = Category.objects.get(slug=slug)
    terms = Term.objects.filter(category=category).count()
    if terms:
        raise CategoryInUse(slug, terms)
    audit_record(
        AuditEntry.Action.DELETE,
        source=SOURCE,
        target=category,
        actor_name=actor_name,
        detail="through the API",
    )
    category.delete()
    changes.attribute(SOURCE)
