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
