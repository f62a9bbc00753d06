"""Circuit breakers: after a failure, skip the service for a few seconds instead of making
every request pay its timeout, then let one call try again.

One breaker per service and process (gunicorn workers each keep their own). A change of
state is logged once, not once per request.
"""

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("glossary.httpcache")


class CircuitBreaker:
    def __init__(self, name: str, *, retry_seconds: Callable[[], float]):
        self.name = name
        self._retry_seconds = retry_seconds
        self.down = False
        self.down_since: float | None = None  # time.time() of the last change to down
        self._next_try = 0.0
        self._lock = threading.Lock()

    @property
    def retry_seconds(self) -> float:
        return self._retry_seconds()

    def allows(self) -> bool:
        """Whether to call the service now: always while it is up; while it is down, one
        caller every ``retry_seconds`` (the others carry on without it)."""
        if not self.down:
            return True
        now = time.monotonic()
        with self._lock:
            if now < self._next_try:
                return False
            self._next_try = now + self.retry_seconds
            return True

    def succeeded(self) -> None:
        if not self.down:
            return
        with self._lock:
            if self.down:
                self.down = False
                self.down_since = None
                logger.warning("%s is reachable again.", self.name)

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self._next_try = time.monotonic() + self.retry_seconds
            if self.down:
                return
            self.down = True
            self.down_since = time.time()
        logger.error(
            "%s is unreachable (%s); carrying on without it, next try in %g s.",
            self.name,
            type(error).__name__,
            self.retry_seconds,
        )


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(name: str, *, retry_seconds: Callable[[], float]) -> CircuitBreaker:
    """The process's breaker for the service called ``name`` (made on first use), which
    skips it for ``retry_seconds()`` after a failure."""
    breaker = _breakers.get(name)
    if breaker is None:
        with _breakers_lock:
            breaker = _breakers.setdefault(name, CircuitBreaker(name, retry_seconds=retry_seconds))
    return breaker


def all_breakers() -> list[CircuitBreaker]:
    return list(_breakers.values())
