"""The content generation: which content is current, as every cache key says.

The database holds the truth (``ContentGeneration``): a content change moves it in the same
transaction, so the move commits or rolls back with the change. After the commit the new
value is published to the shared cache, where the next request of every process finds it.
If that publication fails, each process still reads the database's value at least every
CONTENT_GENERATION_CHECK_SECONDS; and a process that has not been able to confirm the
value with the database for CONTENT_GENERATION_MAX_AGE seconds serves nothing from any
cache. So once a change commits, nobody is served the previous content for longer than
that, whatever failed.

Cache keys carry the shared cache's epoch too (see ``shared``), which changes whenever
the cache lost its stored values; while Redis is unreachable the process uses an epoch of
its own for what it keeps in memory.
"""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.models.functions import Greatest

from . import shared
from .backends import SharedCacheUnavailable
from .breaker import breaker_for
from .models import ContentGeneration

logger = logging.getLogger("glossary.httpcache")


@dataclass(frozen=True)
class Generation:
    epoch: int
    value: int  # ContentGeneration.value; 0 while unknown

    @property
    def key(self) -> str:
        return f"{self.epoch}.{self.value}"

    @property
    def changed_at(self) -> datetime:
        """When the content last changed (the Last-Modified of what it shows)."""
        nanoseconds = self.value or abs(self.epoch)
        return datetime.fromtimestamp(nanoseconds // 1_000_000_000, tz=UTC)


class _DatabaseView:
    """What this process knows of the database's generation, and since when."""

    def __init__(self):
        self.value: int | None = None
        self.confirmed_at = float("-inf")  # time.monotonic() of the last confirmation
        self.tried_at = float("-inf")
        self.lock = threading.Lock()

    def learn(self, value: int) -> None:
        with self.lock:
            self.value = value if self.value is None else max(self.value, value)
            self.confirmed_at = time.monotonic()


_database = _DatabaseView()
# While Redis is unreachable, what this process keeps in memory is keyed by this epoch.
_LOCAL_EPOCH = -time.time_ns()


def _database_breaker():
    return breaker_for("The database (content generation)", retry_seconds=lambda: 1)


def _read_database(*, force: bool = False) -> None:
    """Read the generation from the database if a check is due (or ``force``), learning it.

    Never from inside a transaction: that read could see the transaction's own change,
    which may yet roll back. After a failure, at most one try a second.
    """
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return
    now = time.monotonic()
    since_tried = now - _database.tried_at
    if _database_breaker().down and since_tried < 1:
        return
    if not force and since_tried < settings.CONTENT_GENERATION_CHECK_SECONDS:
        return
    _database.tried_at = now
    try:
        value = (
            ContentGeneration.objects.filter(pk=ContentGeneration.ROW)
            .values_list("value", flat=True)
            .first()
        )
    except DatabaseError as error:
        _database_breaker().failed(error)
        return
    _database_breaker().succeeded()
    _database.learn(value or 0)


def forget() -> None:
    """Drop what this process learned of the generation, as a process starting does.
    For tests that move the clock: generations are made from it, and this process keeps
    the highest it saw."""
    with _database.lock:
        _database.value = None
        _database.confirmed_at = _database.tried_at = float("-inf")


def known_value() -> int | None:
    """The latest generation value this process has learned from the database (or
    committed itself), without asking anyone: for a request that resolves none."""
    return _database.value


def confirmed() -> bool:
    """Whether the database confirmed this process's generation recently enough to serve
    from caches (always true inside a transaction, where it cannot be checked)."""
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return True
    return time.monotonic() - _database.confirmed_at <= settings.CONTENT_GENERATION_MAX_AGE


def resolve(read: shared.SharedRead | None) -> Generation | None:
    """The generation for a request, from what the shared cache said (None: unreachable).

    None when no generation can be trusted: then the request reads and stores nothing in
    any cache.
    """
    _read_database()
    if read is not None and read.generation is None:
        # The cache lost its mirror: take the database's value now, and put it back.
        _read_database(force=True)
        if _database.value is not None and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            shared.publish_generation(_database.value)
    if not confirmed():
        return None
    epoch = read.epoch if read is not None else _LOCAL_EPOCH
    mirrored = read.generation if read is not None else None
    return Generation(epoch=epoch, value=max(mirrored or 0, _database.value or 0))


class _Lazy:
    """A request's generation, resolved at its first use."""

    def __init__(self):
        self.resolved = False
        self.value: Generation | None = None

    def get(self) -> Generation | None:
        if not self.resolved:
            self.resolved = True  # a nested call while resolving gets no generation
            try:
                read = shared.read()
            except SharedCacheUnavailable:
                read = None
            self.value = resolve(read)
        return self.value


class _Fixed:
    def __init__(self, value: Generation | None):
        self.value = value

    def get(self) -> Generation | None:
        return self.value


_pinned: ContextVar[_Lazy | _Fixed | None] = ContextVar("pinned_generation", default=None)
LAZY = object()


def content_generation() -> Generation | None:
    """The current generation (the request's own, when a request pinned one), or None when
    none can be trusted: then nothing is read from or stored in any cache."""
    pinned = _pinned.get()
    if pinned is not None:
        return pinned.get()
    return _Lazy().get()


@contextmanager
def pinned_generation(generation=LAZY) -> Iterator[None]:
    """Within the block, every cached read uses one generation: ``generation`` (a
    Generation, or None for none at all), or by default the one current when first needed."""
    holder = _Lazy() if generation is LAZY else _Fixed(generation)
    token = _pinned.set(holder)
    try:
        yield
    finally:
        _pinned.reset(token)


def private_generation() -> Generation:
    """A generation nobody else uses, for a rendering whose cached parts must stay private
    (the admin's preview of unsaved changes)."""
    return Generation(epoch=-time.time_ns(), value=0)


class _Committed:
    """Run when the transaction that moved the generation commits."""

    def __init__(self, value: int):
        self.value = value

    def __call__(self) -> None:
        _database.learn(self.value)
        shared.publish_generation(self.value)


def changed_in_this_transaction(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the open transaction changed content (and so may yet roll it back)."""
    connection = connections[using]
    return connection.in_atomic_block and any(
        isinstance(callback, _Committed) for _ids, callback, _robust in connection.run_on_commit
    )


def content_will_change(using: str = DEFAULT_DB_ALIAS) -> None:
    """Before a content row is written. In a transaction, move the generation now: first,
    so that concurrent content transactions queue on the one generation row instead of
    locking each other's rows in different orders."""
    if connections[using].in_atomic_block:
        content_changed(using)


def content_changed(using: str = DEFAULT_DB_ALIAS) -> None:
    """Move the generation for a content change: in the change's transaction, once however
    many rows it writes; outside a transaction, after the write has committed."""
    if changed_in_this_transaction(using):
        return
    value = _move(using)
    if connections[using].in_atomic_block:
        transaction.on_commit(_Committed(value), using=using, robust=True)
    else:
        _Committed(value)()


def _move(using: str) -> int:
    rows = ContentGeneration.objects.using(using).filter(pk=ContentGeneration.ROW)
    moved = models.F("value") + 1
    now = models.Value(time.time_ns(), output_field=models.BigIntegerField())
    if not rows.update(value=Greatest(moved, now)):
        # The row is made by a migration; a database flushed since (tests) lacks it.
        with transaction.atomic(using=using):
            ContentGeneration.objects.using(using).get_or_create(
                pk=ContentGeneration.ROW, defaults={"value": time.time_ns()}
            )
        rows.update(value=Greatest(moved, now))
    return rows.values_list("value", flat=True).get()
