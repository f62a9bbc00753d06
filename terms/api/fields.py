"""Field selection: `?fields=slug,title` asks for some top-level fields of each item, as
Wagtail, Strapi and Directus offer. The same reading for every endpoint that takes it,
and the same words in its OpenAPI description and pattern, so that the schema accepts
exactly what the server does (schemathesis holds the two together)."""

import re
from functools import cache

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from .filters import NOT_EMPTY_MESSAGE

PARAMETER = "fields"


@cache
def field_names(serializer_class) -> tuple[str, ...]:
    """The item's top-level fields, in the order the serializer writes them."""
    return tuple(serializer_class._declared_fields)


def selected_fields(request, serializer_class) -> frozenset[str] | None:
    """The fields `?fields=` asks for (None: all of them). Names are separated by commas;
    spaces around them, empty items and repeats are tolerated. A 400 names the unknown
    ones, or says the parameter is empty."""
    values = request.query_params.getlist(PARAMETER)
    if not values:
        return None
    asked = [name.strip(" ") for value in values for name in value.split(",")]
    asked = list(dict.fromkeys(name for name in asked if name))
    if not asked:
        raise ValidationError({PARAMETER: [NOT_EMPTY_MESSAGE]})
    known = field_names(serializer_class)
    unknown = [name for name in asked if name not in known]
    if unknown:
        raise ValidationError(
            {
                PARAMETER: [
                    f"Unknown field(s): {', '.join(unknown)}. "
                    f"This endpoint's fields are: {', '.join(known)}."
                ]
            }
        )
    return frozenset(asked)


def only_selected(data: dict, fields: frozenset[str] | None) -> dict:
    """`data` with the selected keys only, in their order in `data`."""
    if fields is None:
        return data
    return {name: value for name, value in data.items() if name in fields}


def fields_parameter(serializer_class) -> OpenApiParameter:
    """`fields` in the OpenAPI schema: its pattern accepts what selected_fields does (only
    spaces count as white space there)."""
    known = field_names(serializer_class)
    name = "(?:" + "|".join(re.escape(field) for field in known) + ")"
    return OpenApiParameter(
        PARAMETER,
        {"type": "string", "pattern": f"^[ ,]*{name}(?: *,[ ,]*{name})*[ ,]*$"},
        description="Only these top-level fields of each item, comma-separated, e.g. "
        f"`{','.join(known[:3])}`; they come in their usual order. One or more of: "
        f"{', '.join(known)}. An unknown name is a 400 naming it.",
    )
