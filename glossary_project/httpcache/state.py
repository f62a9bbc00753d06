"""What the HTTP layer learned about one request, kept in its WSGI environ.

The WSGI fast path and Django each build a request object from the same environ, so what
they share lives there, under one key, in one object.
"""

import time
from dataclasses import dataclass, field

ENVIRON_KEY = "glossary.request_state"


@dataclass
class RequestState:
    request_id: str = ""
    started: float = field(default_factory=time.perf_counter)
    # The response cache was consulted (it is, at most once per request).
    looked_up: bool = False
    # The content generation every cached read of this request uses (None: none could be
    # trusted, so nothing is cached), once the response cache has resolved it.
    generation: object = None
    generation_resolved: bool = False
    # Where a response built by Django is stored, when it may be.
    response_key: str | None = None
    # The anonymous rate limit has counted this request.
    rate_counted: bool = False
    # "hit": answered from the response cache; "miss": built by Django and cacheable;
    # "bypass": not a cacheable anonymous read (or the cache was not usable).
    cache: str = "bypass"
    # What this request had to do without, e.g. {"cache"} while Redis is unreachable.
    degraded: set[str] = field(default_factory=set)


def request_state(request_or_environ) -> RequestState:
    """The state of the request (a Django request or a WSGI environ), made on first use."""
    environ = getattr(request_or_environ, "META", request_or_environ)
    state = environ.get(ENVIRON_KEY)
    if state is None:
        state = environ[ENVIRON_KEY] = RequestState()
    return state
