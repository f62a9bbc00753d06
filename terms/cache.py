"""Cached reads that stay correct: every cache key carries the content generation.

Any change to glossary content moves the generation (after the change commits), so
every process sharing the cache sees the change on its very next request; old entries
are simply never read again and expire.
"""

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

GENERATION_KEY = "glossary:generation"
T = TypeVar("T")


def content_generation() -> int:
    """The current content generation: the time of the last change, in nanoseconds."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
        generation = cache.get(GENERATION_KEY) or time.time_ns()
    return generation


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
