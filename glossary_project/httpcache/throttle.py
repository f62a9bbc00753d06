"""Anonymous rate limiting: a fixed window per client address, counted in the shared cache.

The response cache counts anonymous API requests in the same round trip that reads the
content generation; the DRF throttle counts whatever it did not. While Redis is
unreachable each process counts in its own memory: the limit still holds, per process.
"""

import functools
import threading
import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from . import shared
from .backends import SharedCacheUnavailable
from .state import request_state


def anonymous_rate() -> tuple[int, int]:
    """(requests, window in seconds) from REST_FRAMEWORK's "anon" rate, e.g. 120/minute."""
    return _parsed_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"])


@functools.lru_cache(maxsize=8)
def _parsed_rate(rate: str) -> tuple[int, int]:
    return SimpleRateThrottle.parse_rate(None, rate)


class _LocalCounts:
    """Counters of the current window only, in this process's memory."""

    MOST_CLIENTS = 100_000

    def __init__(self):
        self.window = None
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def hit(self, key: str, window_number: int) -> int:
        with self.lock:
            if window_number != self.window or len(self.counts) > self.MOST_CLIENTS:
                self.window, self.counts = window_number, {}
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]


_local_counts = _LocalCounts()


@functools.cache
def _ident_reader() -> BaseThrottle:
    return BaseThrottle()


class Verdict:
    """A request counted against the anonymous limit, and what the shared cache said in
    the same round trip (None when it could not be reached)."""

    def __init__(self, *, allowed: bool, seconds_left: int, read: shared.SharedRead | None):
        self.allowed = allowed
        self.seconds_left = seconds_left
        self.read = read


def count_request(request) -> Verdict:
    """Count an anonymous request against the limit (the caller counts each request once)."""
    limit, window = anonymous_rate()
    now = int(time.time())
    number = now // window
    key = f"throttle:anon:{_ident_reader().get_ident(request)}:{number}"
    state = request_state(request)
    try:
        read = shared.read(key, window)
        hits = read.hits
    except SharedCacheUnavailable:
        read = None
        hits = _local_counts.hit(key, number)
        state.degraded.add("cache")
    state.rate_counted = True
    return Verdict(allowed=hits <= limit, seconds_left=window - now % window, read=read)


class AnonymousRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        # Logged in, or keyed (request.auth: an API key, with its own limit), or counted.
        if request.user.is_authenticated or request.auth is not None:
            return True
        if request_state(request).rate_counted:
            return True
        verdict = count_request(request)
        self.seconds_left = verdict.seconds_left
        return verdict.allowed

    def wait(self):
        return getattr(self, "seconds_left", None)
