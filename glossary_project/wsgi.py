"""The WSGI application: Django's, with cached API reads answered before Django's
request machinery runs (terms.api.middleware.CachedApiReadsHandler), inside the request
log (glossary_project.logs.RequestLogMiddleware: request id, one log line per request)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glossary_project.settings")
django.setup(set_prefix=False)  # also applies settings.LOGGING in every gunicorn worker

from glossary_project.logs import RequestLogMiddleware  # noqa: E402 - needs django.setup()
from terms.api.middleware import CachedApiReadsHandler  # noqa: E402 - needs django.setup()

application = RequestLogMiddleware(CachedApiReadsHandler())
