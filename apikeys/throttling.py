from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Keyed requests count against their key's own limit, API_KEY_RATE (the anonymous
    limit counts requests per address, and does not count them)."""

    scope = "apikey"

    def get_rate(self):
        return settings.API_KEY_RATE

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None  # not keyed: not this throttle's
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
