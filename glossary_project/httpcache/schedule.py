"""Scheduled content changes, exact at the moment they are due.

Content can be scheduled to change by itself (a term going live or coming down at a set
time). Each process knows, for the content generation it last saw, the next such moment:
one small query per generation (settings.CONTENT_SCHEDULE_NEXT), kept in memory, since
any change of a schedule is a content change and so moves the generation. Every request
compares the clock with that moment, before any cache is read; once it has passed, the
request applies what is due (settings.CONTENT_SCHEDULE_APPLY) and is answered without
any cache, its generation being stale. The apply commits a new generation, so every later
request, in every process, uses new cache keys.

This package is infrastructure: it knows the two callables by their settings only.
"""

import logging
import time

from django.conf import settings
from django.db import DatabaseError
from django.utils.module_loading import import_string

from .breaker import breaker_for
from .generation import known_value

logger = logging.getLogger("glossary.httpcache")

NEVER = float("inf")

# (generation value, time.time() of the next scheduled change or NEVER) of this process.
_known: tuple[object, float] = (object(), NEVER)


def _breaker():
    return breaker_for("The database (scheduled changes)", retry_seconds=lambda: 1)


def _callable(name: str):
    path = getattr(settings, name, None)
    return import_string(path) if path else None


def _next_moment() -> float | None:
    """The next scheduled change as a time.time() value (NEVER for none); None when the
    database could not say (then ask again on a later request)."""
    find = _callable("CONTENT_SCHEDULE_NEXT")
    if find is None:
        return NEVER
    if not _breaker().allows():
        return None
    try:
        moment = find()
    except Exception as error:
        _failed(error)
        return None
    _breaker().succeeded()
    return NEVER if moment is None else moment.timestamp()


def changes_due() -> bool:
    """Whether a scheduled change came due for the content of the generation this process
    last learned from the database (``generation.known_value``: a change elsewhere
    reaches it within CONTENT_GENERATION_CHECK_SECONDS) and has just been applied: then
    this request must be answered without any cache. One tuple read and one comparison
    when nothing is due. If applying fails (the database is unreachable, say), that is
    logged once and the request is served as usual."""
    global _known
    generation_value = known_value()
    seen_value, moment = _known
    if seen_value != generation_value:
        found = _next_moment()
        if found is None:
            return False
        moment = found
        _known = (generation_value, moment)
    if time.time() < moment:
        return False
    return _apply()


def _apply() -> bool:
    apply = _callable("CONTENT_SCHEDULE_APPLY")
    if apply is None or not _breaker().allows():
        return False
    try:
        apply()
    except Exception as error:
        _failed(error)
        return False
    _breaker().succeeded()
    global _known
    _known = (object(), NEVER)  # look again, at the generation the apply committed
    return True


def _failed(error: Exception) -> None:
    if not isinstance(error, DatabaseError) and not _breaker().down:
        logger.exception("Applying scheduled content changes failed.")
    _breaker().failed(error)


def forget() -> None:
    """Drop what this process knows, failures included (tests that flush the database)."""
    global _known
    _known = (object(), NEVER)
    _breaker().succeeded()
