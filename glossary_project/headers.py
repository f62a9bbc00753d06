"""The headers every response carries, for responses built outside Django's middleware.

Django's stack gives them through settings.RESPONSE_HEADER_MIDDLEWARE (CORS for allowed
origins, HSTS, nosniff, Referrer- and Cross-Origin-Opener-Policy, Content-Security-Policy,
Permissions-Policy, frame denial). An answer made before that stack runs, like the WSGI
fast path's 429, goes through the very same middleware here, so it gets exactly the
headers Django's own answer would have: one definition, not a copy of it.
"""

import functools
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponseBase
from django.utils.module_loading import import_string

_answer: ContextVar[HttpResponseBase] = ContextVar("answer")


def with_response_headers(request, response: HttpResponseBase) -> HttpResponseBase:
    """``response`` as the response-header middleware leaves it for ``request``.

    The middleware runs in full, as in Django's stack: a plain-HTTP request is redirected
    to HTTPS (SECURE_SSL_REDIRECT), and a CORS preflight is answered as corsheaders does.
    """
    token = _answer.set(response)
    try:
        return _chain()(request)
    finally:
        _answer.reset(token)


def _prebuilt(request) -> HttpResponseBase:
    return _answer.get()


@functools.cache
def _chain():
    handler = _prebuilt
    for path in reversed(settings.RESPONSE_HEADER_MIDDLEWARE):
        handler = import_string(path)(handler)
    return handler


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    # Middleware reads its settings when it is made (tests change them).
    _chain.cache_clear()
