"""Django's Redis cache backend made safe to lose: short timeouts, no retries, a circuit
breaker, and a miss (or a no-op) instead of an exception while Redis cannot be reached.

Configured by settings.py from CACHE_URL, with CACHE_TIMEOUT as the socket timeouts and
CACHE_RETRY_SECONDS as how long the breaker skips Redis after a failure.
"""

import hashlib
import os
from urllib.parse import urlsplit, urlunsplit

import redis
from django.conf import settings
from django.core.cache.backends.redis import RedisCache

from .breaker import breaker_for


class SharedCacheUnavailable(Exception):
    """Redis could not be reached (or is being skipped for a few seconds after a failure)."""


def describe(location: str) -> str:
    """The server's address for logs, without a password."""
    parts = urlsplit(location)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return "The shared cache " + urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        servers = server.split(",") if isinstance(server, str) else list(server)
        self.location = servers[0].strip()
        self.connection_options = dict(params.get("OPTIONS") or {})
        self.breaker = breaker_for(
            describe(self.location), retry_seconds=lambda: settings.CACHE_RETRY_SECONDS
        )
        self._kept: _KeptConnection | None = None

    def _call(self, method, *args, default=None, **kwargs):
        if not self.breaker.allows():
            return default
        try:
            result = method(*args, **kwargs)
        except redis.RedisError as error:
            self.breaker.failed(error)
            return default
        self.breaker.succeeded()
        return result

    def add(self, key, value, timeout=None, version=None):
        return self._call(super().add, key, value, timeout, version, default=False)

    def get(self, key, default=None, version=None):
        return self._call(super().get, key, default, version, default=default)

    def set(self, key, value, timeout=None, version=None):
        self._call(super().set, key, value, timeout, version)

    def touch(self, key, timeout=None, version=None):
        return self._call(super().touch, key, timeout, version, default=False)

    def delete(self, key, version=None):
        return self._call(super().delete, key, version, default=False)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, keys, version, default={})

    def has_key(self, key, version=None):
        return self._call(super().has_key, key, version, default=False)

    def incr(self, key, delta=1, version=None):
        result = self._call(super().incr, key, delta, version)
        if result is None:
            raise ValueError(f"Key '{key}' cannot be incremented: the shared cache is unavailable.")
        return result

    def set_many(self, data, timeout=None, version=None):
        return self._call(super().set_many, data, timeout, version, default=list(data))

    def delete_many(self, keys, version=None):
        self._call(super().delete_many, keys, version)

    def clear(self):
        return self._call(super().clear, default=False)

    def run_script(self, script: str, keys: list[str], args: list) -> list:
        """Run a Lua script in one round trip on a connection this process keeps.

        Raises SharedCacheUnavailable when Redis cannot be reached (or is being skipped).
        """
        if not self.breaker.allows():
            raise SharedCacheUnavailable
        try:
            if self._kept is None or self._kept.pid != os.getpid():  # made before a fork
                self._kept = _KeptConnection(self.location, self.connection_options)
            result = self._kept.run(script, keys, args)
        except redis.RedisError as error:
            self.breaker.failed(error)
            raise SharedCacheUnavailable from error
        self.breaker.succeeded()
        return result


class _KeptConnection:
    """One Redis connection, reconnected when it breaks, scripts loaded when Redis lacks them.

    redis-py's pool checkout and retry wrappers cost more than a round trip to a local
    Redis; on the hot path this sends the command and reads the reply.
    """

    def __init__(self, location: str, options: dict):
        self.pid = os.getpid()
        self.pool = redis.ConnectionPool.from_url(location, **options)
        self.connection = None
        self.shas: dict[str, str] = {}

    def run(self, script: str, keys: list[str], args: list):
        sha = self.shas.get(script)
        if sha is None:
            sha = self.shas[script] = hashlib.sha1(script.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1
        for attempt in (1, 2):
            fresh = self.connection is None
            if fresh:
                self.connection = self.pool.make_connection()
            try:
                self.connection.send_command("EVALSHA", sha, len(keys), *keys, *args)
                return self.connection.read_response()
            except redis.exceptions.NoScriptError:  # Redis restarted and forgot it
                self.connection.send_command("SCRIPT", "LOAD", script)
                self.connection.read_response()
                if attempt == 2:
                    raise
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                self.connection.disconnect()
                self.connection = None
                # A kept connection may have died with a Redis restart: one fresh try.
                if fresh or attempt == 2:
                    raise
        raise AssertionError("the loop returns or raises")
