"""Anonymous rate limiting: a fixed window per client address, counted in the shared cache.

The response-cache middleware counts cacheable API requests in the same round trip that
reads the content generation; this DRF throttle counts whatever the middleware did not.
"""

import functools
import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from ..cache import generation_and_hits


def anonymous_rate() -> tuple[int, int]:
    """(requests, window in seconds) from REST_FRAMEWORK's "anon" rate, e.g. 120/minute."""
    return _parsed_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"])


@functools.lru_cache(maxsize=8)
def _parsed_rate(rate: str) -> tuple[int, int]:
    return SimpleRateThrottle.parse_rate(None, rate)


def counter_key(request) -> tuple[str, int, int, int]:
    """The client's counter for the current window, the limit, the window's length in
    seconds and the seconds left in it."""
    limit, window = anonymous_rate()
    now = int(time.time())
    ident = BaseThrottle().get_ident(request)
    return f"throttle:anon:{ident}:{now // window}", limit, window, window - now % window


def mark_counted(request) -> None:
    request.META["glossary.rate_counted"] = True


class AnonymousRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        if request.user.is_authenticated or request.META.get("glossary.rate_counted"):
            return True
        key, limit, window, self.seconds_left = counter_key(request)
        _generation, hits = generation_and_hits(key, window)
        mark_counted(request)
        return hits <= limit

    def wait(self):
        return getattr(self, "seconds_left", None)
