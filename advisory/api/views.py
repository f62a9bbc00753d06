from django.conf import settings
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response

from apikeys.permissions import KeyScope
from terms.api.filters import StrictFilterBackend
from terms.api.pagination import GlossaryPagination
from terms.api.schema import (
    FIELD_ERRORS_REF,
    NOT_AUTHENTICATED,
    PAGINATION_PARAMETERS,
    bad_request,
    error,
)

from ..forms import InquiryForm, consent_wording, form_token
from ..idempotency import IdempotencyKeyInvalid
from ..models import Inquiry
from ..services import (
    IdempotencyKeyReused,
    InquiryInvalid,
    InquiryRateLimited,
    inquiry_submit,
)
from ..views import client_address
from .filters import InquiryFilter
from .serializers import (
    InquiryFormSerializer,
    InquiryReceivedSerializer,
    InquiryRequestSerializer,
    InquirySerializer,
)

PUBLIC_ACTIONS = {"create", "form"}
NOT_THE_TEAM = error(
    "Logged in, but not as a member of the advisory team; or an API key without the "
    "inquiries:read scope."
)
READERS = (
    "For the advisory team (its admin login) or an API key with the `inquiries:read` "
    "scope. Every answer holds personal data (`personal_data` names the fields) and is "
    "`Cache-Control: private, no-store`; each keyed read is recorded in the key's audit."
)

IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_KEY,
    # Printable ASCII, as advisory.idempotency.clean_key takes it (outer spaces dropped).
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]([ -~]*[!-~])?$"},
    OpenApiParameter.HEADER,
    description="Optional. A new random value (a UUID) for each inquiry, sent again "
    "unchanged with every retry of it. Within 24 hours (at least), the same key with the "
    "same body is answered with the first 201 and stores nothing; with a different body "
    "it is a 422. 1 to 255 printable ASCII characters. Only a 201 is remembered: after a "
    "400 or 429, correct the request and send it again with the same key.",
)
REPLAYED_HEADER = OpenApiParameter(
    "Idempotent-Replayed",
    str,
    OpenApiParameter.HEADER,
    enum=["true"],
    response=[201],
    description="Present (true) when this inquiry was received before, by its "
    "Idempotency-Key or its form_token: the 201 is the first one's, nothing new was stored.",
)


class AdvisoryTeamOnly(BasePermission):
    """Reading inquiries needs the advisory team's permission, or a key with
    inquiries:read (which only its members can give a key: apikeys.forms)."""

    message = (
        "Only the advisory team can read inquiries. Log in to the admin first, or use an "
        "API key with the inquiries:read scope."
    )
    key_scope = KeyScope.required("inquiries:read")

    def has_permission(self, request, view):
        return request.user.has_perm("advisory.view_inquiry") or self.key_scope().has_permission(
            request, view
        )


class InquiryPagination(GlossaryPagination):
    def count(self, queryset) -> int:
        return queryset.count()  # inquiries are not content: no per-change count cache


