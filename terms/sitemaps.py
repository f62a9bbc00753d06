"""sitemap.xml: the glossary index, every published term, every category with published terms."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Count, Max, Q
from django.db.models.functions import Greatest
from django.urls import reverse

from .models import Category, Term


class PublicSiteSitemap(Sitemap):
    """Addresses on SITE_URL, whatever host the crawler asked (no sites framework)."""

    def get_protocol(self, protocol=None) -> str:
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc


class GlossaryIndexSitemap(PublicSiteSitemap):
    changefreq = "daily"

    def items(self):
        return ["terms:glossary_index"]

    def location(self, item) -> str:
        return reverse(item)

    def lastmod(self, item):
        return Term.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class TermSitemap(PublicSiteSitemap):
    changefreq = "weekly"

    def items(self):
        return Term.objects.published().only("slug", "updated_at").order_by("slug")

    def lastmod(self, term):
        return term.updated_at


class CategorySitemap(PublicSiteSitemap):
    changefreq = "weekly"

    def items(self):
        published = Q(terms__status=Term.Status.PUBLISHED)
        return (
            Category.objects.annotate(
                published_terms=Count("terms", filter=published),
                last_change=Greatest("updated_at", Max("terms__updated_at", filter=published)),
            )
            .filter(published_terms__gt=0)
            .order_by("slug")
        )

    def lastmod(self, category):
        return category.last_change


SITEMAPS = {
    "glossary": GlossaryIndexSitemap,
    "categories": CategorySitemap,
    "terms": TermSitemap,
}
