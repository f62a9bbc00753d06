"""The answers the site gives when something fails: JSON under /api/, the site's own
pages elsewhere, and a 503 (try again soon) rather than a 500 when the database cannot be
reached, since the request changed nothing and can simply be sent again."""

import logging
import threading
import time

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import permission_denied as plain_permission_denied

from . import forbidden

logger = logging.getLogger("glossary.errors")

DATABASE_GONE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
API_PREFIX = "/api/"


class _OutageLog:
    """The first refusal of an outage is logged, then at most one line a minute."""

    def __init__(self, every: float = 60):
        self.every = every
        self.last = float("-inf")
        self.refused = 0
        self.lock = threading.Lock()

    def refused_one(self, error: BaseException) -> None:
        with self.lock:
            self.refused += 1
            now = time.monotonic()
            if now - self.last < self.every:
                return
            self.last, refused, self.refused = now, self.refused, 0
        logger.error(
            "The database is unreachable (%s); %s request(s) answered 503 since the last report.",
            type(error).__name__,
            refused,
        )


_outage_log = _OutageLog()


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_GONE):
            return None
        _outage_log.refused_one(exception)
        return service_unavailable(request)


def service_unavailable(request) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {
                "detail": "The service is briefly unavailable; nothing was changed. "
                f"Try again in {RETRY_AFTER_SECONDS} seconds."
            },
            status=503,
        )
    else:
        # No request context: the context processors would ask the database again.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request) -> HttpResponse:
    """handler500: JSON for API clients, the site's page for people."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Server error. It has been logged."}, status=500)
    return HttpResponse(render_to_string("500.html"), status=500)


def permission_denied(request, exception) -> HttpResponse:
    """handler403: JSON under /api/; in the admin, for staff, the admin's page naming the
    role that opens the page and whom to ask; the site's own page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": "You do not have permission to perform this action."}, status=403
        )
    if forbidden.is_admin_request(request) and forbidden.is_staff(request.user):
        return forbidden.admin_permission_denied(request)
    return plain_permission_denied(request, exception)


def bad_request(request, exception) -> HttpResponse:
    """handler400: a request Django itself refuses (a Host it does not serve, a body or
    form it will not read), as JSON under /api/ and the site's page elsewhere."""
    if isinstance(exception, RequestDataTooBig):  # Django's own DATA_UPLOAD_MAX_MEMORY_SIZE
        return payload_too_large(request.path, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if isinstance(exception, DisallowedHost):
        detail = "This server does not answer for the host named in the Host header."
    else:
        detail = "The request could not be read."
    return unreadable_request(request.path, detail)


def unreadable_request(path: str, detail: str) -> HttpResponse:
    if path.startswith(API_PREFIX):
        return JsonResponse({"detail": detail}, status=400)
    return HttpResponse(render_to_string("400.html"), status=400)


def payload_too_large(path: str, limit: int) -> HttpResponse:
    """413: the request body is longer than ``limit`` bytes (glossary_project.bodies)."""
    if path.startswith(API_PREFIX):
        response = JsonResponse(
            {"detail": f"The request body is too large: at most {limit} bytes."}, status=413
        )
    else:
        # No request context, as for the 503 page: nothing here may ask the database.
        response = HttpResponse(render_to_string("413.html"), status=413)
    response["Cache-Control"] = "no-store"
    return response
