"""The WSGI application: Django's, with cached API reads answered before Django's
request machinery runs (glossary_project.httpcache.wsgi.CachedApiReadsHandler)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glossary_project.settings")
django.setup(set_prefix=False)

from glossary_project.httpcache.wsgi import CachedApiReadsHandler  # noqa: E402 - needs django.setup()

application = CachedApiReadsHandler()
