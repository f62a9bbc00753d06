"""The read paths shared by the pages, the admin and the API."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from .models import FAQ, Category, Term, TermReference


def published_terms() -> QuerySet[Term]:
    return Term.objects.published().select_related("category")


def term_for_page(*, slug: str) -> Term:
    """A published term with everything its page shows, in a fixed number of queries."""
    queryset = published_terms().prefetch_related(
        "key_considerations",
        Prefetch("faqs", queryset=FAQ.objects.order_by("position", "id")),
        Prefetch("category__shared_faqs", queryset=FAQ.objects.order_by("position", "id")),
        Prefetch("citations", queryset=TermReference.objects.select_related("reference")),
        Prefetch("related", queryset=Term.objects.published().order_by("title")),
    )
    return get_object_or_404(queryset, slug=slug)


def categories_with_published_terms() -> QuerySet[Category]:
    return Category.objects.prefetch_related(
        Prefetch("terms", queryset=Term.objects.published().order_by("title"), to_attr="published")
    )
