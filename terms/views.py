from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from . import selectors
from .models import Category


def glossary_index(request):
    page = Paginator(selectors.published_terms(), 50).get_page(request.GET.get("page"))
    categories = Category.objects.all()
    return render(request, "terms/glossary_index.html", {"page": page, "categories": categories})


def category_detail(request, slug):
    category = get_object_or_404(Category, slug=slug)
    terms = selectors.published_terms().in_category(category)
    return render(request, "terms/category_detail.html", {"category": category, "terms": terms})


def term_detail(request, slug):
    page = selectors.term_page(slug=slug)
    cta_heading, cta_body = selectors.site_settings().call_to_action(page.term)
    context = {
        "term": page,
        "cta_heading": cta_heading,
        "cta_body": cta_body,
    }
    return render(request, "terms/term_detail.html", context)
