"""The cache headers of every response: what shared caches (a CDN, Varnish) may keep.

A tagged response (``tags``) to an anonymous GET or HEAD that answered 200 is public:
browsers keep an API answer API_CACHE_MAX_AGE seconds and a page PAGE_CACHE_MAX_AGE
(0: asked again each time, a 304 when unchanged, so a reader sees a publish at once),
shared caches CDN_SHARED_MAX_AGE (they are
purged when it changes), serving it stale while they fetch it again
(CDN_STALE_WHILE_REVALIDATE) or while the site fails (CDN_STALE_IF_ERROR). Its tags go
out as ``Cache-Tag`` (Cloudflare) and ``Surrogate-Key`` (Fastly; the shipped VCL gives
them to Varnish's xkey).

Nothing else is for shared caches: a response to a request with credentials (an
Authorization header, a session) is ``private, no-store``, an error (a 429 too)
``no-store``, and an untagged response without Cache-Control ``private``. A response a
view already marked ``no-store`` or ``private`` keeps its header, without tags.

Just inside ConditionalGetMiddleware, so a 304 carries the Cache-Control of the 200 it
stands for, and the response cache (HttpCacheMiddleware) stores and replays what this
middleware made.
"""

from django.conf import settings

from ..httpcache.responses import API_PREFIX, anonymous
from .tags import header_values, is_tagged, tags_of

TAG_HEADERS = ("Cache-Tag", "Surrogate-Key", "xkey")
SAFE_METHODS = ("GET", "HEAD")


class EdgeCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return edge_headers(request, self.get_response(request))


def public_cache_control(request) -> str:
    api = request.path.startswith(API_PREFIX)
    return ", ".join(
        [
            "public",
            f"max-age={settings.API_CACHE_MAX_AGE if api else settings.PAGE_CACHE_MAX_AGE}",
            f"s-maxage={settings.CDN_SHARED_MAX_AGE}",
            f"stale-while-revalidate={settings.CDN_STALE_WHILE_REVALIDATE}",
            f"stale-if-error={settings.CDN_STALE_IF_ERROR}",
        ]
    )


def edge_headers(request, response):
    cache_control = response.get("Cache-Control", "")
    marked_private = "no-store" in cache_control or "private" in cache_control
    for name in TAG_HEADERS:
        if name in response:
            del response[name]  # only this function says what is shared
    if shared(request, response) and not marked_private:
        response["Cache-Control"] = public_cache_control(request)
        response["Cache-Tag"], response["Surrogate-Key"] = header_values(tags_of(response))
    elif marked_private:
        pass
    elif response.status_code >= 400:
        response["Cache-Control"] = "no-store"
    elif is_tagged(response) and not anonymous(request):
        response["Cache-Control"] = "private, no-store"
    elif not cache_control and response.status_code != 304:
        response["Cache-Control"] = "private"
    return response


def shared(request, response) -> bool:
    """Whether shared caches may keep ``response``: tagged, public content for anyone."""
    return (
        is_tagged(response)
        and request.method in SAFE_METHODS
        and response.status_code == 200
        and anonymous(request)
        and not response.cookies
    )
