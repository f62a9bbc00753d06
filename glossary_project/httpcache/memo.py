"""Values computed once per content generation and shared by every process: totals,
letter counts, the site settings.

Each process keeps the most recent ones in memory too (as pickles, so every caller gets
its own copy); their keys carry the generation, so they are never stale. While Redis is
unreachable that memory is what saves recomputing them on every request.
"""

import hashlib
import pickle
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from .generation import changed_in_this_transaction, content_generation

T = TypeVar("T")

_recent: OrderedDict[str, bytes] = OrderedDict()
_read_only: OrderedDict[str, object] = OrderedDict()
READ_ONLY_KEPT = 4


def per_generation(name: str, compute: Callable[[], T], *parts: str) -> T:
    """``compute()`` once per content generation (without caching when no generation can
    be trusted, or inside a transaction that changed content, which may roll back)."""
    return _shared(name, compute, parts, _recent, settings.API_RECENT_RESPONSES, pickled=True)


def per_generation_read_only(name: str, compute: Callable[[], T], *parts: str) -> T:
    """``per_generation`` for a large value that no caller changes (a search index): this
    process keeps the value itself, not a pickle, and hands every caller the same object,
    since unpickling it would cost more than most uses of it. Only the latest few."""
    return _shared(name, compute, parts, _read_only, READ_ONLY_KEPT, pickled=False)


def _shared(name, compute, parts, kept: OrderedDict, most: int, *, pickled: bool):
    """The value from this process's memory, else the shared cache, else ``compute()``
    (then stored in both); ``kept`` holds pickles (each caller its own copy) or the value."""
    generation = content_generation()
    if generation is None:
        return compute()
    key = _key(generation.key, name, parts)
    local = kept.get(key)
    if local is not None:
        return pickle.loads(local) if pickled else local  # noqa: S301 - pickled just below
    value = cache.get(key)
    if value is None:
        value = compute()
        if changed_in_this_transaction():
            return value
        cache.set(key, value, timeout=settings.CONTENT_CACHE_SECONDS)
    kept[key] = pickle.dumps(value) if pickled else value
    kept.move_to_end(key)
    while len(kept) > most:
        kept.popitem(last=False)
    return value


_in_process: dict[str, tuple[int, object]] = {}


def per_content_change_in_process(name: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per content change, kept in this process's memory only (never
    the shared cache: a value that is cheaper to build than to move, such as a search
    lexicon's trigram index), one value per name, every caller the same object. Computed
    on every call when the content generation is unknown, or inside a transaction that
    changed content. Keyed by the database's generation alone: what a process keeps
    cannot be lost with the shared cache, so its epoch does not matter here."""
    generation = content_generation()
    if generation is None or not generation.value or changed_in_this_transaction():
        return compute()
    kept = _in_process.get(name)
    if kept is not None and kept[0] == generation.value:
        return kept[1]
    value = compute()
    _in_process[name] = (generation.value, value)
    return value


def _key(generation: str, name: str, parts: tuple[str, ...]) -> str:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
    return f"glossary:{generation}:{name}:{digest}"
