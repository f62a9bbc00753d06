"""What every part of the import shares: the report, its errors, the fields of the
glossary/1 format, and the checks of one record's shape (no database)."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from terms.models import Term

FORMAT_NAME = "glossary/1"

# Told (stage, done, total) as the import goes: stage "validated" (records) or "written" (terms).
Progress = Callable[[str, int, int], None]


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


class RecordInvalid(Exception):
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


class RecordChecks:
    """The checks of a record's shape, each reporting into ``report`` with the record's
    kind and identity (the wording the tests pin)."""

    def __init__(self, report: ImportReport):
        self.report = report

    def file_sections(self, data: Any) -> dict[str, list] | None:
        """The file's categories, references and terms; None if the file itself is bad."""
        if not isinstance(data, dict):
            self.error("file", "", None, "must be a JSON object with categories, references, terms")
            return None
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
        return None if self.report.errors else sections

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

    def validation_errors(self, kind: str, identity: str, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field_name, messages in error.message_dict.items():
                for message in messages:
                    shown = None if field_name == "__all__" else field_name
                    self.error(kind, identity, shown, message)
        else:
            for message in error.messages:
                self.error(kind, identity, None, message)

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

    def term_values(
        self, slug: str, record: dict, link: Callable[[str, str, str | None], str | None]
    ) -> tuple[dict[str, Any], list[str] | None, str | None]:
        """The term fields ``record`` gives, checked as the format says (errors reported):
        the model values, the aliases (None: not given) and the category's slug. Both
        passes read a record through this; ``link(field, where, text)`` gives the text to
        keep of a Markdown text that may link to terms (definition, why it matters, CTA
        body)."""
        kind = "term"
        self.check_keys(kind, slug, record, TERM_FIELDS, {"slug", "title", "category"})
        wanted: dict[str, Any] = {}
        for name in ("title", "summary", "definition", "why_it_matters"):
            value = self.text(kind, slug, record, name)
            if name in ("definition", "why_it_matters"):
                value = link(name, name, value)
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
                        value = link(model_field, "cta.body", value)
                    wanted[model_field] = value or ""
        return wanted, aliases, self.text(kind, slug, record, "category")

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
