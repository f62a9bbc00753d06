"""The write pass: match each record of a validated file to the stored row of its
identity (slug, or key for references) and write it only where they differ."""

from __future__ import annotations

import contextlib
import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from terms import term_links
from terms.models import (
    FAQ,
    Category,
    KeyConsideration,
    Reference,
    Term,
    TermReference,
    normalize_text,
)
from terms.revisions import record_revision

from .records import (
    CATEGORY_FIELDS,
    INLINE_REFERENCE_FIELDS,
    REFERENCE_FIELDS,
    ImportReport,
    Progress,
    RecordChecks,
    RecordInvalid,
)


class GlossaryWriter(RecordChecks):
    """Matches each record to the stored row of its identity and writes it where they
    differ, reporting what the model refuses on save (inside the caller's transaction)."""

    def __init__(
        self,
        report: ImportReport,
        *,
        source: str = Term.Source.IMPORT,
        revision_comment: str = "Imported",
    ):
        super().__init__(report)
        # Where the writes come from, for the revisions of the terms written (the content
        # write API passes "api" and a comment naming its key).
        self.source = source
        self.revision_comment = revision_comment
        self._review_by = None
        self.id_for_slug: dict[str, int] = {}
        self.slugs_in_file: set[str] = set()
        # Texts linking to terms of the file not written yet: (kind, identity, instance,
        # field, text as in the file), given their ids once every term is written.
        self.links_later: list[tuple[str, str, Any, str, str]] = []

    def review_by(self) -> datetime.date:
        """The review-by date of a term published by this import (the same for all)."""
        if self._review_by is None:
            from terms.services import next_review_date  # services imports this module

            self._review_by = next_review_date()
        return self._review_by

    # Links and saving -----------------------------------------------------------------

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
            with contextlib.suppress(RecordInvalid):
                self.validated_save(kind, identity, instance)

    def validated_save(self, kind: str, identity: str, instance, *, exclude=None) -> None:
        """full_clean() then save() in a savepoint; problems are reported, not raised."""
        try:
            instance.full_clean(exclude=exclude)
            with transaction.atomic():
                instance.save()
        except ValidationError as error:
            self.validation_errors(kind, identity, error)
            raise RecordInvalid from error
        except IntegrityError as error:
            self.error(kind, identity, None, f"conflicts with stored content ({error})")
            raise RecordInvalid from error

    def count(self, kind: str, *, created: bool, changed: bool) -> None:
        if created:
            self.report.created[kind] += 1
        elif changed:
            self.report.updated[kind] += 1
        else:
            self.report.unchanged[kind] += 1

    # The file -------------------------------------------------------------------------

    def run(self, data: Any, progress: Progress | None = None) -> None:
        sections = self.file_sections(data)
        if sections is None:
            return

        self.id_for_slug = dict(Term.objects.entries().values_list("slug", "pk"))
        self.slugs_in_file = {
            record["slug"].strip()
            for record in sections["terms"]
            if isinstance(record, dict) and isinstance(record.get("slug"), str)
        }
        for kind, name in (("category", "categories"), ("reference", "references")):
            for record, identity in self.identified(kind, sections[name]):
                with contextlib.suppress(RecordInvalid):
                    getattr(self, f"import_{kind}")(record, identity)

        pending = []
        for record, identity in self.identified("term", sections["terms"]):
            with contextlib.suppress(RecordInvalid):
                pending.append(self.import_term_fields(record, identity))
        self.write_links_later()
        # Children and related terms second: "related" may name terms later in the file.
        for written, (term, record, identity, changed, created) in enumerate(pending, start=1):
            if progress is not None:
                progress("written", written, len(pending))
            try:
                children_changed = self.import_term_children(
                    term, record, identity, changed=changed
                )
            except RecordInvalid:
                continue
            self.count("term", created=created, changed=changed or children_changed)
            if created or changed or children_changed:
                record_revision(term, source=self.source, comment=self.revision_comment)

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
            raise RecordInvalid

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
            raise RecordInvalid
        reference = Reference.objects.filter(key=key).first()
        created = reference is None
        if created:
            reference = Reference(key=key)
        changed = _assign(reference, wanted)
        if created or changed:
            self.validated_save(kind, key, reference)
        self.count(kind, created=created, changed=changed)

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
            raise RecordInvalid
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
            raise RecordInvalid from error
        self.report.created["reference"] += 1
        return reference

    # Terms ----------------------------------------------------------------------------

    def import_term_fields(self, record: dict, slug: str):
        kind = "term"
        errors_before = len(self.report.errors)
        links_later: dict[str, str] = {}

        def link(field: str, where: str, text: str | None) -> str | None:
            value, later = self.linked(kind, slug, where, text)
            if later:
                links_later[field] = value
            return value

        wanted, aliases, category_slug = self.term_values(slug, record, link)
        category = Category.objects.filter(slug=category_slug).first() if category_slug else None
        if category_slug and category is None:
            self.error(kind, slug, "category", f"no category with slug {category_slug!r}")
        if len(self.report.errors) > errors_before:
            raise RecordInvalid

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
            raise RecordInvalid
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
            raise RecordInvalid

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
            except RecordInvalid:
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
