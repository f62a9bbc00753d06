import hashlib

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe
from rest_framework.throttling import AnonRateThrottle

from ..cache import content_generation

API_PREFIX = "/api/v1/"


class ApiResponseCacheMiddleware:
    """Serve repeated anonymous API reads from the shared cache, without the database.

    The key carries the content generation, so a change anywhere is visible on the very
    next request to every worker. Hits still pay the anonymous throttle and answer
    conditional requests with 304. Only complete 200 JSON responses are stored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.API_RESPONSE_CACHE or not self.cacheable(request):
            return self.get_response(request)
        key = self.key(request)
        stored = cache.get(key)
        if stored is not None:
            throttled = self.throttled(request)
            return throttled or self.replay(request, *stored)
        response = self.get_response(request)
        if self.storable(response):
            headers = {name: value for name, value in response.items() if name != "Set-Cookie"}
            cache.set(key, (response.content, headers), timeout=settings.CONTENT_CACHE_SECONDS)
        return response

    @staticmethod
    def cacheable(request) -> bool:
        return (
            request.method in ("GET", "HEAD")
            and request.path.startswith(API_PREFIX)
            and "HTTP_AUTHORIZATION" not in request.META
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        )

    @staticmethod
    def key(request) -> str:
        identity = "\x1f".join(
            [request.get_host(), request.get_full_path(), request.headers.get("Accept", "")]
        )
        digest = hashlib.blake2b(identity.encode(), digest_size=16).hexdigest()
        return f"api:{content_generation()}:{digest}"

    @staticmethod
    def storable(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and response.get("Content-Type", "").startswith("application/json")
            and response.has_header("ETag")
        )

    @staticmethod
    def throttled(request):
        request.user = AnonymousUser()
        throttle = AnonRateThrottle()
        if throttle.allow_request(request, None):
            return None
        wait = throttle.wait()
        seconds = int(wait) + 1 if wait is not None else 60
        response = JsonResponse(
            {"detail": f"Request was throttled. Expected available in {seconds} seconds."},
            status=429,
        )
        response["Retry-After"] = str(seconds)
        return response

    @staticmethod
    def replay(request, content: bytes, headers: dict) -> HttpResponse:
        response = HttpResponse(content, headers=headers)
        last_modified = parse_http_date_safe(headers.get("Last-Modified", ""))
        return get_conditional_response(
            request, etag=headers.get("ETag"), last_modified=last_modified, response=response
        )
