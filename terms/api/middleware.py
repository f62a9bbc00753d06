import hashlib
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from ..cache import generation_and_hits, pinned_generation
from .throttling import counter_key, mark_counted

API_PREFIX = "/api/"


class ApiResponseCacheMiddleware:
    """Serve repeated anonymous API reads from the cache, without the database.

    For every anonymous API request, one round trip to the shared cache reads the
    content generation and counts the request against the anonymous rate limit. Stored
    responses are keyed by that generation, so any content change is visible on the very
    next request to every worker. Each process also keeps the most recent responses in
    memory; their keys carry the generation too, so they are never served stale.
    Only complete 200 JSON responses are stored; conditional requests get 304. The key
    includes everything the stored headers depend on: scheme, host, path and query,
    Accept, and Origin (for the CORS headers).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.recent: OrderedDict[str, tuple[bytes, dict]] = OrderedDict()

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX) or not self.anonymous(request):
            return self.get_response(request)
        key, limit, window, seconds_left = counter_key(request)
        generation, hits = generation_and_hits(key, window)
        mark_counted(request)
        if hits > limit:
            return self.too_many_requests(seconds_left)
        with pinned_generation(generation):
            if not settings.API_RESPONSE_CACHE or request.method not in ("GET", "HEAD"):
                return self.get_response(request)
            return self.cached_response(request, generation)

    def cached_response(self, request, generation: int):
        key = self.key(request, generation)
        stored = self.recent.get(key)
        if stored is None:
            stored = cache.get(key)
            if stored is not None:
                self.remember(key, stored)
        if stored is not None:
            return self.replay(request, *stored)
        response = self.get_response(request)
        if self.storable(response):
            headers = {name: value for name, value in response.items() if name != "Set-Cookie"}
            stored = (response.content, headers)
            cache.set(key, stored, timeout=settings.CONTENT_CACHE_SECONDS)
            self.remember(key, stored)
        return response

    def remember(self, key: str, stored: tuple[bytes, dict]) -> None:
        self.recent[key] = stored
        if len(self.recent) > settings.API_RECENT_RESPONSES:
            self.recent.popitem(last=False)

    @staticmethod
    def anonymous(request) -> bool:
        return (
            "HTTP_AUTHORIZATION" not in request.META
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        )

    @staticmethod
    def key(request, generation: int) -> str:
        identity = "\x1f".join(
            [
                request.scheme,
                request.get_host(),
                request.get_full_path(),
                request.headers.get("Accept", ""),
                request.headers.get("Origin", ""),
            ]
        )
        digest = hashlib.blake2b(identity.encode(), digest_size=16).hexdigest()
        return f"api:{generation}:{digest}"

    @staticmethod
    def storable(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and response.get("Content-Type", "").startswith("application/json")
            and response.has_header("ETag")
        )

    @staticmethod
    def too_many_requests(seconds_left: int) -> JsonResponse:
        response = JsonResponse(
            {"detail": f"Request was throttled. Expected available in {seconds_left} seconds."},
            status=429,
        )
        response["Retry-After"] = str(seconds_left)
        return response

    @staticmethod
    def replay(request, content: bytes, headers: dict) -> HttpResponse:
        response = HttpResponse(content, headers=headers)
        last_modified = parse_http_date_safe(headers.get("Last-Modified", ""))
        return get_conditional_response(
            request, etag=headers.get("ETag"), last_modified=last_modified, response=response
        )
