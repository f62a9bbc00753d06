"""The server-rendered glossary: the A–Z index, category pages, term pages, robots.txt."""

import json

from django import forms
from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import format_html, strip_tags
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_safe

from glossary_project.cdn import tags

from . import selectors
from .jsonld import category_json_ld, term_json_ld
from .markdown import plain_text
from .models import Category, Term
from .preview import previewed_term_id
from .search import counting

TERMS_PER_PAGE = 50
SEARCH_MAX_LENGTH = 200
DESCRIPTION_LENGTH = 160
SITE_NAME = "AI Glossary"

# What json_script escapes, so that no text (a title containing "</script>") can end the
# script element early: https://html.spec.whatwg.org/#restrictions-for-contents-of-script-elements
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld_script(data: dict) -> SafeString:
    """``data`` as a <script type="application/ld+json"> element, escaped like json_script."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(text.translate(_JSON_SCRIPT_ESCAPES)),  # noqa: S308 - escaped just above
    )


def absolute(path: str) -> str:
    """A path on the public site as a full address (SITE_URL), for canonical links and markup."""
    return f"{settings.SITE_URL}{path}"


def page_meta(*, title: str, description: str, path: str, kind: str = "website") -> dict:
    """What base.html puts in <head>: title, description, canonical and Open Graph."""
    return {
        "title": title,
        "description": Truncator(" ".join(description.split())).chars(DESCRIPTION_LENGTH),
        "url": absolute(path),
        "type": kind,
        "site_name": SITE_NAME,
    }


class GlossaryFilterForm(forms.Form):
    """The index's query parameters: ?letter=, ?category=, ?q= and ?page=."""

    q = forms.CharField(
        label="Search the glossary",
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        error_messages={
            "max_length": "Search for at most %(limit_value)d characters "
            "(the search has %(show_value)d)."
        },
    )
    category = forms.ChoiceField(
        label="Category",
        required=False,
        error_messages={"invalid_choice": "There is no category “%(value)s”."},
    )
    letter = forms.ChoiceField(
        label="Letter",
        required=False,
        choices=[("", "All letters"), *((letter, letter) for letter in selectors.INDEX_LETTERS)],
        error_messages={
            "invalid_choice": "“%(value)s” is not in the index: choose a letter from A to Z, "
            "or 0-9."
        },
    )
    exact = forms.BooleanField(
        required=False,
        help_text="Search for the words exactly as typed, without correcting them.",
    )
    page = forms.IntegerField(
        label="Page",
        required=False,
        min_value=1,
        error_messages={
            "invalid": "The page must be a whole number, such as 2.",
            "min_value": "Page numbers start at 1.",
        },
    )

    def __init__(self, *args, categories: list[Category], **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {category.slug: category for category in categories}
        self.fields["category"].choices = [
            ("", "All categories"),
            *((category.slug, category.name) for category in categories),
        ]

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())

    def clean_category(self) -> Category | None:
        return self.categories.get(self.cleaned_data["category"])

    def filters(self) -> dict[str, str]:
        """The valid filters as query parameters (without the page), for links."""
        data = self.cleaned_data
        chosen = {
            "letter": data.get("letter") or "",
            "category": data["category"].slug if data.get("category") else "",
            "q": data.get("q") or "",
            "exact": "1" if data.get("q") and data.get("exact") else "",
        }
        return {name: value for name, value in chosen.items() if value}


@require_safe
@tags.tagged(tags.TERMS_LIST, tags.LETTERS, tags.CATEGORIES_LIST)
def glossary_index(request):
    categories = list(Category.objects.all())
    counts = selectors.category_term_counts()
    form = GlossaryFilterForm(request.GET, categories=categories)
    context = {
        "form": form,
        "category_links": [(category, counts.get(category.pk, 0)) for category in categories],
        "letters": selectors.letter_counts(),
        "meta": page_meta(
            title=f"{SITE_NAME}: AI terms for business, A–Z",
            description="Plain-language definitions of AI terms for business: why each "
            "matters, what to consider, common questions and references.",
            path=reverse("terms:glossary_index"),
        ),
    }
    if not form.is_valid():
        return render(request, "terms/glossary_index.html", context, status=400)

    filters = form.filters()
    letter, category, query = (form.cleaned_data.get(name) for name in ("letter", "category", "q"))
    terms = selectors.term_list()
    if letter:
        terms = terms.filter(letter=letter)
    if category:
        terms = terms.in_category(category)
    if query:
        terms = selectors.search_in_relevance_order(
            query,
            within=terms if (letter or category) else None,
            exact=form.cleaned_data.get("exact", False),
        )
    paginator = Paginator(terms, TERMS_PER_PAGE)
    # Counted once per content change, as in the API: never a count of the table per view.
    paginator.count = terms.count() if query else selectors.count_of(terms)
    try:
        page = paginator.page(form.cleaned_data.get("page") or 1)
    except EmptyPage as error:
        raise Http404("There is no such page of the glossary.") from error

    canonical = {k: v for k, v in filters.items() if k not in ("q", "exact")}
    if page.number > 1:
        canonical["page"] = page.number
    context["meta"].update(
        title=index_title(letter=letter, category=category, query=query, page=page),
        url=absolute(reverse("terms:glossary_index"))
        + (f"?{urlencode(canonical)}" if canonical else ""),
    )
    context |= {
        "showing_results": True,
        "page": page,
        "filters": filters,
        "page_query": urlencode(filters),
        "letter": letter,
        "category": category,
        "query": query,
        "corrected_to": terms.corrected_to if query else None,
        "exact_query": urlencode({**filters, "q": query, "exact": "1"}) if query else "",
        "closest": terms.closest_titles() if query and not paginator.count else [],
        # Search results change with every word typed: not pages to index.
        "noindex": bool(query),
    }
    if query and counting.is_reader(request):
        counting.record_search(query, paginator.count)
    response = render(request, "terms/glossary_index.html", context)
    return tags.tag(response, tags.SEARCH) if query else response


