"""The matching part of the write pass: every record of a validated file matched to the
stored row of its identity (slug, or key for references) and compared with it in memory.

Everything records are matched against is read first, in one query per table (entries,
their names, bullets, FAQs, citations and related terms, categories with their FAQs,
references), and nothing per record. The result (``Matched``) says what to create and
what to change, row by row; the writer (``write``) writes exactly that and nothing else,
so a file matching what is stored writes nothing at all.

Term links are kept as the file writes them (``term:<slug>``) wherever they point at a
term the file creates: its id is known only once it is written, so the writer turns
them into ids then (``term_links.with_ids``). Links to stored terms are compared by id.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.text import slugify

from terms import term_links
from terms.models import (
    FAQ,
    Category,
    KeyConsideration,
    Reference,
    Term,
    TermName,
    TermReference,
    normalize_text,
)

from .records import ImportReport, RecordChecks


@dataclass
class CategoryMatch:
    category: Category  # its fields as the file gives them
    created: bool
    changed: bool
    description_later: str | None = None  # the file's description, linking to new terms
    faqs: list[tuple[str, str]] | None = None  # the file's FAQs where they differ

    @property
    def written(self) -> bool:
        return self.created or self.changed or self.faqs is not None


@dataclass
class TermMatch:
    term: Term  # its fields as the file gives them (derived fields not yet)
    created: bool
    changed: bool  # its own fields
    was_published: bool
    links_later: dict[str, str] = field(default_factory=dict)  # field: text as in the file
    # Each list is given only where it differs from the stored one.
    considerations: list[str] | None = None
    faqs: list[tuple[str, str]] | None = None  # answers as in the file
    references: list[Reference] | None = None
    related: list[str] | None = None  # slugs
    related_stored: set[int] = field(default_factory=set)
    names_added: set[str] = field(default_factory=set)

    @property
    def children_changed(self) -> bool:
        return any(
            part is not None for part in (self.considerations, self.faqs, self.references)
        ) or (self.related is not None)

    @property
    def written(self) -> bool:
        return self.created or self.changed or self.children_changed


@dataclass
class Matched:
    categories: list[CategoryMatch] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)  # to create or change
    terms: list[TermMatch] = field(default_factory=list)
    stale_names: list[int] = field(default_factory=list)  # TermName ids no term keeps
    stored_ids: dict[str, int] = field(default_factory=dict)  # entry slug: id, before
    entries: dict[str, Term] = field(default_factory=dict)  # by slug, stored and new

    @property
    def writes_anything(self) -> bool:
        return bool(
            self.references
            or self.stale_names
            or any(match.written for match in self.categories)
            or any(match.written for match in self.terms)
        )


class GlossaryMatcher(RecordChecks):
    """Reads what is stored, then walks a validated file in the order it is written
    (categories, references, terms), deciding for each record what differs."""

    def __init__(self, report: ImportReport):
        super().__init__(report)
        self._review_by: datetime.date | None = None

    def run(self, data: Any) -> Matched:
        sections = self.file_sections(data)
        matched = Matched()
        if sections is None:
            return matched
        self.read_stored()
        matched.stored_ids = self.stored_ids
        matched.entries = self.terms
        for record, slug in self.identified("category", sections["categories"]):
            matched.categories.append(self.category(record, slug))
        for record, key in self.identified("reference", sections["references"]):
            reference, created, changed = self.reference(record, key)
            self.count("reference", created=created, changed=changed)
            if created or changed:
                matched.references.append(reference)
        self.index_references()
        self.new_references = matched.references
        for record, slug in self.identified("term", sections["terms"]):
            matched.terms.append(self.term(record, slug))
        for match in matched.terms:
            self.count(
                "term", created=match.created, changed=match.changed or match.children_changed
            )
        matched.stale_names = self.stale_names
        return matched

    # What is stored -------------------------------------------------------------------

    def read_stored(self) -> None:
        self.terms = {term.slug: term for term in Term.objects.entries()}
        self.stored_ids = {slug: term.pk for slug, term in self.terms.items()}
        self.names: dict[int, dict[str, int]] = defaultdict(dict)
        for pk, key, term_id in TermName.objects.values_list("pk", "key", "term_id"):
            self.names[term_id][key] = pk
        self.considerations: dict[int, list[str]] = defaultdict(list)
        for term_id, text in KeyConsideration.objects.order_by(
            "term_id", "position", "pk"
        ).values_list("term_id", "text"):
            self.considerations[term_id].append(text)
        self.term_faqs: dict[int, list[tuple[str, str]]] = defaultdict(list)
        self.category_faqs: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for term_id, category_id, question, answer in FAQ.objects.order_by(
            "term_id", "category_id", "position", "pk"
        ).values_list("term_id", "category_id", "question", "answer"):
            if term_id is not None:
                self.term_faqs[term_id].append((question, answer))
            else:
                self.category_faqs[category_id].append((question, answer))
        self.citations: dict[int, list[int]] = defaultdict(list)
        for term_id, reference_id in TermReference.objects.order_by(
            "term_id", "position", "pk"
        ).values_list("term_id", "reference_id"):
            self.citations[term_id].append(reference_id)
        self.related: dict[int, set[int]] = defaultdict(set)
        for from_id, to_id in Term.related.through.objects.values_list(
            "from_term_id", "to_term_id"
        ):
            self.related[from_id].add(to_id)
        self.categories = {category.slug: category for category in Category.objects.all()}
        self.category_count = len(self.categories)
        self.references = {
            reference.key: reference for reference in Reference.objects.order_by("pk")
        }
        self.stale_names: list[int] = []

    def review_by(self) -> datetime.date:
        """The review-by date of a term published by this import (the same for all)."""
        if self._review_by is None:
            from terms.services import next_review_date  # services imports this module

            self._review_by = next_review_date()
        return self._review_by

    def linked(self, text: str | None) -> tuple[str | None, bool]:
        """``text`` with its term links by id, and False; or as the file has it, and True,
        when it links to a term the file creates (given its id when written)."""
        if not text or "term:" not in text.lower():
            return text, False
        slugs = term_links.linked_slugs(text)
        if all(slug in self.stored_ids for slug in slugs):
            return term_links.with_ids(text, self.stored_ids), False
        return text, True

    def faqs_differ(self, faqs: list[tuple[str, str]], stored: list[tuple[str, str]]) -> bool:
        if len(faqs) != len(stored):
            return True
        for (question, answer), stored_faq in zip(faqs, stored, strict=True):
            linked, later = self.linked(answer)
            if later or (question, linked) != stored_faq:
                return True
        return False

    def count(self, kind: str, *, created: bool, changed: bool) -> None:
        if created:
            self.report.created[kind] += 1
        elif changed:
            self.report.updated[kind] += 1
        else:
            self.report.unchanged[kind] += 1

    # Categories and references --------------------------------------------------------

    def category(self, record: dict, slug: str) -> CategoryMatch:
        kind = "category"
        name = self.text(kind, slug, record, "name")
        file_description = self.text(kind, slug, record, "description")
        category = self.categories.get(slug)
        created = category is None
        if created:
            category = Category(slug=slug, order=self.category_count)
            self.category_count += 1
            self.categories[slug] = category
        wanted = {"name": name}
        description, later = self.linked(file_description)
        if description is not None:
            wanted["description"] = description
        match = CategoryMatch(category, created, _assign(category, wanted) or later)
        if later:
            match.description_later = file_description
        faqs = self.faq_list(kind, slug, record)
        if faqs is not None and self.faqs_differ(faqs, self.category_faqs.get(category.pk, [])):
            match.faqs = faqs
        self.count(kind, created=created, changed=match.changed or match.faqs is not None)
        return match

    def reference(self, record: dict, key: str) -> tuple[Reference, bool, bool]:
        wanted = self.reference_values("reference", key, record)
        reference = self.references.get(key)
        created = reference is None
        if created:
            reference = Reference(key=key)
            self.references[key] = reference
        return reference, created, _assign(reference, wanted)

    def index_references(self) -> None:
        """Where inline references are looked for (by web address, else by title and year),
        with the file's references as they will be stored."""
        self.reference_by_url: dict[str, Reference] = {}
        self.reference_by_title_year: dict[tuple, Reference] = {}
        for reference in self.references.values():  # stored first, by id; then the file's
            self.remember_reference(reference)

    def remember_reference(self, reference: Reference) -> None:
        if reference.url:
            self.reference_by_url.setdefault(reference.url, reference)
        self.reference_by_title_year.setdefault((reference.title, reference.year), reference)

    def inline_reference(self, item: dict) -> Reference:
        """An inline reference matched by web address, else by title and year; a new one
        (counted as created) if neither is known."""
        values = self.reference_values("term", "", item)
        found = self.reference_by_url.get(values.get("url")) if values.get("url") else None
        if found is None:
            found = self.reference_by_title_year.get((values["title"], values.get("year")))
        if found is not None:
            return found
        reference = Reference(key=self.unique_reference_key(values), **values)
        self.references[reference.key] = reference
        self.remember_reference(reference)
        self.new_references.append(reference)
        self.report.created["reference"] += 1
        return reference

    def unique_reference_key(self, values: dict) -> str:
        base = slugify(f"{values.get('title', '')} {values.get('year') or ''}")[:100] or "reference"
        key, suffix = base, 2
        while key in self.references:
            key, suffix = f"{base}-{suffix}", suffix + 1
        return key

    # Terms ----------------------------------------------------------------------------

    def term(self, record: dict, slug: str) -> TermMatch:
        kind = "term"
        links_later: dict[str, str] = {}

        def link(field_name: str, _where: str, text: str | None) -> str | None:
            value, later = self.linked(text)
            if later:
                links_later[field_name] = text
            return value

        wanted, aliases, category_slug = self.term_values(slug, record, link)
        category = self.categories[category_slug]
        term = self.terms.get(slug)
        created = term is None
        if created:
            term = self.terms[slug] = Term(slug=slug)
        was_published = not created and term.is_published
        changed = _assign(term, wanted) or bool(links_later)
        if created or term.category_id != category.pk:
            term.category = category  # its id once written, if it is new too
            changed = True
        if aliases is not None:
            before = term.aliases
            term.set_aliases(aliases)
            changed = changed or term.aliases != before
        if term.is_published and term.review_by is None:
            # Every published entry has a review-by date; a file without one (glossary/1
            # before review-by dates) gets the one publishing would give.
            term.review_by = self.review_by()
            changed = True
        if created or changed:
            term.set_aliases(term.alias_list)  # as Term.clean() stores them
        match = TermMatch(term, created, changed, was_published, links_later)
        if created:
            match.names_added = {normalize_text(name) for name in term.names()}
        elif changed:
            match.names_added = self.match_names(term)

        considerations = self.text_list(kind, slug, record, "key_considerations")
        if considerations is not None and considerations != self.considerations.get(term.pk, []):
            match.considerations = considerations
        faqs = self.faq_list(kind, slug, record)
        if faqs is not None and self.faqs_differ(faqs, self.term_faqs.get(term.pk, [])):
            match.faqs = faqs
        references = self.term_references(record)
        if references is not None and [reference.pk for reference in references] != (
            self.citations.get(term.pk, [])
        ):
            match.references = references
        related = self.text_list(kind, slug, record, "related")
        if related is not None:
            match.related_stored = self.related.get(term.pk, set())
            if not all(other in self.stored_ids for other in related) or (
                {self.stored_ids[other] for other in related} != match.related_stored
            ):
                match.related = related
        return match

    def match_names(self, term: Term) -> set[str]:
        """The names ``term`` gains (folded); the ids of those it loses go to stale_names."""
        if term.pk is None:
            return set()
        wanted = {normalize_text(name) for name in term.names()}
        stored = self.names.get(term.pk, {})
        self.stale_names += [pk for key, pk in stored.items() if key not in wanted]
        self.names[term.pk] = {key: pk for key, pk in stored.items() if key in wanted}
        return wanted - set(stored)

    def term_references(self, record: dict) -> list[Reference] | None:
        items = record.get("references")
        if items is None:
            return None
        return [
            self.references[item.strip()] if isinstance(item, str) else self.inline_reference(item)
            for item in items
        ]


def _assign(instance, values: dict) -> bool:
    """Set attributes that differ; return whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed
