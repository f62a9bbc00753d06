"""The response cache for anonymous API reads, and the WSGI handler that serves its hits.

For every anonymous API request, one round trip to the shared cache reads the content
generation and counts the request against the anonymous rate limit. Stored responses are
keyed by that generation, so any content change is visible on the very next request to
every worker. Each process also keeps the most recent responses in memory; their keys
carry the generation too, so they are never served stale. Only complete 200 JSON
responses are stored (never one marked no-store); conditional requests get 304. The key
includes everything the stored headers depend on: scheme, host, path and query, Accept,
and Origin (for the CORS headers).

``answer_from_cache`` is the one implementation. ``ApiResponseCacheMiddleware`` calls it
first in the middleware stack and stores what Django builds on a miss;
``CachedApiReadsHandler`` (the WSGI application in production) calls it before Django's
request signals and middleware run, which on a hit cost more than the hit itself.
"""

import hashlib
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from ..cache import generation_and_hits, pinned_generation
from .throttling import counter_key, mark_counted

API_PREFIX = "/api/"
# Kept in request.META (the WSGI environ), so a second look at the same request is free.
LOOKED_UP = "glossary.cache_looked_up"
GENERATION = "glossary.generation"
RESPONSE_KEY = "glossary.response_key"
CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)

# This process's most recent responses: key -> (body, headers, ETag, Last-Modified time).
_recent: OrderedDict[str, tuple[bytes, dict, str | None, int | None]] = OrderedDict()


def answer_from_cache(request) -> HttpResponse | None:
    """The answer to an anonymous API read from the cache (or a 429), else None.

    The first call for a request counts it and fixes its content generation; later calls
    for the same request return None at once.
    """
    meta = request.META
    if meta.get(LOOKED_UP):
        return None
    meta[LOOKED_UP] = True
    if not request.path.startswith(API_PREFIX) or not anonymous(request):
        return None
    key, limit, window, seconds_left = counter_key(request)
    generation, hits = generation_and_hits(key, window)
    meta[GENERATION] = generation
    mark_counted(request)
    if hits > limit:
        return too_many_requests(seconds_left)
    if not settings.API_RESPONSE_CACHE or request.method not in ("GET", "HEAD"):
        return None
    key = response_key(request, generation)
    meta[RESPONSE_KEY] = key
    stored = _recent.get(key)
    if stored is None:
        stored = cache.get(key)
        if stored is None:
            return None
        remember(key, stored)
    return replay(request, stored)


class ApiResponseCacheMiddleware:
    """First in the stack: answers from the cache, or lets Django answer and stores it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = answer_from_cache(request)
        if response is not None:
            return response
        generation = request.META.get(GENERATION)
        if generation is None:  # not an anonymous API request
            return self.get_response(request)
        with pinned_generation(generation):
            response = self.get_response(request)
        key = request.META.get(RESPONSE_KEY)
        if key and storable(response):
            headers = {name: value for name, value in response.items() if name != "Set-Cookie"}
            last_modified = parse_http_date_safe(headers.get("Last-Modified", ""))
            stored = (response.content, headers, headers.get("ETag"), last_modified)
            cache.set(key, stored, timeout=settings.CONTENT_CACHE_SECONDS)
            remember(key, stored)
        return response


class CachedApiReadsHandler(WSGIHandler):
    """Django's WSGI handler, serving response-cache hits before Django's own machinery."""

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(API_PREFIX):
            try:
                response = answer_from_cache(self.request_class(environ))
            except Exception:  # a disallowed Host, say: Django answers it properly below
                response = None
            if response is not None:
                status = f"{response.status_code} {response.reason_phrase}"
                start_response(status, list(response.items()))
                return [] if environ.get("REQUEST_METHOD") == "HEAD" else [response.content]
        return super().__call__(environ, start_response)


def remember(key: str, stored: tuple) -> None:
    _recent[key] = stored
    if len(_recent) > settings.API_RECENT_RESPONSES:
        _recent.popitem(last=False)


def anonymous(request) -> bool:
    return (
        "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def response_key(request, generation: int) -> str:
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
    return f"api:{generation}:{digest}"


def storable(response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and response.get("Content-Type", "").startswith("application/json")
        and response.has_header("ETag")
        and "no-store" not in response.get("Cache-Control", "")
    )


def too_many_requests(seconds_left: int) -> JsonResponse:
    response = JsonResponse(
        {"detail": f"Request was throttled. Expected available in {seconds_left} seconds."},
        status=429,
    )
    response["Retry-After"] = str(seconds_left)
    return response


def replay(request, stored: tuple) -> HttpResponse:
    content, headers, etag, last_modified = stored
    response = HttpResponse(content, headers=headers)
    if any(header in request.META for header in CONDITIONAL_HEADERS):
        return get_conditional_response(
            request, etag=etag, last_modified=last_modified, response=response
        )
    return response