@extend_schema_view(
    list=extend_schema(
        summary="Inquiries, newest first (advisory team or inquiries:read)",
        description=READERS,
        parameters=PAGINATION_PARAMETERS,
        responses={
            200: InquirySerializer(many=True),
            400: bad_request(
                "A malformed page, page_size, status or created_since, or an unknown "
                'parameter, e.g. {"status": ["Select a valid choice. …"]}.'
            ),
            401: NOT_AUTHENTICATED,
            403: NOT_THE_TEAM,
            404: error("Past the last page."),
        },
    ),
    retrieve=extend_schema(
        summary="One inquiry by reference (advisory team or inquiries:read)",
        description=READERS,
        responses={
            200: InquirySerializer,
            400: bad_request("An unknown query parameter."),
            401: NOT_AUTHENTICATED,
            403: NOT_THE_TEAM,
            404: error("No inquiry has this reference."),
        },
    ),
)
# Every answer holds or echoes personal data: no browser, proxy or CDN may keep it
# (Cache-Control: private, no-store, as the form's pages and the admin send).
@method_decorator(never_cache, name="dispatch")
class InquiryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [AdvisoryTeamOnly]
    serializer_class = InquirySerializer
    pagination_class = InquiryPagination
    filter_backends = [StrictFilterBackend]
    filterset_class = InquiryFilter
    query_parameters = ("format",)
    list_query_parameters = ("page", "page_size")
    lookup_field = "reference"
    lookup_value_regex = "[0-9a-fA-F-]{36}"
    queryset = Inquiry.objects.select_related("term", "assigned_to")

    def get_permissions(self):
        # Anyone may send an inquiry (and get the form); no action: a method the route
        # does not have, which DRF answers with 405. The schema's security follows this.
        if self.action in PUBLIC_ACTIONS or self.action is None:
            return [AllowAny()]
        return [AdvisoryTeamOnly()]

    @extend_schema(
        summary="Send an advisory inquiry",
        description="The same validation and spam checks as the site's contact form. An "
        "inquiry that looks automated is stored for review and answered like any other. "
        "Each form_token makes one inquiry: sent again with the same fields it is answered "
        "with the first 201 (and Idempotent-Replayed: true), with other fields it is a 400 "
        "on form_token. Retry safely with an Idempotency-Key header.",
        request=InquiryRequestSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER, REPLAYED_HEADER],
        responses={
            201: InquiryReceivedSerializer,
            400: bad_request(
                'Each field at fault with its messages, e.g. {"email": ["Enter a valid '
                'email address."]} ("non_field_errors" for the body as a whole, '
                '"Idempotency-Key" for the header); {"detail": "JSON parse error - …"} for '
                "a body that is not JSON. Nothing was stored."
            ),
            403: error(
                "Logged in to the site (a session cookie) but without its CSRF token: send "
                "X-CSRFToken, or send the inquiry without the session, as anyone can."
            ),
            413: error("The body is larger than ADVISORY_MAX_BODY_BYTES. Nothing was stored."),
            415: error("The body is not application/json. Nothing was stored."),
            422: OpenApiResponse(
                FIELD_ERRORS_REF,
                description="This Idempotency-Key came before with a different body, e.g. "
                '{"Idempotency-Key": ["…"]}. Nothing was stored: use a new key for a new '
                "inquiry.",
            ),
            429: error("Too many inquiries from this network address; see Retry-After."),
        },
    )
    def create(self, request):
        # A body over ADVISORY_MAX_BODY_BYTES never gets here: glossary_project.bodies.
        try:
            submitted = inquiry_submit(
                form_data(request.data),
                client_address=client_address(request),
                idempotency_key=request.headers.get(IDEMPOTENCY_KEY),
            )
        except IdempotencyKeyInvalid as error:
            raise ValidationError({IDEMPOTENCY_KEY: [str(error)]}) from error
        except IdempotencyKeyReused:
            return Response(
                {
                    IDEMPOTENCY_KEY: [
                        "This key was sent before with a different body. Nothing was "
                        "stored; send a new key with a new inquiry."
                    ]
                },
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        except InquiryInvalid as error:
            raise ValidationError(field_errors(error.form)) from error
        except InquiryRateLimited as error:
            raise Throttled(
                wait=error.retry_after,
                detail="Too many inquiries from this network address. "
                f"Try again in {error.retry_after} seconds.",
            ) from error
        response = Response(
            {
                "reference": str(submitted.inquiry.reference),
                "detail": "Thank you, your inquiry has arrived.",
            },
            status=status.HTTP_201_CREATED,
        )
        if submitted.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(
        summary="What a front end needs to show the inquiry form",
        description="Fetch when showing the form: a token to send back, and the consent "
        "wording to show beside the checkbox.",
        responses={200: InquiryFormSerializer},
    )
    @action(detail=False, methods=["get"], url_path="form")
    def form(self, request):
        return Response(
            {
                "form_token": form_token(),
                "consent_text": consent_wording(),
                "min_seconds": settings.ADVISORY_MIN_SECONDS,
                "expires_in": settings.ADVISORY_FORM_MAX_AGE,
            }
        )


def form_data(data) -> dict:
    """The JSON body as form data: an object of the form's fields, each a string (consent
    the boolean true or false), or null for an empty one. A value of another type is a
    400 on its field: never read as text (1 as "1"), nor a "no" as a yes."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object of fields."]})
    unknown = sorted(set(data) - set(InquiryForm.base_fields))
    if unknown:
        accepted = ", ".join(InquiryForm.base_fields)
        raise ValidationError(
            {name: [f"Unknown field. Send only: {accepted}."] for name in unknown}
        )
    errors = {}
    for name, value in data.items():
        if value is None:
            continue
        if name == "consent":
            if not isinstance(value, bool):
                errors[name] = ["Must be true (the JSON boolean) to agree to be contacted."]
        elif isinstance(value, dict | list):
            errors[name] = ["Must be a string, not a list or object."]
        elif not isinstance(value, str):
            errors[name] = ["Must be a string, not a number or a boolean."]
    if errors:
        raise ValidationError(errors)
    return {name: "" if value is None else value for name, value in data.items()}


def field_errors(form) -> dict[str, list[str]]:
    return {
        "non_field_errors" if name == "__all__" else name: [error["message"] for error in errors]
        for name, errors in form.errors.get_json_data().items()
    }
