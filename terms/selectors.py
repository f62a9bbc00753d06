"""The read paths shared by the pages, the admin and the API."""

import string
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from glossary_project.httpcache.memo import per_generation

from . import term_links
from .markdown import render_markdown
from .models import (
    FAQ,
    Category,
    FormerSlug,
    KeyConsideration,
    SiteSettings,
    Term,
    TermReference,
)
from .search import engine

INDEX_LETTERS = [*string.ascii_uppercase, "0-9"]
LIST_FIELDS = [
    "slug",
    "title",
    "aliases",
    "summary",
    "in_development",
    "updated_at",
    "reviewed_at",
    "category__slug",
    "category__name",
]


def published_terms() -> QuerySet[Term]:
    return Term.objects.published().select_related("category")


def term_list() -> QuerySet[Term]:
    """Published terms with only the columns a list shows."""
    return published_terms().only(*LIST_FIELDS)


class FAQItem(NamedTuple):
    question: str
    answer: str
    answer_html: str


class ReferenceItem(NamedTuple):
    title: str
    publisher: str
    year: int | None
    url: str


class RelatedItem(NamedTuple):
    slug: str
    title: str
    summary: str

    def get_absolute_url(self) -> str:
        return reverse("terms:term_detail", kwargs={"slug": self.slug})


class CallToAction(NamedTuple):
    heading: str
    body: str
    body_html: str


@dataclass
class TermPage:
    """A published term with everything its page shows. Reads like the Term it wraps;
    its HTML is as readers see it, term links resolved (terms.term_links)."""

    term: Term
    key_considerations: list[str]
    own_faqs: list[FAQItem]
    shared_faqs: list[FAQItem]
    references: list[ReferenceItem]
    related: list[RelatedItem]
    definition_html: str = ""
    why_it_matters_html: str = ""
    cta: CallToAction | None = None
    links_to: list[term_links.LinkedTerm] = field(default_factory=list)
    # The ids of the other terms whose title or address the page shows (related terms,
    # terms its text links to): its cache tags (glossary_project.cdn.tags).
    shown_term_ids: list[int] = field(default_factory=list)

    @property
    def faqs(self) -> list[FAQItem]:
        """The term's own questions, then those its category shares."""
        return [*self.own_faqs, *self.shared_faqs]

    def __getattr__(self, name):
        return getattr(self.term, name)


def term_page(*, slug: str, preview_id: int | None = None, whole: bool = True) -> TermPage:
    """The page of a published term, in two queries whatever its size (or 404).

    ``preview_id``, the term a valid preview token shows (terms.preview), is shown
    whatever its status, and before the published term with the same slug: a working
    copy shares its entry's slug, and its preview shows the copy. ``whole=False``: the
    term alone, in one query, for a reader who asked only for the fields a list shows
    (its lists stay empty and its HTML unresolved).
    """
    if preview_id is None:
        term = get_object_or_404(published_terms(), slug=slug)
    else:
        term = (
            Term.objects.select_related("category")
            .filter(Q(status=Term.Status.PUBLISHED) | Q(pk=preview_id), slug=slug)
            .order_by(Case(When(pk=preview_id, then=Value(0)), default=Value(1)))
            .first()
        )
        if term is None:
            raise Http404("No term matches the given query.")
    page = TermPage(
        term=term, key_considerations=[], own_faqs=[], shared_faqs=[], references=[], related=[]
    )
    if not whole:
        return page
    for kind, pk, a, b, c, d in _listed_on_page(term):
        if kind == "1-consideration":
            page.key_considerations.append(a)
        elif kind == "2-own-faq":
            page.own_faqs.append(FAQItem(a, b, c))
        elif kind == "3-shared-faq":
            page.shared_faqs.append(FAQItem(a, b, c))
        elif kind == "4-reference":
            page.references.append(ReferenceItem(a, b, int(c) if c else None, d))
        else:
            page.related.append(RelatedItem(a, b, c))
            page.shown_term_ids.append(pk)
    _resolve_term_links(page)
    return page


