"""The response cache for anonymous API reads.

For every anonymous API request, one round trip to the shared cache reads the epoch and
the content generation and counts the request against the anonymous rate limit. Stored
responses are keyed by both, so any content change is visible on the very next request
to every worker. Each process also keeps the most recent responses in memory (keyed the
same way, so never stale); while Redis is unreachable they are the only cache. Only
complete 200 JSON responses are stored (never one marked no-store); conditional requests
get 304. The key includes everything the stored headers depend on: scheme, host, path and
query, Accept, and Origin (for the CORS headers).
"""

import hashlib
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from ..headers import with_response_headers
from . import hits, schedule
from .generation import Generation, changed_in_this_transaction, resolve
from .state import request_state
from .throttle import count_request

API_PREFIX = "/api/"
CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)

# This process's most recent responses: key -> (body, headers, ETag, Last-Modified time,
# the view's note for hit listeners: httpcache.hits). Entries stored before the note was
# added have four items.
_recent: OrderedDict[str, tuple[bytes, dict, str | None, int | None, object]] = OrderedDict()


def answer_from_cache(request) -> HttpResponse | None:
    """The answer to an anonymous API read from the cache (or a 429), else None.

    The first call for a request counts it and fixes its content generation; later calls
    for the same request return None at once. Before any cache is read, scheduled content
    changes that have come due are applied (``schedule``), and then this request is
    answered without caches (other requests: ScheduledChangesMiddleware).
    """
    state = request_state(request)
    if state.looked_up:
        return None
    state.looked_up = True
    if not request.path.startswith(API_PREFIX) or not anonymous(request):
        return None  # scheduled changes: ScheduledChangesMiddleware
    verdict = count_request(request)
    generation = resolve(verdict.read)
    if generation is None:
        state.degraded.add("database")
    elif schedule.changes_due():
        generation = None  # stale: the changes just applied moved it
    state.generation, state.generation_resolved = generation, True
    if not verdict.allowed:
        return too_many_requests(request, verdict.seconds_left)
    if generation is None or not settings.API_RESPONSE_CACHE:
        return None
    if request.method not in ("GET", "HEAD"):
        return None
    key = response_key(request, generation)
    state.response_key, state.cache = key, "miss"
    stored = _recent.get(key)
    if stored is None:
        stored = cache.get(key)
        if stored is None:
            return None
        remember(key, stored)
    state.cache = "hit"
    hits.announce(request, stored[4] if len(stored) > 4 else None)
    return replay(request, stored)


def store(request, response) -> None:
    """Keep a response Django built for a cacheable request, if it may be reused."""
    key = request_state(request).response_key
    if not key or not storable(response) or changed_in_this_transaction():
        return
    headers = {name: value for name, value in response.items() if name != "Set-Cookie"}
    last_modified = parse_http_date_safe(headers.get("Last-Modified", ""))
    stored = (
        response.content,
        headers,
        headers.get("ETag"),
        last_modified,
        hits.note_of(response),
    )
    cache.set(key, stored, timeout=settings.CONTENT_CACHE_SECONDS)
    remember(key, stored)


def remember(key: str, stored: tuple) -> None:
    _recent[key] = stored
    if len(_recent) > settings.API_RECENT_RESPONSES:
        _recent.popitem(last=False)


def anonymous(request) -> bool:
    return (
        "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def response_key(request, generation: Generation) -> str:
    identity = "\x1f".join(
        [
            request.scheme,
            request.get_host(),
            request.get_full_path(),
            request.META.get("HTTP_ACCEPT", ""),
            request.META.get("HTTP_ORIGIN", ""),
        ]
    )
    digest = hashlib.blake2b(identity.encode(), digest_size=16).hexdigest()
    return f"api:{generation.key}:{digest}"


def storable(response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and response.get("Content-Type", "").startswith("application/json")
        and response.has_header("ETag")
        and "no-store" not in response.get("Cache-Control", "")
    )


def too_many_requests(request, seconds_left: int) -> HttpResponse:
    """DRF's 429, with the headers Django's middleware would have given it (CORS too, so
    a front end can read it); it is answered before that middleware runs."""
    response = JsonResponse(
        {"detail": f"Request was throttled. Expected available in {seconds_left} seconds."},
        status=429,
    )
    response["Retry-After"] = str(seconds_left)
    response["Cache-Control"] = "no-store"  # never kept by a CDN (glossary_project/cdn)
    return with_response_headers(request, response)


def replay(request, stored: tuple) -> HttpResponse:
    content, headers, etag, last_modified = stored[:4]
    response = HttpResponse(content, headers=headers)
    if any(header in request.META for header in CONDITIONAL_HEADERS):
        return get_conditional_response(
            request, etag=etag, last_modified=last_modified, response=response
        )
    return response
