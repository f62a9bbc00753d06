"""The write pass: a file validated (``validate``) and matched to what is stored
(``match``) is written in bulk, in the caller's transaction: inserts and updates of many
rows per statement, only of the rows that differ, each kind of row in one round.

Bulk writes send no model signals, so this pass does itself what the signals would: it
moves the content generation once (before its first write), writes the derived columns
(rendered HTML, the index letter, TermName rows, folded key considerations), records a
revision of each term created or changed (``revisions.record_revisions``) and tells the
change feed what changed. The search copies are kept by the database's own triggers
(PostgreSQL and SQLite), which run for bulk inserts and updates as for any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from glossary_project.httpcache.generation import content_changed
from terms import changes, term_links
from terms.models import (
    FAQ,
    Category,
    KeyConsideration,
    Reference,
    Term,
    TermName,
    TermReference,
    index_letter,
    normalize_text,
)
from terms.revisions import record_revisions

from .match import GlossaryMatcher, Matched, TermMatch
from .records import ImportReport, Progress, RecordError
from .render import Renderer
from .validate import GlossaryValidator

# Rows per INSERT or UPDATE statement, and terms whose inlines are written per round
# (each round ends with a progress report).
BATCH = 500
TERM_FIELDS_WRITTEN = [
    "title",
    "aliases",
    "category",
    "summary",
    "definition",
    "why_it_matters",
    "status",
    "in_development",
    "published_at",
    "go_live_at",
    "take_down_at",
    "review_by",
    "reviewed_at",
    "cta_heading",
    "cta_body",
    "letter",
    "definition_html",
    "why_it_matters_html",
    "updated_at",
]
HTML_OF = {"definition": "definition_html", "why_it_matters": "why_it_matters_html"}


class GlossaryWriter:
    """Writes a glossary file: validation first (a file it refuses writes nothing and
    the report lists why), then matching, then the bulk writes."""

    def __init__(self, report: ImportReport):
        self.report = report

    def run(self, data: Any, progress: Progress | None = None) -> None:
        GlossaryValidator(self.report).run(data, progress)
        if self.report.errors:
            return
        matched = GlossaryMatcher(self.report).run(data)
        try:
            with transaction.atomic():  # refused, it leaves the caller's transaction usable
                self.write(matched, progress)
        except IntegrityError as error:  # what only the database knows (a concurrent write)
            message = f"conflicts with stored content ({error})"
            self.report.errors.append(RecordError("file", "", None, message))

    def write(self, matched: Matched, progress: Progress | None = None) -> None:
        self.now = timezone.now()
        self.id_for_slug = dict(matched.stored_ids)
        self.entries = matched.entries
        with Renderer(self.texts_to_render(matched)) as self.render:
            if matched.writes_anything:
                content_changed()  # once, before the first write, as a save's signal would
                with changes.untracked():
                    self.write_categories(matched)
                    self.write_references(matched)
                    self.write_terms(matched)
                    self.write_links_later(matched)
                    self.write_category_faqs(matched)
                    _delete(TermName.objects, matched.stale_names)
            written_terms = 0
            for start in range(0, len(matched.terms), BATCH):
                chunk = matched.terms[start : start + BATCH]
                if any(match.written for match in chunk):
                    with changes.untracked():
                        self.write_term_inlines(chunk)
                    record_revisions(
                        [match.term for match in chunk if match.written],
                        source=Term.Source.IMPORT,
                        comment="Imported",
                    )
                    for match in chunk:  # what the revisions needed, no longer
                        match.term.__dict__.pop("_prefetched_objects_cache", None)
                written_terms += len(chunk)
                if progress is not None:
                    progress("written", written_terms, len(matched.terms))
        report_to_change_feed(matched)

    def texts_to_render(self, matched: Matched) -> Iterator[str]:
        """The Markdown this pass will render, in the order it will (render.Renderer),
        leaving out texts linking to terms not written yet."""
        changed = [match for match in matched.terms if match.changed and not match.created]
        for match in [*changed, *(match for match in matched.terms if match.created)]:
            for name in HTML_OF:
                yield getattr(match.term, name)
        faqs = [match.faqs for match in matched.categories if match.faqs is not None]
        faqs += [match.faqs for match in matched.terms if match.faqs is not None]
        for faq_list in faqs:
            for _question, answer in faq_list:
                if "term:" not in answer.lower():
                    yield answer

    # Categories and references --------------------------------------------------------

    def write_categories(self, matched: Matched) -> None:
        new = [match.category for match in matched.categories if match.created]
        changed = [
            match.category for match in matched.categories if match.changed and not match.created
        ]
        for category in changed:
            category.updated_at = self.now
        Category.objects.bulk_update(changed, ["name", "description", "updated_at"], BATCH)
        Category.objects.bulk_create(new, BATCH)

    def write_references(self, matched: Matched) -> None:
        # Changed first: a new reference may take the web address a stored one gives up.
        changed = [reference for reference in matched.references if reference.pk is not None]
        for reference in changed:
            reference.updated_at = self.now
        Reference.objects.bulk_update(
            changed, ["title", "publisher", "year", "url", "updated_at"], BATCH
        )
        Reference.objects.bulk_create(
            [reference for reference in matched.references if reference.pk is None], BATCH
        )

    # Terms ----------------------------------------------------------------------------

    def write_terms(self, matched: Matched) -> None:
        """The terms' own rows: the changed first (a new term may take a title one of them
        gives up), then the new ones, whose ids the term links and inlines need."""
        changed = [match for match in matched.terms if match.changed and not match.created]
        for match in changed:
            self.derive(match.term)
            match.term.updated_at = self.now
        Term.objects.bulk_update([m.term for m in changed], TERM_FIELDS_WRITTEN, BATCH)
        new = [match for match in matched.terms if match.created]
        for start in range(0, len(new), BATCH):  # render.Renderer works on while one is written
            batch = [match.term for match in new[start : start + BATCH]]
            for term in batch:
                self.derive(term)
            Term.objects.bulk_create(batch)
        for match in new:
            self.id_for_slug[match.term.slug] = match.term.pk
        touched = [
            match.term
            for match in matched.terms
            if match.children_changed and not (match.created or match.changed)
        ]
        for term in touched:
            term.updated_at = self.now
        Term.objects.bulk_update(touched, ["updated_at"], BATCH)

    def derive(self, term: Term) -> None:
        """What Term.save() derives from the fields."""
        term.stamp_first_publication()
        term.letter = index_letter(term.title)
        for name, html_name in HTML_OF.items():
            setattr(term, html_name, self.render(getattr(term, name)))

    def with_ids(self, text: str) -> str:
        if not text or "term:" not in text.lower():
            return text
        return term_links.with_ids(text, self.id_for_slug)

    def write_links_later(self, matched: Matched) -> None:
        """Texts linking to terms the file creates, now that those have ids."""
        categories = [match for match in matched.categories if match.description_later]
        for match in categories:
            match.category.description = self.with_ids(match.description_later)
        Category.objects.bulk_update([m.category for m in categories], ["description"], BATCH)
        terms = [match for match in matched.terms if match.links_later]
        for match in terms:
            for name, text in match.links_later.items():
                setattr(match.term, name, self.with_ids(text))
            self.derive(match.term)
        fields = ["definition", "why_it_matters", "cta_body", *HTML_OF.values()]
        Term.objects.bulk_update([match.term for match in terms], fields, BATCH)

    def write_category_faqs(self, matched: Matched) -> None:
        replaced = [match for match in matched.categories if match.faqs is not None]
        _delete(FAQ.objects.filter(category__in=[m.category for m in replaced]))
        FAQ.objects.bulk_create(
            [
                self.faq(position, question, answer, category=match.category)
                for match in replaced
                for position, (question, answer) in enumerate(match.faqs, start=1)
            ],
            BATCH,
        )

    def faq(self, position: int, question: str, answer: str, **owner) -> FAQ:
        answer = self.with_ids(answer)
        return FAQ(
            question=question,
            answer=answer,
            answer_html=self.render(answer),
            position=position,
            **owner,
        )

    def write_term_inlines(self, chunk: list[TermMatch]) -> None:
        """Names, bullets, FAQs, citations and related terms of a round of terms, each list
        replaced where it differs (related terms: the links added and removed)."""
        TermName.objects.bulk_create(
            [TermName.of(m.term, key) for m in chunk for key in sorted(m.names_added)], BATCH
        )
        replaced = {
            name: [match for match in chunk if getattr(match, name) is not None]
            for name in ("considerations", "faqs", "references", "related")
        }
        for model, name in ((KeyConsideration, "considerations"), (FAQ, "faqs")):
            _delete(
                model.objects.filter(term__in=[m.term for m in replaced[name] if not m.created])
            )
        _delete(
            TermReference.objects.filter(
                term__in=[m.term for m in replaced["references"] if not m.created]
            )
        )
        written = {
            "key_considerations": {
                id(match): [
                    KeyConsideration(
                        term=match.term,
                        text=text,
                        normalized_text=normalize_text(text),
                        position=position,
                    )
                    for position, text in enumerate(match.considerations, start=1)
                ]
                for match in replaced["considerations"]
            },
            "faqs": {
                id(match): [
                    self.faq(position, question, answer, term=match.term)
                    for position, (question, answer) in enumerate(match.faqs, start=1)
                ]
                for match in replaced["faqs"]
            },
            "citations": {
                id(match): [
                    TermReference(term=match.term, reference=reference, position=position)
                    for position, reference in enumerate(match.references, start=1)
                ]
                for match in replaced["references"]
            },
            "related": {
                id(match): [self.entries[slug] for slug in match.related]
                for match in replaced["related"]
            },
        }
        for model, name in (
            (KeyConsideration, "key_considerations"),
            (FAQ, "faqs"),
            (TermReference, "citations"),
        ):
            model.objects.bulk_create(
                [row for rows in written[name].values() for row in rows], BATCH
            )
        self.write_related(replaced["related"])
        # What the revisions hold: the rows just written (a term created holds no others),
        # as a prefetch would give them; record_revisions reads the rest.
        for match in chunk:
            for name, rows in written.items():
                if id(match) in rows or match.created:
                    cache = match.term.__dict__.setdefault("_prefetched_objects_cache", {})
                    cache[name] = rows.get(id(match), [])

    def write_related(self, matches: list[TermMatch]) -> None:
        link = Term.related.through
        removed, added = [], []
        for match in matches:
            wanted = {self.id_for_slug[slug] for slug in match.related}
            removed += [(match.term.pk, pk) for pk in match.related_stored - wanted]
            added += [
                link(from_term_id=match.term.pk, to_term_id=pk)
                for pk in sorted(wanted - match.related_stored)
            ]
        by_term: dict[int, list[int]] = {}
        for from_id, to_id in removed:
            by_term.setdefault(from_id, []).append(to_id)
        for from_id, to_ids in by_term.items():
            link.objects.filter(from_term_id=from_id, to_term_id__in=to_ids).delete()
        link.objects.bulk_create(added, BATCH)


def _delete(queryset, ids=None) -> None:
    """Delete the rows (of ``ids``, if given, BATCH at a time)."""
    if ids is None:
        queryset.delete()
        return
    for start in range(0, len(ids), BATCH):
        queryset.filter(pk__in=ids[start : start + BATCH]).delete()


# The change feed -----------------------------------------------------------------------


def report_to_change_feed(matched: Matched) -> None:
    """Tell the change feed what the import changed (for webhooks and purges): terms
    now public, public ones changed, those no longer public, categories changed, and the
    import's own account of it; an import that changed nothing still reports itself."""
    published, updated, unpublished = [], [], []
    created, changed, taken_down = [], [], []
    unchanged = 0
    for match in matched.terms:
        term = match.term
        if not match.written:
            unchanged += 1
            continue
        (created if match.created else changed).append(term.slug)
        if term.is_published and not match.was_published:
            published.append(term.pk)
        elif term.is_published:
            updated.append(term.pk)
        elif match.was_published:
            unpublished.append((term.pk, term.slug, term.category_id))
            taken_down.append(term.slug)
    changes.report(
        published=published,
        updated=updated,
        unpublished=unpublished,
        categories=[match.category.pk for match in matched.categories if match.written],
        imported={
            "created": created,
            "updated": changed,
            "unpublished": taken_down,
            "unchanged": unchanged,
        },
        source=Term.Source.IMPORT,
    )
