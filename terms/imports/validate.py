"""The validation pass: every record of the file checked before anything is written.

It reports what the write pass would (the same wording and identities), reading what
records are matched against (stored entries, their names, categories and references) in
four bulk queries and nothing per record, so a bad file is refused in seconds. What only the
database can tell (a concurrent write, a constraint this pass does not mirror) is still
caught by the write pass.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from terms import term_links
from terms.models import FAQ, Category, KeyConsideration, Reference, Term, TermName, normalize_text
from terms.text import has_control_characters

from .records import (
    CATEGORY_FIELDS,
    INLINE_REFERENCE_FIELDS,
    REFERENCE_FIELDS,
    ImportReport,
    Progress,
    RecordChecks,
)


class GlossaryValidator(RecordChecks):
    """Walks the file in the write pass's order, keeping what the write pass would have
    stored by then (slugs, names, categories, references) in memory instead of writing it."""

    def __init__(self, report: ImportReport):
        super().__init__(report)
        self.progress: Progress | None = None
        self.done = self.total = 0

    def run(self, data: Any, progress: Progress | None = None) -> None:
        sections = self.file_sections(data)
        if sections is None:
            return
        self.progress, self.total = progress, sum(len(records) for records in sections.values())
        self.read_stored()
        self.slugs_in_file = {
            record["slug"].strip()
            for record in sections["terms"]
            if isinstance(record, dict) and isinstance(record.get("slug"), str)
        }
        for record, slug in self.identified("category", sections["categories"]):
            if self.valid(self.category, record, slug):
                self.category_slugs.add(slug)
        for record, key in self.identified("reference", sections["references"]):
            self.valid(self.reference, record, key)
        # As the write pass: every term's own fields first, then its inlines and related
        # terms, which may name any term of the file written in the first round.
        pending = [
            (record, slug)
            for record, slug in self.identified("term", sections["terms"])
            if self.valid(self.term_fields, record, slug, counted=False)
        ]
        self.written_slugs = self.stored_slugs | {slug for _record, slug in pending}
        for record, slug in pending:
            self.valid(self.term_children, record, slug)
        self.step(self.total)

    def read_stored(self) -> None:
        self.stored = {
            row["slug"]: row
            for row in Term.objects.entries().values(
                "pk", "slug", "title", "aliases", "status", "definition", "go_live_at"
            )
        }
        self.stored_slugs = set(self.stored)
        slug_for_pk = {row["pk"]: slug for slug, row in self.stored.items()}
        title_for_slug = {slug: row["title"] for slug, row in self.stored.items()}
        # Which entry each name (title or alias, folded) belongs to, and its title.
        self.name_owner: dict[str, str] = {}
        self.names_of: dict[str, set[str]] = {}
        for key, term_id in TermName.objects.values_list("key", "term_id"):
            if term_id in slug_for_pk:
                self.name_owner[key] = slug_for_pk[term_id]
                self.names_of.setdefault(slug_for_pk[term_id], set()).add(key)
        self.title_for_slug = title_for_slug
        self.category_for_name = dict(Category.objects.values_list("name", "slug"))
        self.category_slugs = set(self.category_for_name.values())
        self.reference_keys: set[str] = set()
        self.reference_by_url: dict[str, tuple[Any, str]] = {}
        self.url_of: dict[Any, str] = {}
        self.reference_by_title_year: dict[tuple, Any] = {}
        for key, title, year, url in Reference.objects.values_list("key", "title", "year", "url"):
            self.remember_reference(key, title, year, url)

    def remember_reference(self, identity, title, year, url) -> None:
        """A reference as stored (or as the write pass will have stored it: a file's
        record rewrites its key's stored one, web address included)."""
        if isinstance(identity, str):
            self.reference_keys.add(identity)
        old_url = self.url_of.pop(identity, None)
        if old_url and self.reference_by_url[old_url][0] == identity:
            del self.reference_by_url[old_url]
        shown = str(Reference(title=title, year=year))
        if url:
            self.url_of[identity] = url
            self.reference_by_url[url] = (identity, shown)
        self.reference_by_title_year.setdefault((title, year), identity)

    def step(self, done: int | None = None) -> None:
        self.done = self.done + 1 if done is None else done
        if self.progress is not None:
            self.progress("validated", min(self.done, self.total), self.total)

    def valid(self, check, record: dict, identity: str, *, counted: bool = True) -> bool:
        """Run one record's check (``counted``: its last); whether it added no error."""
        errors_before = len(self.report.errors)
        check(record, identity)
        if counted:
            self.step()
        return len(self.report.errors) == errors_before

    def model_fields(self, kind: str, identity: str, model, values: dict, *, prefix="") -> None:
        """The model's own checks of each field the file gives (lengths, choices,
        validators), worded as full_clean() words them; no instance, no query."""
        for name, value in values.items():
            try:
                model._meta.get_field(name).clean(value, None)
            except ValidationError as error:
                for message in error.messages:
                    self.error(kind, identity, f"{prefix}{name}", message)

    def links(self, kind: str, identity: str, where: str, text: str | None) -> None:
        for slug in _linked_slugs(text or ""):
            if slug not in self.stored_slugs and slug not in self.slugs_in_file:
                self.error(kind, identity, where, f"links to no term with slug {slug!r}")

    def faqs(self, kind: str, identity: str, record: dict) -> list[tuple[str, str]] | None:
        faqs = self.faq_list(kind, identity, record)
        for number, (_question, answer) in enumerate(faqs or [], start=1):
            self.links(kind, identity, f"faqs[{number}].answer", answer)
        return faqs

    # Categories and references --------------------------------------------------------

    def category(self, record: dict, slug: str) -> None:
        kind, errors_before = "category", len(self.report.errors)
        self.check_keys(kind, slug, record, CATEGORY_FIELDS, {"slug", "name"})
        name = self.text(kind, slug, record, "name")
        description = self.text(kind, slug, record, "description")
        self.links(kind, slug, "description", description)
        faqs = self.faqs(kind, slug, record)
        if len(self.report.errors) > errors_before:
            return
        values = {"name": name} | ({"description": description} if description is not None else {})
        self.model_fields(kind, slug, Category, {"slug": slug, **values})
        if self.category_for_name.get(name, slug) != slug:
            taken = Category(name=name).unique_error_message(Category, ("name",))
            self.error(kind, slug, "name", taken.messages[0])
        elif len(self.report.errors) == errors_before:  # written: renamed, its old name free
            self.category_for_name = {
                other: owner for other, owner in self.category_for_name.items() if owner != slug
            }
            self.category_for_name[name] = slug
        for question, answer in faqs or []:
            self.model_fields(kind, slug, FAQ, {"question": question, "answer": answer})

    def reference(self, record: dict, key: str) -> None:
        kind, errors_before = "reference", len(self.report.errors)
        self.check_keys(kind, key, record, REFERENCE_FIELDS, {"key", "title"})
        values = self.reference_values(kind, key, record)
        if len(self.report.errors) > errors_before:
            return
        self.model_fields(kind, key, Reference, {"key": key, **values})
        url = values.get("url")
        if url and url in self.reference_by_url and self.reference_by_url[url][0] != key:
            self.error(kind, key, "url", _duplicate_url(self.reference_by_url[url][1]))
        if len(self.report.errors) == errors_before:
            self.remember_reference(key, values["title"], values.get("year"), url)

    # Terms ----------------------------------------------------------------------------

    def term_fields(self, record: dict, slug: str) -> None:
        kind, errors_before = "term", len(self.report.errors)

        def link(_field: str, where: str, text: str | None) -> str | None:
            self.links(kind, slug, where, text)
            return text

        wanted, aliases, category_slug = self.term_values(slug, record, link)
        if category_slug and category_slug not in self.category_slugs:
            self.error(kind, slug, "category", f"no category with slug {category_slug!r}")
        if len(self.report.errors) > errors_before:
            return

        stored = self.stored.get(slug)
        merged = {**(stored or {}), **wanted}
        if merged.get("status") == Term.Status.SCHEDULED and merged.get("go_live_at") is None:
            self.error(kind, slug, "go_live_at", "is required when the status is scheduled")
            return
        # The names the written term would have (its stored aliases unless the file gives some).
        term = Term(title=merged.get("title", ""), aliases=merged.get("aliases", ""))
        term.set_aliases(term.alias_list if aliases is None else aliases)
        if aliases is not None:
            wanted["aliases"] = term.aliases
        self.model_fields(kind, slug, Term, {"slug": slug, **wanted})
        self.term_clean(slug, term, merged)
        for name in Term.MARKDOWN_FIELDS:
            self.link_to_itself(slug, name, wanted.get(name))
        if len(self.report.errors) == errors_before:
            self.names_written(slug, term)

    def term_clean(self, slug: str, term: Term, merged: dict) -> None:
        """Term.clean()'s checks of names and definition, against the names stored and
        those of the file's terms before this one (written before it)."""
        title = term.title
        if has_control_characters(title):
            self.error("term", slug, "title", _("The title cannot contain control characters."))
        taken = {}
        for name in term.names():
            owner = self.name_owner.get(normalize_text(name))
            if owner is not None and owner != slug:
                taken[normalize_text(name)] = self.title_for_slug[owner]
        title_owner = taken.get(normalize_text(title)) if title else None
        if title_owner and normalize_text(title_owner) == normalize_text(title):
            self.error("term", slug, "title", _("Another term already has this title."))
        elif title_owner:
            message = _("“%(title)s” is already an alias of “%(other)s”.")
            self.error("term", slug, "title", message % {"title": title, "other": title_owner})
        for alias in term.alias_list:
            if normalize_text(alias) in taken:
                message = _("“%(alias)s” already names another term: “%(other)s”.")
                other = taken[normalize_text(alias)]
                self.error("term", slug, "aliases", message % {"alias": alias, "other": other})
        published = merged.get("status") == Term.Status.PUBLISHED
        if published and not merged.get("definition", "").strip():
            message = _("A published term needs a definition. Write one, or keep it as a draft.")
            self.error("term", slug, "definition", message)

    def names_written(self, slug: str, term: Term) -> None:
        """A term the write pass would write: its names are the ones later terms meet."""
        for key in self.names_of.pop(slug, set()):
            if self.name_owner.get(key) == slug:
                del self.name_owner[key]
        keys = {normalize_text(name) for name in term.names()}
        self.names_of[slug] = keys
        for key in keys:
            self.name_owner[key] = slug
        self.title_for_slug[slug] = term.title

    def link_to_itself(self, slug: str, name: str, text: str | None) -> None:
        if slug in _linked_slugs(text or ""):
            self.error("term", slug, name, _("A term cannot link to itself."))

    def term_children(self, record: dict, slug: str) -> None:
        kind = "term"
        considerations = self.text_list(kind, slug, record, "key_considerations")
        seen: dict[str, int] = {}
        for number, text in enumerate(considerations or [], start=1):
            folded = normalize_text(text)
            where = f"key_considerations[{number}]"
            if not folded:
                self.error(kind, slug, where, "is empty")
            elif folded in seen:
                message = f"repeats key consideration {seen[folded]}: “{text}”"
                self.error(kind, slug, where, message)
            else:
                seen[folded] = number
        faqs = self.faqs(kind, slug, record)
        self.references(record, slug)
        self.related(record, slug)
        for text in considerations or []:
            self.model_fields(kind, slug, KeyConsideration, {"text": text})
        for question, answer in faqs or []:
            self.model_fields(kind, slug, FAQ, {"question": question, "answer": answer})
            self.link_to_itself(slug, "answer", answer)

    def references(self, record: dict, slug: str) -> None:
        items = record.get("references")
        if items is None:
            return
        if not isinstance(items, list):
            self.error("term", slug, "references", "must be a list of reference keys or objects")
            return
        cited = []
        for number, item in enumerate(items, start=1):
            where = f"references[{number}]"
            if isinstance(item, str):
                identity = item.strip()
                if identity not in self.reference_keys:
                    self.error("term", slug, where, f"no reference with key {item!r}")
                    continue
            elif isinstance(item, dict):
                identity = self.inline_reference(slug, where, item)
                if identity is None:
                    continue
            else:
                self.error("term", slug, where, "must be a key or an object")
                continue
            if identity in cited:
                self.error("term", slug, where, "cites the same reference twice")
                continue
            cited.append(identity)

    def inline_reference(self, slug: str, where: str, item: dict):
        """The identity of the reference an inline one is matched to or creates; None if bad."""
        errors_before = len(self.report.errors)
        for name in sorted(set(item) - INLINE_REFERENCE_FIELDS):
            self.error("term", slug, f"{where}.{name}", "unknown field (check the spelling)")
        values = self.reference_values("term", slug, item)
        if not values.get("title"):
            self.error("term", slug, f"{where}.title", "is required")
        if len(self.report.errors) > errors_before:
            return None
        url, title, year = values.get("url"), values["title"], values.get("year")
        if url and url in self.reference_by_url:
            return self.reference_by_url[url][0]
        if (title, year) in self.reference_by_title_year:
            return self.reference_by_title_year[(title, year)]
        self.model_fields("term", slug, Reference, values, prefix=f"{where}.")
        if len(self.report.errors) > errors_before:
            return None
        identity = ("created by", slug, where)
        self.remember_reference(identity, title, year, url)
        return identity

    def related(self, record: dict, slug: str) -> None:
        for number, other in enumerate(self.text_list("term", slug, record, "related") or [], 1):
            if other == slug:
                self.error("term", slug, f"related[{number}]", "a term cannot be related to itself")
            elif other not in self.written_slugs:
                self.error("term", slug, f"related[{number}]", f"no term with slug {other!r}")


@functools.lru_cache(maxsize=64)
def _linked_slugs(text: str) -> list[str]:
    """The slugs ``text`` links to. Each text is asked twice (links to no term, to itself),
    and the link pattern is the validation pass's slowest part: asked once, and only of
    texts with a link."""
    return term_links.linked_slugs(text) if "term:" in text.lower() else []


def _duplicate_url(other: str) -> str:
    return _("“%(other)s” already has this web address. Cite that reference.") % {"other": other}
