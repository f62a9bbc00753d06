from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.http import JsonResponse
from django.urls import include, path
from django.views.defaults import page_not_found
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerSplitView

from glossary_project.cdn import tags
from terms.api.views import SchemaView
from terms.sitemaps import SITEMAPS
from terms.views import robots_txt

admin.site.site_header = "AI Glossary CMS"
admin.site.site_title = "AI Glossary CMS"
admin.site.index_title = "Glossary and advisory inquiries"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="terms:glossary_index"), name="home"),
    path("admin/", admin.site.urls),
    path(
        "sitemap.xml",
        tags.tagged(tags.TERMS_LIST, tags.CATEGORIES_LIST)(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("glossary/", include("terms.urls")),
    path("advisory/", include("advisory.urls")),
    path("api/v1/", include("terms.api.urls")),
    path("api/v1/", include("advisory.api.urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own
    # (/api/docs/?script): the CSP allows no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    # ReDoc was removed: it cannot run under the CSP (it loads its logo from its CDN, starts
    # a worker from a blob: and makes <style> elements before it can take a nonce).
    path("api/redoc/", RedirectView.as_view(pattern_name="api-docs", permanent=True)),
]


def not_found(request, exception):
    """JSON for API clients, the plain page for people."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


handler400 = "glossary_project.errors.bad_request"
handler403 = "glossary_project.errors.permission_denied"
handler404 = not_found
handler500 = "glossary_project.errors.server_error"
