from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.ApiKeyAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "gk_<prefix>_<secret>",
            "description": "An API key from the admin (API keys), sent as "
            "`Authorization: Bearer gk_…`. Its scopes are its rights: "
            "`content:read-unpublished`, `content:write`, `inquiries:read`. An unknown, "
            "expired or revoked key is a 401; a key without the scope an operation needs "
            "a 403. Keyed responses are `Cache-Control: private, no-store`.",
        }
