from django.core.handlers.wsgi import WSGIHandler

from .responses import API_PREFIX, answer_from_cache


class CachedApiReadsHandler(WSGIHandler):
    """Django's WSGI handler, serving response-cache hits before Django's own request
    machinery (its signals and middleware cost more than the hit itself)."""

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