def _resolve_term_links(page: TermPage) -> None:
    """Every piece of HTML on the page as readers see it, in one query for all the term
    links (none without any), and the published terms it links to, in page order."""
    term = page.term
    settings = site_settings()
    heading, body = settings.call_to_action(term)
    faqs = page.faqs
    resolved = term_links.resolve(
        [
            term.definition_html,
            term.why_it_matters_html,
            *(faq.answer_html for faq in faqs),
            _render_call_to_action(settings.call_to_action_markdown(term)),
        ]
    )
    definition_html, why_it_matters_html, *answers, body_html = resolved.fragments
    page.definition_html, page.why_it_matters_html = definition_html, why_it_matters_html
    own = len(page.own_faqs)
    resolved_faqs = [
        faq._replace(answer_html=html) for faq, html in zip(faqs, answers, strict=True)
    ]
    page.own_faqs, page.shared_faqs = resolved_faqs[:own], resolved_faqs[own:]
    page.cta = CallToAction(heading, body, body_html)
    page.links_to = resolved.links_to
    page.shown_term_ids += resolved.linked_ids


# Most pages share a few calls to action (the default, with each title): each is rendered
# once per process, not on every read.
_render_call_to_action = lru_cache(maxsize=1024)(render_markdown)


def _listed_on_page(term: Term) -> list[tuple]:
    """Every list on a term's page in one statement, in page order: (kind, the row's id,
    then four text columns). Plain SQL: building the same query with the ORM took longer
    (about 2 ms) than the database takes to answer it."""
    with connection.cursor() as cursor:
        cursor.execute(
            _PAGE_LISTS_SQL,
            [term.pk, term.pk, term.category_id, term.pk, term.pk, Term.Status.PUBLISHED],
        )
        return [(kind, pk, *columns) for kind, _position, _title, pk, *columns in cursor.fetchall()]


def _page_lists_sql() -> str:
    tables = {
        "consideration": KeyConsideration._meta.db_table,
        "faq": FAQ._meta.db_table,
        "citation": TermReference._meta.db_table,
        "reference": TermReference._meta.get_field("reference").related_model._meta.db_table,
        "related": Term.related.through._meta.db_table,
        "term": Term._meta.db_table,
    }
    return """
        SELECT '1-consideration', position, '', id, text, '', '', ''
            FROM {consideration} WHERE term_id = %s
        UNION ALL SELECT '2-own-faq', position, '', id, question, answer, answer_html, ''
            FROM {faq} WHERE term_id = %s
        UNION ALL SELECT '3-shared-faq', position, '', id, question, answer, answer_html, ''
            FROM {faq} WHERE category_id = %s
        UNION ALL SELECT '4-reference', c.position, '', c.id,
                r.title, r.publisher, CAST(r.year AS TEXT), r.url
            FROM {citation} c JOIN {reference} r ON r.id = c.reference_id WHERE c.term_id = %s
        UNION ALL SELECT '5-related', 0, LOWER(t.title), t.id, t.slug, t.title, t.summary, ''
            FROM {related} x JOIN {term} t ON t.id = x.to_term_id
            WHERE x.from_term_id = %s AND t.status = %s
        ORDER BY 1, 2, 3, 4
    """.format(**tables)  # noqa: S608 - table names from the models, values as parameters


_PAGE_LISTS_SQL = _page_lists_sql()


def current_slug(former: str, *, preview_id: int | None = None) -> str | None:
    """The slug a renamed term has now, if ``former`` was one of its slugs and the
    term is published (or is ``preview_id``, previewed with a valid token).

    Ask only once no term visible to the reader has ``former`` as its slug (term_page
    404s): a published term that took the slug is shown instead, while a draft that took
    it leaves the redirect to readers (see Term.remember_former_slug)."""
    visible = Q(term__status=Term.Status.PUBLISHED)
    if preview_id is not None:
        visible |= Q(term_id=preview_id)
    return (
        FormerSlug.objects.filter(visible, slug=former).values_list("term__slug", flat=True).first()
    )


def former_slug_owner(slug: str, *, term_id: int | None = None) -> Term | None:
    """The term other than ``term_id`` that had ``slug`` before it was renamed, if any:
    the one its old address redirects to (for the admin's warning)."""
    former = (
        FormerSlug.objects.select_related("term").filter(slug=slug).exclude(term_id=term_id).first()
    )
    return former.term if former else None


def site_settings() -> SiteSettings:
    return per_generation("site-settings", SiteSettings.load)


