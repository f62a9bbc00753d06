"""The WSGI application: Django's, with cached API reads answered before Django's
request machinery runs (glossary_project.httpcache.wsgi.CachedApiReadsHandler), chunked
request bodies read with their limit (glossary_project.bodies.ChunkedBodies), inside the
request log (glossary_project.logs.RequestLogMiddleware: request id, one line a request)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glossary_project.settings")
django.setup(set_prefix=False)  # also applies settings.LOGGING in every gunicorn worker

from glossary_project.bodies import ChunkedBodies  # noqa: E402 - needs django.setup()
from glossary_project.httpcache.wsgi import CachedApiReadsHandler  # noqa: E402 - needs django.setup()
from glossary_project.logs import RequestLogMiddleware  # noqa: E402 - needs django.setup()

application = RequestLogMiddleware(ChunkedBodies(CachedApiReadsHandler()))
