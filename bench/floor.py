"""The floor: the cheapest Django can answer, for comparison with the real API.

A settings-in-file WSGI app with no middleware, no database and no installed apps. It
answers /detail and /list with the bytes captured from the real server's responses,
read once from $FLOOR_BODIES/detail.json and $FLOOR_BODIES/list.json. Serve it with

    FLOOR_BODIES=DIR gunicorn --workers 2 bench.floor:application
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ.get("SECRET_KEY", "floor-serves-fixed-bytes-only"),
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_I18N=False,
)

BODIES = Path(os.environ["FLOOR_BODIES"])
DETAIL = (BODIES / "detail.json").read_bytes()
LIST = (BODIES / "list.json").read_bytes()


def detail(request):
    return HttpResponse(DETAIL, content_type="application/json")


def term_list(request):
    return HttpResponse(LIST, content_type="application/json")


urlpatterns = [path("detail", detail), path("list", term_list)]

application = get_wsgi_application()
