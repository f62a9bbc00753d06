from django.core.handlers.wsgi import WSGIHandler

from .responses import API_PREFIX, answer_from_cache
from .state import request_state


class CachedApiReadsHandler(WSGIHandler):
    """Django's WSGI handler, serving response-cache hits before Django's own request
    machinery (its signals and middleware cost more than the hit itself)."""

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(API_PREFIX):
            request_state(environ)  # made here, so both requests below share it
            try:
                # A copy: building a request rewrites PATH_INFO in its environ, decoded
                # from the WSGI (Latin-1) form, which Django's own request, built from
                # the server's environ below, must still find as the server gave it.
                response = answer_from_cache(self.request_class(environ.copy()))
            except Exception:  # a disallowed Host, say: Django answers it properly below
                response = None
            if response is not None:
                status = f"{response.status_code} {response.reason_phrase}"
                start_response(status, list(response.items()))
                return [] if environ.get("REQUEST_METHOD") == "HEAD" else [response.content]
        return super().__call__(environ, start_response)
