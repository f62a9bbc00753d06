from rest_framework import serializers

from ..models import MESSAGE_MAX_LENGTH, NAME_MAX_LENGTH, Inquiry


class InquiryRequestSerializer(serializers.Serializer):
    """The body of POST /api/v1/inquiries/ (documentation; the form validates)."""

    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    email = serializers.EmailField(max_length=254)
    company = serializers.CharField(max_length=NAME_MAX_LENGTH)
    job_title = serializers.CharField(max_length=NAME_MAX_LENGTH, required=False, allow_blank=True)
    country = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="Digits, spaces and + ( ) - only.",
    )
    message = serializers.CharField(max_length=MESSAGE_MAX_LENGTH)
    term = serializers.SlugField(
        required=False,
        allow_blank=True,
        help_text="Slug of the published term the visitor asks about, e.g. from the term "
        "page's cta.inquiry_url.",
    )
    source_url = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The page the form was on (a path or an http(s) address).",
    )
    consent = serializers.BooleanField(
        help_text="Must be true: the visitor agreed to the consent_text of "
        "GET /api/v1/inquiries/form/, which is stored with the inquiry."
    )
    form_token = serializers.CharField(
        help_text="From GET /api/v1/inquiries/form/ when the form is shown. Sending sooner "
        "than min_seconds after that marks the inquiry as suspected spam."
    )
    website = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Honeypot: render it hidden from people and pass on whatever it holds. "
        "Filled in, the inquiry is stored as suspected spam.",
    )


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


class InquirySerializer(serializers.ModelSerializer):
    """An inquiry as the advisory team sees it."""

    term = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)

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
        ]
        read_only_fields = fields