def index_title(*, letter, category, query, page) -> str:
    parts = []
    if query:
        parts.append(f"Search: {query}")
    if letter:
        parts.append(f"Terms starting with {letter}")
    if category:
        parts.append(category.name)
    if page.number > 1:
        parts.append(f"page {page.number}")
    return " · ".join(parts) + f" — {SITE_NAME}" if parts else f"{SITE_NAME}: AI terms for business"


@require_safe
def category_detail(request, slug):
    category = get_object_or_404(selectors.public_categories(), slug=slug)
    [category] = selectors.with_readers_html([category])
    shared_faqs = category.page_faqs
    terms = list(selectors.term_list().in_category(category))
    category_url = absolute(category.get_absolute_url())
    context = {
        "category": category,
        "terms": terms,
        "shared_faqs": shared_faqs,
        "meta": page_meta(
            title=f"{category.name} — {SITE_NAME}",
            description=plain_text(category.description_html)
            or f"AI terms about {category.name}, explained for business.",
            path=category.get_absolute_url(),
        ),
        "json_ld": json_ld_script(
            category_json_ld(category, category_url=category_url, shared_faqs=shared_faqs)
        ),
    }
    response = render(request, "terms/category_detail.html", context)
    return tags.tag(response, tags.category(category.pk), tags.TERMS_LIST)


@require_safe
def term_detail(request, slug):
    preview_id = previewed_term_id(request.GET.get("preview"))
    try:
        page = selectors.term_page(slug=slug, preview_id=preview_id)
    except Http404:
        moved_to = selectors.current_slug(slug, preview_id=preview_id)
        if moved_to is None:
            raise
        url = reverse("terms:term_detail", kwargs={"slug": moved_to})
        query = request.META.get("QUERY_STRING", "")
        response = HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)
        if preview_id is not None:
            keep_private(response)
        return response
    return render_term_page(request, page, previewing=preview_id == page.term.pk)


def keep_private(response):
    """A preview must never reach a shared cache or a search engine."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def render_term_page(request, page, *, previewing: bool, banner: bool = False):
    """The live term page. A preview is never cached or indexed, and says so in a banner
    when the term is not published (or, from the admin, always: it may be unsaved)."""
    context = {
        "term": page,
        "cta_heading": page.cta.heading,
        "cta_body_html": page.cta.body_html,
        "preview_banner": previewing and (banner or page.term.status != Term.Status.PUBLISHED),
        "meta": page_meta(
            title=f"{page.title}: what it means for business — {SITE_NAME}",
            description=page.summary or strip_tags(page.definition_html),
            path=page.get_absolute_url(),
            kind="article",
        ),
        "json_ld": json_ld_script(term_page_json_ld(page)),
    }
    response = render(request, "terms/term_detail.html", context)
    tags.tag(
        response,
        *tags.term_page_tags(
            term_id=page.term.pk, category_id=page.term.category_id, shown=page.shown_term_ids
        ),
    )
    if previewing:
        keep_private(response)
    return response


def term_page_json_ld(page) -> dict:
    """The API's markup for the term (DefinedTerm, FAQPage of its own FAQs) and the
    page's breadcrumb trail: Glossary › Category › Term."""
    term_url = absolute(page.get_absolute_url())
    category_url = absolute(page.category.get_absolute_url())
    markup = term_json_ld(
        page.term, own_faqs=page.own_faqs, term_url=term_url, category_url=category_url
    )
    trail = [
        ("Glossary", absolute(reverse("terms:glossary_index"))),
        (page.category.name, category_url),
        (page.title, term_url),
    ]
    markup["@graph"].append(
        {
            "@type": "BreadcrumbList",
            "@id": f"{term_url}#breadcrumb",
            "itemListElement": [
                {"@type": "ListItem", "position": position, "name": name, "item": url}
                for position, (name, url) in enumerate(trail, start=1)
            ],
        }
    )
    return markup


@require_safe
@tags.tagged(tags.SITE)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Allow: /",
        "Disallow: /admin/",
        f"Disallow: {reverse('advisory:thanks')}",
        "",
        f"Sitemap: {absolute(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
