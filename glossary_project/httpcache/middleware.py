from django.conf import settings

from . import schedule
from .generation import LAZY, pinned_generation
from .responses import answer_from_cache, store
from .state import request_state


class HttpCacheMiddleware:
    """First in the stack: answers anonymous API reads from the cache (or lets Django
    answer and stores what it may), and gives every request one content generation."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = answer_from_cache(request)
        if response is not None:
            return response
        state = request_state(request)
        with pinned_generation(state.generation if state.generation_resolved else LAZY):
            response = self.get_response(request)
        store(request, response)
        return response


class ScheduledChangesMiddleware:
    """For requests the response cache does not answer (pages, logged-in users): applies
    the scheduled content changes that have come due before the view reads anything.
    After the host check (CommonMiddleware), so a refused request costs no query; the
    request's generation is resolved at its first use, after the changes committed.
    Not for CONTENT_SCHEDULE_SKIP_PATHS (the admin: no reader's page; the worker keeps
    its statuses current)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.skipped = tuple(settings.CONTENT_SCHEDULE_SKIP_PATHS)

    def __call__(self, request):
        state = request_state(request)
        if not state.generation_resolved and not request.path.startswith(self.skipped):
            schedule.changes_due()
        return self.get_response(request)
