"""The WSGI application: Django's, with cached API reads answered before Django's
request machinery runs (terms.api.middleware.CachedApiReadsHandler)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glossary_project.settings")
django.setup(set_prefix=False)

from terms.api.middleware import CachedApiReadsHandler  # noqa: E402 - needs django.setup()

application = CachedApiReadsHandler()
