from django.utils.cache import patch_vary_headers

from advisory.views import client_address

from .services import api_key_use_record


class KeyedResponsesMiddleware:
    """The one place keyed responses are made private and audited.

    Whatever an inner layer said (the content views' `public, max-age`, CDN headers), a
    response to a request carrying Authorization is `Cache-Control: private, no-store`:
    no browser, proxy or CDN keeps what a key may see. (The response cache never stores
    them either: httpcache.responses.anonymous.) Every request that named a known key
    (apikeys.authentication) gets an ApiKeyUse row with the status it was answered with.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "HTTP_AUTHORIZATION" in request.META:
            response["Cache-Control"] = "private, no-store"
            patch_vary_headers(response, ["Authorization"])
            if response.has_header("Expires"):
                del response["Expires"]
        key = getattr(request, "api_key", None)
        if key is not None:
            api_key_use_record(
                key=key,
                method=request.method,
                path=request.get_full_path(),
                status_code=response.status_code,
                client_address=client_address(request),
            )
        return response
