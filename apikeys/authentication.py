"""`Authorization: Bearer gk_…` for DRF: the key is request.auth, its scopes its rights."""

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled

from glossary_project.httpcache.throttle import count_request

from .models import ApiKey
from .selectors import api_key_matching
from .services import api_key_mark_used

KEYWORD = b"bearer"
REALM = 'Bearer realm="api"'


class ApiKeyUser(AnonymousUser):
    """request.user of a keyed request: nobody. It has no session, is never staff and
    holds no Django permission, so a key can never gain what a login has through the
    session or admin machinery; what it may do is its scopes (request.auth, checked by
    apikeys.permissions.KeyScope)."""

    def __init__(self, key: ApiKey):
        self.key = key

    def __str__(self) -> str:
        return f"API key {self.key.display_key}"


class ApiKeyAuthentication(BaseAuthentication):
    """A request with `Authorization: Bearer <key>` is the key's, or a 401: a key that is
    unknown, expired or revoked is never read as an anonymous request. Without a Bearer
    header the next authenticator (the session) is asked.

    The key a request named (whatever its state) is left on the Django request as
    ``api_key`` for the audit (apikeys.middleware), which records every such request.
    """

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD:
            return None
        if len(header) != 2:
            refuse(request, "Send the key as: Authorization: Bearer gk_…")
        try:
            text = header[1].decode("ascii")
        except UnicodeDecodeError:
            text = ""
        key = api_key_matching(text)
        if key is None:
            refuse(request, "Unknown API key.")
        request._request.api_key = key
        state = key.state()
        if state == ApiKey.State.REVOKED:
            refuse(request, "This API key has been revoked.")
        if state == ApiKey.State.EXPIRED:
            refuse(request, "This API key has expired.")
        api_key_mark_used(key)
        return ApiKeyUser(key), key

    def authenticate_header(self, request):
        header = get_authorization_header(request).split()
        if header and header[0].lower() == KEYWORD:
            return f'{REALM}, error="invalid_token"'
        return REALM


def refuse(request, reason: str):
    """A 401, counted against the anonymous rate of the client's address (a request that
    is not a valid key has no limit of its own): past it, a 429, so that guessing keys
    is slowed like any anonymous traffic."""
    verdict = count_request(request)
    if not verdict.allowed:
        raise Throttled(wait=verdict.seconds_left)
    raise AuthenticationFailed(reason)
