"""Request bodies, read with a hard limit however they are sent (README "Errors").

An inquiry (the site's form, POST /api/v1/inquiries/) may be ADVISORY_MAX_BODY_BYTES long,
a glossary document (POST /api/v1/glossary/) API_GLOSSARY_MAX_BYTES, any other request
Django's DATA_UPLOAD_MAX_MEMORY_SIZE; a longer one is answered 413 before anything reads
it (JSON under /api/, the site's page elsewhere), instead of Django's 400 or a view's own
check.

A body sent with Transfer-Encoding: chunked has no Content-Length: gunicorn hands it on
as a stream without CONTENT_LENGTH, which Django's request reads as empty (every field
"required"). ChunkedBodies, a layer of the WSGI application, reads such a body, up to its
limit, and gives Django the bytes and their length, as if the client had sent them so.
"""

import io

from django.conf import settings
from django.core.handlers.wsgi import get_path_info
from django.http import HttpResponse
from django.urls import Resolver404, resolve

from .errors import payload_too_large, unreadable_request

INQUIRY_VIEWS = frozenset({"advisory:inquiry_form", "advisory-api:inquiry-list"})
GLOSSARY_IMPORT_VIEW = "api:glossary-import"  # a whole glossary/1 document
# Nothing reads the body of these: it is neither read nor refused.
BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_SIZE = 64 * 1024


def body_limit(path: str, urlconf=None) -> int | None:
    """The most bytes a request body to ``path`` may have (None: no limit)."""
    try:
        view_name = resolve(path, urlconf).view_name
    except Resolver404:
        view_name = None
    if view_name in INQUIRY_VIEWS:
        return settings.ADVISORY_MAX_BODY_BYTES
    if view_name == GLOSSARY_IMPORT_VIEW:
        return settings.API_GLOSSARY_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def declared_length(meta) -> int | None:
    """CONTENT_LENGTH as a number of bytes; None when not sent; ValueError when malformed."""
    value = meta.get("CONTENT_LENGTH") or ""
    if not value:
        return None
    if not value.isascii() or not value.isdigit():
        raise ValueError(value)
    return int(value)


def is_chunked(meta) -> bool:
    return "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()


class RequestBodyLimitMiddleware:
    """413 for a body longer than its limit, by its Content-Length, before anything reads
    it (a chunked one has been read with the limit by ChunkedBodies already)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in BODILESS_METHODS:
            return self.get_response(request)
        try:
            length = declared_length(request.META)
        except ValueError:
            return unreadable_request(
                request.path, "The Content-Length header must be a whole number of bytes."
            )
        if length:
            limit = body_limit(request.path_info, getattr(request, "urlconf", None))
            if limit is not None and length > limit:
                return payload_too_large(request.path, limit)
        return self.get_response(request)


class ChunkedBodies:
    """The WSGI layer that reads a chunked request body (up to its limit) and hands the
    application the bytes with their CONTENT_LENGTH; 413 past the limit."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if (
            environ.get("CONTENT_LENGTH")
            or not is_chunked(environ)
            or environ.get("REQUEST_METHOD") in BODILESS_METHODS
        ):
            return self.app(environ, start_response)
        path_info = get_path_info(environ)
        path = environ.get("SCRIPT_NAME", "").rstrip("/") + path_info
        limit = body_limit(path_info)
        try:
            body = read_at_most(environ["wsgi.input"], limit)
        except Exception:  # whatever the server raises for a cut or malformed body
            return answer(
                unreadable_request(path, "The chunked request body could not be read."),
                start_response,
            )
        if body is None:
            return answer(payload_too_large(path, limit), start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)


def read_at_most(stream, limit: int | None) -> bytes | None:
    """The stream to its end, or None as soon as it holds more than ``limit`` bytes."""
    chunks, size = [], 0
    while True:
        wanted = READ_SIZE if limit is None else min(READ_SIZE, limit + 1 - size)
        chunk = stream.read(wanted)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            return None


def answer(response: HttpResponse, start_response) -> list[bytes]:
    """A response built outside Django's handler, given to the WSGI server."""
    start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
    return [response.content]
