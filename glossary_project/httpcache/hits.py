"""Being told of response-cache hits, for what a view does on every request besides
answering it (counting searches: terms.search.counting), which a cached answer skips.

A view attaches a note to its response (``attach_note``: any small picklable value); the
note is stored with the response, and each time the stored response answers a request,
every listener registered with ``on_hit`` is called with that request and the note. The
cache knows nothing of what a note means. A listener that raises is logged and ignored:
it never fails the answer.
"""

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("glossary.httpcache")

NOTE_ATTRIBUTE = "cache_hit_note"
Listener = Callable[[Any, Any], None]  # (request, note)

_listeners: list[Listener] = []


def on_hit(listener: Listener) -> None:
    """Call ``listener(request, note)`` for each cache hit of a response with a note."""
    if listener not in _listeners:
        _listeners.append(listener)


def attach_note(response, note) -> None:
    setattr(response, NOTE_ATTRIBUTE, note)


def note_of(response):
    return getattr(response, NOTE_ATTRIBUTE, None)


def announce(request, note) -> None:
    if note is None:
        return
    for listener in _listeners:
        try:
            listener(request, note)
        except Exception:
            logger.exception("A response-cache hit listener failed: %r", listener)
