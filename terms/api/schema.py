"""What the OpenAPI schema says about errors: the bodies the views document, and the
answers any operation can give, which `document_common_answers` (a drf-spectacular
postprocessing hook) adds to every operation, so that none is forgotten, with the links
between operations; and which operations need credentials (GlossaryAutoSchema)."""

import copy

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.permissions import AllowAny

from .pagination import GlossaryPagination


class GlossaryAutoSchema(AutoSchema):
    """drf-spectacular's schema, with no security on public operations: anyone may call
    them without logging in, and a generated client must not ask for credentials (an
    optional cookie would have it send the session it may hold, which answers nothing
    different: only the advisory team's operations use it)."""

    def get_auth(self):
        if all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            return []
        return super().get_auth()


ERROR_REF = {"$ref": "#/components/schemas/Error"}
FIELD_ERRORS_REF = {"$ref": "#/components/schemas/FieldErrors"}
BAD_REQUEST_SCHEMA = {"anyOf": [FIELD_ERRORS_REF, ERROR_REF]}

COMPONENTS = {
    "Error": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "FieldErrors": {
        "type": "object",
        "description": 'Each parameter or field at fault with its messages, e.g. {"letter": '
        '["Select a valid choice. Q1 is not one of the available choices."]}; '
        '"non_field_errors" for the request as a whole.',
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "minProperties": 1,
    },
    # A glossary/1 document refused (POST /api/v1/glossary/): terms/api/writes.py.
    "ImportRefused": {
        "type": "object",
        "description": "The document had bad records; nothing was stored. Each problem, "
        "as the import command words it.",
        "properties": {
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/RecordError"}},
        },
        "required": ["detail", "errors"],
    },
    "RecordError": {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": ["file", "category", "reference", "term"]},
            "identity": {
                "type": "string",
                "description": "The record's slug or key, or #n (its position).",
            },
            "field": {"type": "string", "nullable": True, "description": "e.g. faqs[2].answer"},
            "message": {"type": "string"},
        },
        "required": ["kind", "identity", "field", "message"],
    },
}
IMPORT_REFUSED_REF = {"$ref": "#/components/schemas/ImportRefused"}

RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before sending again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def error(description: str) -> OpenApiResponse:
    """An answer whose body is {"detail": "…"}."""
    return OpenApiResponse(ERROR_REF, description=description)


def bad_request(description: str) -> OpenApiResponse:
    """400: the parameters or fields at fault with their messages, or a {"detail"} for a
    request that could not be read at all (a body that is not JSON, an unknown Host)."""
    return OpenApiResponse(BAD_REQUEST_SCHEMA, description=description)


PAGINATION_PARAMETERS = [
    OpenApiParameter("page", {"type": "integer", "minimum": 1}, description="Page number, from 1."),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": GlossaryPagination.max_page_size},
        description=f"Items a page: {GlossaryPagination.page_size} unless given, at most "
        f"{GlossaryPagination.max_page_size}.",
    ),
]

NOT_AUTHENTICATED = error(
    "No credentials (see WWW-Authenticate: Bearer): log in, or send an API key as "
    "Authorization: Bearer gk_…."
)

NOT_MODIFIED = OpenApiResponse(
    description="Not modified: the ETag in If-None-Match (or the time in If-Modified-Since) "
    "still holds. No body."
)

# Answers of every operation, whatever it does.
COMMON_ANSWERS = {
    "401": {
        "description": "An API key in Authorization: Bearer that is unknown, expired or "
        "revoked (a request without one is anonymous wherever anonymous readers are "
        "welcome); or, where credentials are needed, none were sent.",
        "headers": {
            "WWW-Authenticate": {
                "description": 'Bearer realm="api", with error="invalid_token" for a bad key.',
                "schema": {"type": "string"},
            }
        },
        "content": {"application/json": {"schema": ERROR_REF}},
    },
    "406": {
        "description": "The Accept header allows no JSON; send application/json or */*.",
        "content": {"application/json": {"schema": ERROR_REF}},
    },
    "414": {
        "description": "The address (path and query string) is longer than the server "
        "accepts: gunicorn answers this itself, in HTML, for a request line over 4094 bytes.",
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
    "429": {
        "description": "Too many requests; see the Retry-After header.",
        "headers": RETRY_AFTER,
        "content": {"application/json": {"schema": ERROR_REF}},
    },
    "503": {
        "description": "The database is briefly unreachable; nothing was changed. Send the "
        "same request again after Retry-After seconds.",
        "headers": RETRY_AFTER,
        "content": {"application/json": {"schema": ERROR_REF}},
    },
}


# Where an answer leads (OpenAPI links): an inquiry's reference is how the advisory team
# reads it. Clients and schemathesis's stateful phase follow them.
LINKS = {
    ("v1_inquiries_create", "201"): {
        "GetInquiry": {
            "operationId": "v1_inquiries_retrieve",
            "parameters": {"reference": "$response.body#/reference"},
            "description": "The inquiry, for the advisory team.",
        }
    },
}


# The items `?fields=` selects from (terms.api.fields): no key of theirs is always there.
SELECTABLE_COMPONENTS = ("TermList", "TermDetail", "Category", "CategoryDetail")
SELECTABLE_NOTE = "Every field is present unless `fields` selects some: then only those."


def document_common_answers(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error bodies as components, and the
    answers any operation can give added to every operation that does not say otherwise;
    the items `fields` selects from without required keys."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in COMPONENTS.items():
        schemas.setdefault(name, schema)
    for name in SELECTABLE_COMPONENTS:
        selectable = schemas[name]  # a KeyError here: a serializer was renamed
        selectable.pop("required", None)
        description = selectable.get("description", "")
        selectable["description"] = f"{description}\n\n{SELECTABLE_NOTE}".strip()
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for (operation_id, code), links in LINKS.items():
                if operation.get("operationId") == operation_id and code in responses:
                    responses[code].setdefault("links", {}).update(copy.deepcopy(links))
            for code, answer in COMMON_ANSWERS.items():
                documented = responses.setdefault(code, copy.deepcopy(answer))
                if "headers" in answer:  # an operation's own words, with the same headers
                    documented.setdefault("headers", answer["headers"])
    return result
