from rest_framework.permissions import BasePermission

from .models import ApiKey, Scope


class KeyScope(BasePermission):
    """Allows requests made with an API key that has one scope.

    Use the factory, which returns a permission class::

        permission_classes = [KeyScope.required("content:write")]

    A request without a key is a 401 (with WWW-Authenticate: Bearer), one whose key lacks
    the scope a 403 naming it. Combine with another rule with DRF's operators, e.g.
    ``AdvisoryTeamOnly | KeyScope.required("inquiries:read")``.
    """

    scope: str = ""
    message = "This needs an API key with the right scope."

    @classmethod
    def required(cls, scope: str) -> type["KeyScope"]:
        if scope not in Scope.values:
            raise ValueError(f"Unknown scope {scope!r}; scopes are: {', '.join(Scope.values)}.")
        return type(
            f"KeyScope[{scope}]",
            (cls,),
            {"scope": scope, "message": f"This needs an API key with the {scope} scope."},
        )

    def has_permission(self, request, view) -> bool:
        key = request.auth
        return isinstance(key, ApiKey) and key.has_scope(self.scope)


def key_has_scope(request, scope: str) -> bool:
    """Whether the request was made with a key that has ``scope`` (for views that show
    more, rather than refuse, for such a key)."""
    return isinstance(request.auth, ApiKey) and request.auth.has_scope(scope)