def search_in_relevance_order(query: str, *, within: QuerySet[Term] | None = None, exact=False):
    """Published terms matching ``query``, best first, ready to be paginated, with what was
    searched for (``corrected_to``) and the closest titles when nothing matched
    (terms.search.engine: the one place that decides how search works).

    ``within`` narrows the search to some terms (a category, a letter); without it the
    whole published glossary is searched. ``exact``: the words as typed, uncorrected.
    """
    return engine.search(query, within=within, exact=exact)


def letter_counts() -> list[dict]:
    """Each index letter with its number of published terms, computed once per change."""

    def compute():
        counts = dict(
            Term.objects.published()
            .order_by()
            .values_list("letter")
            .annotate(total=Count("*"))
            .values_list("letter", "total")
        )
        return [{"letter": letter, "count": counts.get(letter, 0)} for letter in INDEX_LETTERS]

    return per_generation("letters", compute)


def category_term_counts() -> dict[int, int]:
    def compute():
        return dict(
            Term.objects.published()
            .order_by()
            .values_list("category")
            .annotate(total=Count("*"))
            .values_list("category", "total")
        )

    return per_generation("category-counts", compute)


def public_categories() -> QuerySet[Category]:
    return Category.objects.prefetch_related(
        Prefetch("shared_faqs", queryset=FAQ.objects.order_by("position", "id"))
    )


def with_readers_html(categories) -> list[Category]:
    """``categories`` (from public_categories) with ``description_html`` and
    ``page_faqs`` (FAQItems) as readers see them: the description rendered from its
    Markdown, term links resolved in one query for them all (none without any)."""
    categories = list(categories)
    faqs = [list(category.shared_faqs.all()) for category in categories]
    resolved = term_links.resolve(
        [
            *(render_markdown(category.description) for category in categories),
            *(faq.answer_html for each in faqs for faq in each),
        ]
    ).fragments
    descriptions, answers = resolved[: len(categories)], iter(resolved[len(categories) :])
    for category, html, shared in zip(categories, descriptions, faqs, strict=True):
        category.description_html = html
        category.page_faqs = [FAQItem(faq.question, faq.answer, next(answers)) for faq in shared]
    return categories


def count_of(queryset: QuerySet) -> int:
    """The number of rows, counted once per content change for each distinct filter."""
    unordered = queryset.order_by()
    try:
        key = str(unordered.query)
    except EmptyResultSet:  # a filter that can match nothing (pk__in=[])
        return 0
    return per_generation("count", unordered.count, key)


@dataclass(frozen=True)
class LinkSuggestion:
    term: Term
    matched_alias: str | None  # None: the title matched


def link_suggestions(query: str, *, limit: int = 10) -> list[LinkSuggestion]:
    """Entries (never working copies, whatever their status) whose title or an alias
    holds ``query``, for the editor's ``[[`` autocomplete: those where it starts a title
    or an alias first, then those that only contain it, each group by title."""
    query = " ".join(query.split())
    entries = Term.objects.entries().only("id", "title", "aliases", "status", "slug")
    if not query:
        return [LinkSuggestion(term, None) for term in entries.order_by(Lower("title"))[:limit]]
    starts = (
        Q(title__istartswith=query)
        | Q(aliases__istartswith=query)
        | Q(aliases__icontains=f"\n{query}")
    )
    contains = Q(title__icontains=query) | Q(aliases__icontains=query)
    first = list(entries.filter(starts).order_by(Lower("title"))[:limit])
    rest = entries.filter(contains).exclude(pk__in=[term.pk for term in first])
    found = first + list(rest.order_by(Lower("title"))[: limit - len(first)])
    return [LinkSuggestion(term, _matched_alias(term, query)) for term in found]


def _matched_alias(term: Term, query: str) -> str | None:
    """The alias the query was found in, or None when it was the title: a prefix of the
    title, then of an alias, then anywhere in the title, then in an alias."""
    folded = query.casefold()
    title = term.title.casefold()
    aliases = term.alias_list
    if title.startswith(folded):
        return None
    prefixed = next((alias for alias in aliases if alias.casefold().startswith(folded)), None)
    if prefixed or folded in title:
        return prefixed
    return next((alias for alias in aliases if folded in alias.casefold()), None)
