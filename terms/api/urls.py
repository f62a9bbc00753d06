from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views
from .writes import GlossaryImportView

app_name = "api"

router = SimpleRouter()
router.register("terms", views.TermViewSet, basename="term")
router.register("categories", views.CategoryViewSet, basename="category")

urlpatterns = [
    *router.urls,
    path("letters/", views.LettersView.as_view(), name="letters"),
    path("suggest/", views.SuggestView.as_view(), name="suggest"),
    path("glossary/", GlossaryImportView.as_view(), name="glossary-import"),
]
