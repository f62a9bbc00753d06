"""What every process reads from and writes to the shared cache for each request: the
cache's epoch, the content generation's mirror, and the anonymous request counter.

On Redis the three come back from one server-side script in one round trip (that round
trip is most of the cost of serving a cached response). Any other Django cache backend
(local memory in development and tests) is read through Django's cache API.
"""

import contextlib
import time
from dataclasses import dataclass

from django.core.cache import caches

from .backends import ResilientRedisCache, SharedCacheUnavailable

# The epoch names one lifetime of the cache's stored values: it is made anew whenever the
# cache has lost them (a Redis restart or flush, cache.clear()), so no key can outlive it.
EPOCH_KEY = "glossary:epoch"
GENERATION_KEY = "glossary:generation"

_READ_LUA = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[1], epoch)
end
local generation = redis.call('GET', KEYS[2])
local hits = false
if KEYS[3] then
  hits = redis.call('INCR', KEYS[3])
  if hits == 1 then redis.call('EXPIRE', KEYS[3], ARGV[1]) end
end
return {epoch, generation, hits}
"""

_PUBLISH_LUA = """
local stored = redis.call('GET', KEYS[1])
if not stored or tonumber(stored) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
"""


@dataclass(frozen=True)
class SharedRead:
    epoch: int
    generation: int | None  # None: the mirror is missing (the cache lost it)
    hits: int | None  # the counter after this request, if one was given


def backend():
    return caches["default"]


def read(counter_key: str | None = None, window: int = 0) -> SharedRead:
    """The epoch, the mirrored generation and (if ``counter_key``) the count of requests in
    the counter's window, this one included. Raises SharedCacheUnavailable."""
    cache = backend()
    if isinstance(cache, ResilientRedisCache):
        keys = [cache.make_and_validate_key(EPOCH_KEY), cache.make_and_validate_key(GENERATION_KEY)]
        if counter_key:
            keys.append(cache.make_and_validate_key(counter_key))
        epoch, generation, hits = cache.run_script(_READ_LUA, keys, [window, time.time_ns()])
        return SharedRead(
            epoch=int(epoch),
            generation=int(generation) if generation is not None else None,
            hits=hits if counter_key else None,
        )
    cache.add(EPOCH_KEY, time.time_ns(), timeout=None)
    values = cache.get_many([EPOCH_KEY, GENERATION_KEY])
    if EPOCH_KEY not in values:
        raise SharedCacheUnavailable
    hits = None
    if counter_key:
        cache.add(counter_key, 0, timeout=window)
        try:
            hits = cache.incr(counter_key)
        except ValueError as error:  # expired between add and incr, or unavailable
            raise SharedCacheUnavailable from error
    return SharedRead(epoch=values[EPOCH_KEY], generation=values.get(GENERATION_KEY), hits=hits)


def publish_generation(value: int) -> None:
    """Raise the mirrored generation to ``value`` (never lower it). Best effort: a failure
    is the breaker's to log, and readers find the value in the database soon after."""
    cache = backend()
    if isinstance(cache, ResilientRedisCache):
        with contextlib.suppress(SharedCacheUnavailable):
            cache.run_script(_PUBLISH_LUA, [cache.make_and_validate_key(GENERATION_KEY)], [value])
        return
    stored = cache.get(GENERATION_KEY)
    if stored is None or stored < value:
        cache.set(GENERATION_KEY, value, timeout=None)


def unavailable() -> bool:
    """Whether the shared cache is being skipped after a failure."""
    breaker = getattr(backend(), "breaker", None)
    return breaker is not None and breaker.down
