"""The webhooks in the OpenAPI schema: each event's body (a component, e.g.
TermPublishedEvent) and how a receiver verifies it. Documentation only: the bodies are
built by webhooks.payloads.

drf-spectacular renders SPECTACULAR_SETTINGS["WEBHOOKS"] as OpenAPI 3.1 ``webhooks``; the
schema is 3.0, so ``document_webhooks`` moves them to ``x-webhooks`` (ReDoc's name for the
same thing in 3.0) and lists them in the description, which /api/docs/ shows."""

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from terms.api.serializers import TermDetailSerializer

VERIFYING = """Every request is a POST of JSON, signed as Standard Webhooks
(https://www.standardwebhooks.com) says, with three headers:

- `webhook-id`: the event's id (`evt_…`); the same on every attempt and redelivery, so
  drop an id you have already handled.
- `webhook-timestamp`: when this attempt was signed, in Unix seconds; refuse one more
  than five minutes from your clock.
- `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`
  (the raw body bytes), keyed with the endpoint's secret: the bytes of the base64 after
  `whsec_`. Compare in constant time.

```python
import base64, hashlib, hmac
def verify(secret: str, headers, body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    sent = headers["webhook-signature"].split()
    return any(hmac.compare_digest(f"v1,{expected}", s) for s in sent)
```

Answer 2xx within 10 seconds (WEBHOOKS_TIMEOUT) to acknowledge. A timeout, a refused
connection, a 5xx or a 429 (its `Retry-After` is honoured) is retried with backoff for up
to a day; any other answer, redirects included, is final. Delivery is at least once.
Endpoints are managed in the admin (Webhooks → Webhook endpoints), where the secret is
shown once."""


def _event(name: str, event_type: str, data) -> type[serializers.Serializer]:
    return type(
        name,
        (serializers.Serializer,),
        {
            "id": serializers.CharField(help_text="The event id, also in webhook-id: evt_…"),
            "type": serializers.ChoiceField(choices=[event_type]),
            "timestamp": serializers.DateTimeField(help_text="When the event happened (UTC)."),
            "data": data,
            "__doc__": f"The body of a {event_type} webhook.",
        },
    )


class TermEventDataSerializer(serializers.Serializer):
    slug = serializers.CharField()
    url = serializers.URLField(help_text="The term's API address.")
    category = serializers.CharField(allow_null=True, help_text="The category's slug.")
    category_url = serializers.URLField(allow_null=True)
    previous_slug = serializers.CharField(
        required=False, help_text="Only when the term was renamed: its slug before."
    )
    previous_url = serializers.URLField(required=False)
    term = TermDetailSerializer(
        allow_null=True,
        help_text="The term as GET /api/v1/terms/{slug}/ returns it, read after the change; "
        "null if it is no longer public by then.",
    )


class UnpublishedDataSerializer(serializers.Serializer):
    slug = serializers.CharField()
    url = serializers.URLField(help_text="The term's API address (now 404).")
    category = serializers.CharField(allow_null=True)
    category_url = serializers.URLField(allow_null=True)


class CategoryEventDataSerializer(serializers.Serializer):
    slug = serializers.CharField()
    url = serializers.URLField(help_text="The category's API address (404 if deleted).")


class ImportedTermSerializer(serializers.Serializer):
    slug = serializers.CharField()
    url = serializers.URLField()


class ImportedDataSerializer(serializers.Serializer):
    created = ImportedTermSerializer(many=True)
    updated = ImportedTermSerializer(many=True)
    unpublished = ImportedTermSerializer(many=True)
    unchanged = serializers.IntegerField(help_text="How many terms the import left as they were.")


class InquiryTermSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()


class InquiryDataSerializer(serializers.Serializer):
    reference = serializers.UUIDField()
    admin_url = serializers.URLField(help_text="The inquiry in the Advisory team's inbox.")
    created_at = serializers.DateTimeField()
    name = serializers.CharField()
    email = serializers.EmailField()
    company = serializers.CharField()
    job_title = serializers.CharField(allow_blank=True)
    country = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    message = serializers.CharField()
    source_url = serializers.CharField(allow_blank=True, help_text="The page it was sent from.")
    term = InquiryTermSerializer(allow_null=True, help_text="The term the visitor was reading.")
    consent_given_at = serializers.DateTimeField()
    consent_text = serializers.CharField()
    personal_data = serializers.ListField(
        child=serializers.CharField(),
        help_text="The fields above that are personal data: handle them as such.",
    )


class TestDataSerializer(serializers.Serializer):
    message = serializers.CharField()
    endpoint = serializers.URLField()


def _webhook(event_type: str, summary: str, data) -> OpenApiWebhook:
    name = "".join(part.title() for part in event_type.replace(".", "_").split("_"))
    return OpenApiWebhook(
        name=event_type,
        decorator=extend_schema(
            summary=summary,
            description=VERIFYING,
            request=_event(f"{name}Event", event_type, data),
            responses={
                200: OpenApiResponse(description="Received (any 2xx)."),
                429: OpenApiResponse(description="Slow down: retried after Retry-After."),
                500: OpenApiResponse(description="Any 5xx: retried with backoff for a day."),
            },
        ),
    )


term_published = _webhook(
    "term.published",
    "A term became public (published, or its scheduled time came).",
    TermEventDataSerializer(),
)
term_updated = _webhook(
    "term.updated",
    "A public term's content changed (a working copy published, a revision restored, a "
    "rename: previous_slug).",
    TermEventDataSerializer(),
)
term_unpublished = _webhook(
    "term.unpublished",
    "A term is no longer public: archived, taken down or deleted.",
    UnpublishedDataSerializer(),
)
category_changed = _webhook(
    "category.changed",
    "A category was created, changed (its shared FAQs too) or deleted.",
    CategoryEventDataSerializer(),
)
glossary_imported = _webhook(
    "glossary.imported",
    "A glossary/1 import finished: one event listing what it changed (no term events for "
    "the terms it wrote).",
    ImportedDataSerializer(),
)
inquiry_created = _webhook(
    "inquiry.created",
    "A visitor sent an inquiry (suspected spam is not sent). Personal data: only the "
    "Advisory team may subscribe an endpoint to it.",
    InquiryDataSerializer(),
)
webhook_test = _webhook(
    "webhook.test", "Sent from the admin (“Send a test event”).", TestDataSerializer()
)


def document_webhooks(result, generator, request, public):
    """drf-spectacular postprocessing hook: the 3.1 ``webhooks`` as a 3.0 extension, and
    a "Webhooks" section in the description naming each event and its body."""
    webhooks = result.pop("webhooks", {})
    if not webhooks:
        return result
    result["x-webhooks"] = webhooks
    lines = ["", "", "## Webhooks", "", VERIFYING, "", "Events (body schema in brackets):", ""]
    for name, methods in webhooks.items():
        operation = methods["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        lines.append(f"- `{name}` ({body.rsplit('/', 1)[-1]}): {operation['summary']}")
    result["info"]["description"] += "\n".join(lines)
    return result
