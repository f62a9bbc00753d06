from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "AI Glossary CMS"
admin.site.site_title = "AI Glossary CMS"
admin.site.index_title = "Glossary and advisory inquiries"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="terms:glossary_index"), name="home"),
    path("admin/", admin.site.urls),
    path("glossary/", include("terms.urls")),
]
