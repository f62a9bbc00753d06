"""An entry's history: its revisions (of the live entry and of its working copy), the
state each one holds, and a field-by-field, row-by-row comparison of any two states.

Revision data is read through django-reversion's public API (``revision.version_set``,
``Version.field_dict``); the current entry and its working copy are read from their rows,
so "the working copy now" compares with "live now" exactly as two revisions do.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reversion.models import Revision, Version

from .models import FAQ, Category, KeyConsideration, Reference, Term, TermReference, TermRevision

# The fields a comparison shows, in the order of the form, with the names editors know.
COMPARED_FIELDS = (
    ("title", gettext_lazy("title")),
    ("slug", gettext_lazy("slug")),
    ("aliases", gettext_lazy("aliases")),
    ("category_id", gettext_lazy("category")),
    ("summary", gettext_lazy("summary")),
    ("definition", gettext_lazy("definition")),
    ("why_it_matters", gettext_lazy("why it matters")),
    ("in_development", gettext_lazy("in development")),
    ("cta_heading", gettext_lazy("call-to-action heading")),
    ("cta_body", gettext_lazy("call-to-action text")),
    ("related", gettext_lazy("related terms")),
)
# What each kind of inline row holds, and what a revision's row dictionary calls it.
ROW_FIELDS = {
    KeyConsideration: ("text", "position"),
    FAQ: ("question", "answer", "position"),
    TermReference: ("reference_id", "position"),
}


@dataclass
class Snapshot:
    """One state of an entry: a revision of it, or the entry or its working copy now.

    ``fields`` holds COMPARED_FIELDS by attribute name (``category_id``; ``related`` a
    list of term ids); each row list holds dictionaries of ROW_FIELDS, in page order.
    """

    label: str
    when: datetime.datetime
    fields: dict[str, Any]
    considerations: list[dict] = field(default_factory=list)
    faqs: list[dict] = field(default_factory=list)
    references: list[dict] = field(default_factory=list)
    # Live "now" sorts before the working copy "now": the copy is the newer state.
    order: int = 0


def entry_of(term: Term) -> Term:
    return term.draft_of if term.is_working_copy else term


def entry_revisions(entry: Term) -> QuerySet[TermRevision]:
    """The revisions of an entry and of its working copies, newest first, each with its
    revision, author and the term's version (for the status it had)."""
    term_versions = Version.objects.filter(content_type=ContentType.objects.get_for_model(Term))
    return (
        TermRevision.objects.filter(entry=entry)
        .select_related("revision__user")
        .prefetch_related(
            Prefetch("revision__version_set", queryset=term_versions, to_attr="term_versions")
        )
    )


def revision_label(term_revision: TermRevision) -> str:
    """ "working copy", "live", or what the entry was then (draft, in review...); for a
    row of entry_revisions, which prefetches the term's version."""
    if term_revision.of_working_copy:
        return _("working copy")
    versions = term_revision.revision.term_versions
    status = versions[0].field_dict.get("status") if versions else None
    if status in (None, Term.Status.PUBLISHED):
        return _("live")
    return str(Term.Status(status).label) if status in Term.Status.values else status


def revision_date(revision: Revision) -> str:
    return timezone.localtime(revision.date_created).strftime("%Y-%m-%d %H:%M")


def snapshot_of_revision(revision: Revision) -> Snapshot:
    """The entry as a revision recorded it: the term's fields and its followed rows."""
    terms = _versions_of(revision, Term)
    if not terms:
        raise ValueError(f"revision {revision.pk} holds no term")
    data = terms[0].field_dict
    snapshot = Snapshot(
        label=_("revision of %(date)s") % {"date": revision_date(revision)},
        when=revision.date_created,
        fields={name: data.get(name) for name, _label in COMPARED_FIELDS},
    )
    snapshot.fields["related"] = sorted(int(pk) for pk in data.get("related") or [])
    snapshot.considerations = _rows_of(revision, KeyConsideration)
    snapshot.faqs = _rows_of(revision, FAQ)
    snapshot.references = _rows_of(revision, TermReference)
    return snapshot


def snapshot_of_term(term: Term, *, label: str) -> Snapshot:
    """The entry or working copy as it is stored now."""
    snapshot = Snapshot(
        label=label,
        when=timezone.now(),
        fields={name: getattr(term, name) for name, _label in COMPARED_FIELDS if name != "related"},
        order=1 if term.is_working_copy else 0,
    )
    snapshot.fields["related"] = sorted(term.related.values_list("pk", flat=True))
    for attribute, model in (
        ("considerations", KeyConsideration),
        ("faqs", FAQ),
        ("references", TermReference),
    ):
        rows = model.objects.filter(term=term).order_by("position", "pk")
        setattr(snapshot, attribute, list(rows.values(*ROW_FIELDS[model])))
    return snapshot


def _versions_of(revision: Revision, model) -> list[Version]:
    content_type = ContentType.objects.get_for_model(model)
    return list(revision.version_set.filter(content_type=content_type).order_by("pk"))


def _rows_of(revision: Revision, model) -> list[dict]:
    rows = [version.field_dict for version in _versions_of(revision, model)]
    rows.sort(key=lambda row: (row.get("position") or 0, int(row.get("id") or 0)))
    return [{name: row.get(name) for name in ROW_FIELDS[model]} for row in rows]


# Comparing ----------------------------------------------------------------------------

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"
# How alike (difflib's ratio) two rows must be to count as one row changed.
ALIKE = 0.5


