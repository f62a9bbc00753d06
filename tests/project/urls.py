"""The site's URLs plus two views for the log tests: one that logs, one that fails."""

import logging

from django.http import HttpResponse
from django.urls import include, path


def noisy(request):
    logging.getLogger("tests.project").warning("something worth a look")
    return HttpResponse("ok")


def broken(request):
    raise RuntimeError("the view broke")


urlpatterns = [
    path("noisy/", noisy),
    path("broken/", broken),
    path("", include("glossary_project.urls")),
]
