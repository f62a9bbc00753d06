"""Cached reads that stay correct: every cache key carries the content generation.

Any change to glossary content moves the generation (after the change commits), so
every process sharing the cache sees the change on its very next request; old entries
are simply never read again and expire.
"""

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TypeVar

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction

GENERATION_KEY = "glossary:generation"
T = TypeVar("T")

_pinned_generation: ContextVar[int | None] = ContextVar("pinned_generation", default=None)


def content_generation() -> int:
    """The current content generation: the time of the last change, in nanoseconds."""
    pinned = _pinned_generation.get()
    if pinned is not None:
        return pinned
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
        generation = cache.get(GENERATION_KEY) or time.time_ns()
    return generation


@contextmanager
def pinned_generation(generation: int) -> Iterator[None]:
    """Within a request, read every cached value at the one generation fetched at its start."""
    token = _pinned_generation.set(generation)
    try:
        yield
    finally:
        _pinned_generation.reset(token)


# One command instead of three: read the generation, count the request, start its window.
_GENERATION_AND_HITS_LUA = """
local generation = redis.call('GET', KEYS[1])
local hits = redis.call('INCR', KEYS[2])
if hits == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return {generation, hits}
"""


def generation_and_hits(counter_key: str, window_seconds: int) -> tuple[int, int]:
    """The content generation, and the count of ``counter_key`` after adding this request.

    On Redis both come back from one server-side script, in one round trip: that round
    trip is most of the cost of serving a cached response.
    """
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        backend.add(counter_key, 0, timeout=window_seconds)
        return content_generation(), backend.incr(counter_key)
    keys = [
        backend.make_and_validate_key(GENERATION_KEY),
        backend.make_and_validate_key(counter_key),
    ]
    generation, hits = _script_caller(backend)(keys, window_seconds)
    # Django's Redis backend stores whole numbers as plain Redis integers, so this reads
    # the same value as cache.get(GENERATION_KEY).
    return (int(generation) if generation is not None else content_generation()), hits


class _ScriptCaller:
    """The generation-and-hits script, called on one Redis connection this process keeps.

    Django's backend builds a client for every operation, and redis-py's pool checkout
    and retry wrappers cost more than the round trip itself; on the hot path this sends
    the command and reads the reply, reconnecting (and reloading the script) when needed.
    """

    def __init__(self, backend: RedisCache):
        self.client = backend._cache.get_client(write=True)
        self.pid = os.getpid()
        self.connection = None
        self.sha = self.client.script_load(_GENERATION_AND_HITS_LUA)

    def __call__(self, keys: list[str], window_seconds: int):
        for attempt in range(2):
            try:
                if self.connection is None:
                    self.connection = self.client.connection_pool.make_connection()
                self.connection.send_command("EVALSHA", self.sha, 2, *keys, window_seconds)
                return self.connection.read_response()
            except redis.exceptions.NoScriptError:  # Redis restarted and forgot the script
                if attempt:
                    raise
                self.sha = self.client.script_load(_GENERATION_AND_HITS_LUA)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                if self.connection is not None:
                    self.connection.disconnect()
                self.connection = None
                if attempt:
                    raise
        raise AssertionError("the loop returns or raises")


def _script_caller(backend: RedisCache) -> _ScriptCaller:
    client_maker = backend._cache
    caller = getattr(client_maker, "glossary_script_caller", None)
    if caller is None or caller.pid != os.getpid():  # made before a fork: not ours
        caller = client_maker.glossary_script_caller = _ScriptCaller(backend)
    return caller


def generation_time(generation: int) -> datetime:
    return datetime.fromtimestamp(generation // 1_000_000_000, tz=UTC)


def _bump_content_generation() -> None:
    cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def content_changed() -> None:
    """Move the generation once the current transaction commits (at once outside one).

    Bumping before the commit would let a concurrent request cache the old content
    under the new generation. One bump per transaction is enough, however many rows
    an import touches.
    """
    if connection.in_atomic_block and any(
        callback is _bump_content_generation
        for _savepoints, callback, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(_bump_content_generation)


def per_generation(name: str, compute: Callable[[], T], *parts: str) -> T:
    """``compute()`` once per content generation, shared by every process."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    key = f"glossary:{content_generation()}:{name}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=settings.CONTENT_CACHE_SECONDS)
    return value
