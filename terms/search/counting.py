"""How often readers searched for what, per normalised query and day, and whether it found
anything (terms.models.SearchCount): the signal of which term to write next.

``record_search`` is called once per public search (the API term list, the site's index,
and each response-cache hit of an API search: ``count_cached_search``). It only adds to
this process's buffer, under a lock held for a dictionary update: it never touches the
database or the cache, never blocks on either and never raises. A background thread
writes the buffer every ``SEARCH_COUNT_FLUSH_SECONDS`` (sooner when it fills), one
upsert per batch, and once more as the process exits. If the database cannot take a
batch, those counts are dropped and a log line says how many: counting is a signal, not
a ledger, and must never fail or slow a search. Nothing here uses Redis.

With ``SEARCH_COUNT_FLUSH_SECONDS`` 0 (the tests) there is no thread: ``flush()`` writes.
"""

import atexit
import logging
import os
import threading
from datetime import date, timedelta

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from ..models import SearchCount

logger = logging.getLogger("glossary.search")

CACHE_NOTE = "search_count"
ROWS_PER_STATEMENT = 500
# The table name from the model, the values as parameters.
UPSERT = (
    "INSERT INTO {table} (query, day, searches, results) VALUES {values} "
    "ON CONFLICT (query, day) DO UPDATE SET searches = {table}.searches + excluded.searches, "
    "results = excluded.results"
)


def normalised(query: str) -> str:
    """The query as it is counted: lower case, single spaces, no control characters, at
    most 100 characters ("" for nothing to count)."""
    printable = "".join(char if char.isprintable() else " " for char in query)
    return " ".join(printable.lower().split())[: SearchCount.QUERY_MAX_LENGTH].rstrip()


def is_reader(request) -> bool:
    """Whether a search by this request counts: staff (editors checking the site, the
    advisory team) are not the readers whose searches tell editors what to write."""
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated and user.is_staff)


class SearchCounter:
    """The buffer of one process: (query, day) -> [searches, results of the latest]."""

    def __init__(self):
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, date], list[int]] = {}
        self._full_logged = False
        self._wake = threading.Event()
        self._flusher: threading.Thread | None = None

    def record(self, query: str, results: int) -> None:
        try:
            self._record(query, results)
        except Exception:  # counting must never fail a search
            logger.exception("A search could not be counted.")

    def _record(self, query: str, results: int) -> None:
        text = normalised(query)
        if not text:
            return
        if self._pid != os.getpid():
            self._reset()  # a forked child: its parent's buffer and thread are not its own
        key = (text, timezone.localdate())
        capacity = settings.SEARCH_COUNT_BUFFER_SIZE
        with self._lock:
            entry = self._pending.get(key)
            if entry is not None:
                entry[0] += 1
                entry[1] = results
            elif len(self._pending) < capacity:
                self._pending[key] = [1, results]
            elif not self._full_logged:
                self._full_logged = True
                logger.warning(
                    "The search count buffer is full (%d queries): new queries are not "
                    "counted until it is written.",
                    capacity,
                )
            filling = len(self._pending) * 2 >= capacity
        self._start_flusher()
        if filling:
            self._wake.set()

    def flush(self) -> int:
        """Write what is buffered (one upsert per batch); the number of searches written.
        If the database refuses, those counts are dropped, and a log line says so."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._full_logged = False
        if not pending:
            return 0
        rows = [(query, day, *counts) for (query, day), counts in pending.items()]
        try:
            upsert(rows)
        except Exception:
            logger.warning(
                "Search counts lost: %d searches of %d queries could not be stored.",
                sum(row[2] for row in rows),
                len(rows),
                exc_info=True,
            )
            return 0
        return sum(row[2] for row in rows)

    def forget(self) -> None:
        """Drop what is buffered, unwritten (tests start each with nothing counted)."""
        with self._lock:
            self._pending = {}

    def _start_flusher(self) -> None:
        interval = settings.SEARCH_COUNT_FLUSH_SECONDS
        if self._flusher is not None or interval <= 0:
            return
        with self._lock:
            if self._flusher is not None:
                return
            self._flusher = threading.Thread(
                target=self._flush_forever,
                args=(interval,),
                name="search-counts",
                daemon=True,
            )
            self._flusher.start()
        atexit.register(self.flush)

    def _flush_forever(self, interval: float) -> None:
        while True:
            self._wake.wait(timeout=interval)
            self._wake.clear()
            self.flush()
            # This thread's own connection: not left open (or broken) between batches.
            connections.close_all()


def upsert(rows: list[tuple[str, date, int, int]]) -> None:
    """Add ``rows`` (query, day, searches, results) to the stored counts: searches add up,
    the latest results replace the stored ones. One statement per ROWS_PER_STATEMENT rows
    (ON CONFLICT: PostgreSQL and SQLite alike), in one transaction."""
    connection = connections[SearchCount.objects.db]
    table = connection.ops.quote_name(SearchCount._meta.db_table)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            sql = UPSERT.format(table=table, values=values)
            params = []
            for query, day, searches, results in chunk:
                params += [query, connection.ops.adapt_datefield_value(day), searches, results]
            cursor.execute(sql, params)


counter = SearchCounter()


def record_search(query: str, results: int) -> None:
    """Count one reader's search for ``query`` that found ``results`` terms (buffered:
    never blocks, never raises)."""
    counter.record(query, results)


def flush() -> int:
    return counter.flush()


def forget() -> None:
    counter.forget()


def search_counts_purge(*, older_than_days: int, dry_run: bool = False) -> int:
    """Delete the counts of days more than ``older_than_days`` ago (retention: README
    "What readers searched for"); the number of (query, day) rows deleted, or that would be."""
    cutoff = timezone.localdate() - timedelta(days=older_than_days)
    old = SearchCount.objects.filter(day__lt=cutoff)
    if dry_run:
        return old.count()
    with transaction.atomic():
        deleted, _per_model = old.delete()
    return deleted


def cache_note(query: str, results: int) -> tuple:
    """What an API search response carries into the response cache, so that each answer
    from the cache is counted too (``count_cached_search``)."""
    return (CACHE_NOTE, query, results)


def count_cached_search(request, note) -> None:
    """The response cache's hit listener (glossary_project.httpcache.hits)."""
    if isinstance(note, tuple) and len(note) == 3 and note[0] == CACHE_NOTE:
        record_search(note[1], note[2])