@dataclass
class FieldChange:
    label: str
    old: str
    new: str

    @property
    def state(self) -> str:
        return UNCHANGED if self.old == self.new else CHANGED


@dataclass
class RowChange:
    state: str
    old: str = ""
    new: str = ""
    old_position: int | None = None
    new_position: int | None = None


@dataclass
class InlineChanges:
    label: str
    rows: list[RowChange]

    @property
    def changed(self) -> bool:
        return any(row.state != UNCHANGED for row in self.rows)


@dataclass
class Comparison:
    old: Snapshot
    new: Snapshot
    fields: list[FieldChange]
    inlines: list[InlineChanges]

    @property
    def changed(self) -> bool:
        return any(f.state == CHANGED for f in self.fields) or any(i.changed for i in self.inlines)


def in_order(first: Snapshot, second: Snapshot) -> tuple[Snapshot, Snapshot]:
    """The older state first (live before its working copy when both are "now")."""
    return tuple(sorted((first, second), key=lambda snapshot: (snapshot.when, snapshot.order)))


def compare(old: Snapshot, new: Snapshot) -> Comparison:
    names = _Names.for_snapshots(old, new)
    fields = [
        FieldChange(
            str(label),
            names.field(name, old.fields.get(name)),
            names.field(name, new.fields.get(name)),
        )
        for name, label in COMPARED_FIELDS
    ]
    inlines = [
        InlineChanges(
            _("key considerations"),
            diff_rows(
                old.considerations,
                new.considerations,
                key=lambda row: " ".join(row["text"].split()).casefold(),
                text=lambda row: row["text"],
            ),
        ),
        InlineChanges(
            _("common questions (this term only)"),
            diff_rows(
                old.faqs,
                new.faqs,
                key=lambda row: " ".join(row["question"].split()).casefold(),
                text=lambda row: f"{row['question']}\n{row['answer']}",
            ),
        ),
        InlineChanges(
            _("references"),
            diff_rows(
                old.references,
                new.references,
                key=lambda row: row["reference_id"],
                text=lambda row: names.reference(row["reference_id"]),
                reworded=False,
            ),
        ),
    ]
    return Comparison(old=old, new=new, fields=fields, inlines=inlines)


def diff_rows(
    old: list[dict],
    new: list[dict],
    *,
    key: Callable[[dict], Any],
    text: Callable[[dict], str],
    reworded: bool = True,
) -> list[RowChange]:
    """Rows of two states paired up: by what identifies them (a bullet's text, an FAQ's
    question, the reference cited), else with the most alike of the rows left (a bullet
    reworded is changed, at its place first); what is left is added or removed. Row ids
    say nothing across revisions (the admin rewrites a changed row as a new one, a working
    copy has its own rows), so they are not used. In the new state's order, then the
    removed rows. ``reworded=False``: a row is only ever itself (a citation of another
    reference is another row)."""
    unmatched_old = list(old)
    pairs: list[tuple[dict | None, dict]] = []
    for row in new:
        match = next((candidate for candidate in unmatched_old if key(candidate) == key(row)), None)
        if match is not None:
            unmatched_old.remove(match)
        pairs.append((match, row))
    for index, (match, row) in enumerate(pairs):
        if match is not None or not unmatched_old or not reworded:
            continue
        likeness, _place, closest = max(
            (
                SequenceMatcher(None, text(candidate), text(row)).ratio(),
                candidate.get("position") == row.get("position"),
                number,
            )
            for number, candidate in enumerate(unmatched_old)
        )
        if likeness >= ALIKE:
            pairs[index] = (unmatched_old.pop(closest), row)

    changes = []
    for before, after in pairs:
        if before is None:
            changes.append(RowChange(ADDED, new=text(after), new_position=after.get("position")))
            continue
        same = text(before) == text(after) and before.get("position") == after.get("position")
        changes.append(
            RowChange(
                UNCHANGED if same else CHANGED,
                old=text(before),
                new=text(after),
                old_position=before.get("position"),
                new_position=after.get("position"),
            )
        )
    changes += [
        RowChange(REMOVED, old=text(row), old_position=row.get("position")) for row in unmatched_old
    ]
    return changes


@dataclass
class _Names:
    """Titles for the ids a snapshot holds, read once for both states; what has been
    deleted since is named as such."""

    categories: dict[int, str]
    terms: dict[int, str]
    references: dict[int, str]

    @classmethod
    def for_snapshots(cls, *snapshots: Snapshot) -> _Names:
        category_ids = {s.fields.get("category_id") for s in snapshots} - {None}
        term_ids = {pk for s in snapshots for pk in s.fields.get("related") or []}
        reference_ids = {row["reference_id"] for s in snapshots for row in s.references}
        return cls(
            categories=dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name")),
            terms=dict(Term.objects.entries().filter(pk__in=term_ids).values_list("pk", "title")),
            references={
                reference.pk: str(reference)
                for reference in Reference.objects.filter(pk__in=reference_ids)
            },
        )

    def field(self, name: str, value: Any) -> str:
        if name == "category_id":
            if value is None:
                return ""
            return self.categories.get(value) or _("(deleted category)")
        if name == "related":
            titles = [self.terms.get(pk) or _("(deleted term)") for pk in value or []]
            return "\n".join(sorted(titles, key=str.casefold))
        if name == "in_development":
            return _("yes") if value else _("no")
        return "" if value is None else str(value)

    def reference(self, pk: int) -> str:
        return self.references.get(pk) or _("(deleted reference)")
