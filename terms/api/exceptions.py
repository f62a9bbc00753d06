from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import UnsupportedMediaType, ValidationError
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError as a field-keyed 400, and a 415 that
    says what the endpoint accepts."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, UnsupportedMediaType) and context.get("view") is not None:
        accepted = " or ".join(parser.media_type for parser in context["view"].get_parsers())
        exc = UnsupportedMediaType(None, detail=f"{exc.detail} Send {accepted}.")
    return exception_handler(exc, context)
