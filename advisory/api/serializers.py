from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import MESSAGE_MAX_LENGTH, NAME_MAX_LENGTH, Inquiry

# What Python's str.strip() (so the form) removes around a value (the last is U+3000),
# as a regex class: ECMA
# 262's \s, which JSON Schema validators use, is another set (it lacks \x1c-\x1f and
# \x85, and has \ufeff).
STRIPPED = "".join(f"\\u{code:04x}" for code in range(0x3001) if chr(code).isspace())
# What the form takes, as patterns (documentation: the form validates). Text is never a
# NUL character, and a required field needs more than what is stripped. For an optional
# field, allow_blank adds "" to the pattern's values (as a oneOf, so the pattern itself
# must not match "").
SOME_TEXT = RegexValidator(rf"^[^\x00]*[^{STRIPPED}\x00][^\x00]*$")
TEXT = RegexValidator(r"^[^\x00]+$")
PHONE = RegexValidator(
    rf"^(?:[{STRIPPED}]+|[{STRIPPED}]*\+?[0-9][0-9 ().\-/]{{2,37}}[0-9().\-/][{STRIPPED}]*)$"
)
SLUG = RegexValidator(r"^[-a-zA-Z0-9_]+$")
TOKEN = RegexValidator(rf"[^{STRIPPED}]")


@extend_schema_field({"type": "boolean", "enum": [True]})
class ConsentField(serializers.BooleanField):
    pass


class InquiryRequestSerializer(serializers.Serializer):
    """The body of POST /api/v1/inquiries/ (documentation; the form validates)."""

    name = serializers.CharField(max_length=NAME_MAX_LENGTH, validators=[SOME_TEXT])
    email = serializers.EmailField(max_length=254)
    company = serializers.CharField(max_length=NAME_MAX_LENGTH, validators=[SOME_TEXT])
    job_title = serializers.CharField(
        max_length=NAME_MAX_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        validators=[TEXT],
    )
    country = serializers.CharField(
        max_length=100, required=False, allow_blank=True, allow_null=True, validators=[TEXT]
    )
    phone = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        allow_null=True,
        validators=[PHONE],
        help_text="Digits, spaces and + ( ) - only.",
    )
    message = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, validators=[SOME_TEXT])
    term = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        validators=[SLUG],
        help_text="Slug of the published term the visitor asks about, e.g. from the term "
        "page's cta.inquiry_url.",
    )
    source_url = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The page the form was on (a path or an http(s) address); anything else "
        "is dropped.",
    )
    consent = ConsentField(
        help_text="Must be true: the visitor agreed to the consent_text of "
        "GET /api/v1/inquiries/form/, which is stored with the inquiry. false, or anything "
        'that is not the JSON boolean true ("yes", "on", 1), is a 400 on consent.'
    )
    form_token = serializers.CharField(
        validators=[TOKEN],
        help_text="From GET /api/v1/inquiries/form/ when the form is shown. Sending sooner "
        "than min_seconds after that marks the inquiry as suspected spam.",
    )
    website = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        validators=[TEXT],
        help_text="Honeypot: render it hidden from people and pass on whatever it holds. "
        "Filled in, the inquiry is stored as suspected spam.",
    )


class InquiryRequestSchema(OpenApiSerializerExtension):
    """The inquiry body is a closed object: an unknown field is a 400 naming it."""

    target_class = InquiryRequestSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        return schema


class InquiryReceivedSerializer(serializers.Serializer):
    reference = serializers.UUIDField(help_text="Quote it to the visitor.")
    detail = serializers.CharField()


class InquiryFormSerializer(serializers.Serializer):
    form_token = serializers.CharField()
    consent_text = serializers.CharField(help_text="Show it beside the consent checkbox.")
    min_seconds = serializers.IntegerField(
        help_text="Send no sooner than this after getting the token."
    )
    expires_in = serializers.IntegerField(help_text="Seconds the token stays valid.")


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": list(Inquiry.PERSONAL_DATA_FIELDS)},
        "description": "The fields of this inquiry that are personal data (what the "
        "visitor sent about themselves): keep, share and erase them as such.",
        "example": list(Inquiry.PERSONAL_DATA_FIELDS),
    }
)
class PersonalDataField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return list(Inquiry.PERSONAL_DATA_FIELDS)


class InquirySerializer(serializers.ModelSerializer):
    """An inquiry as the advisory team (or a key with inquiries:read) sees it;
    ``personal_data`` names the fields that are personal data."""

    personal_data = PersonalDataField()
    # null: an inquiry about no term (or a deleted one), or assigned to nobody yet.
    term = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    assigned_to = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Inquiry
        fields = [
            "reference",
            "name",
            "email",
            "company",
            "job_title",
            "country",
            "phone",
            "message",
            "term",
            "term_title",
            "source_url",
            "consent_given_at",
            "consent_text",
            "status",
            "spam_reasons",
            "assigned_to",
            "internal_notes",
            "notification",
            "created_at",
            "updated_at",
            "personal_data",
        ]
        read_only_fields = fields
