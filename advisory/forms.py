import secrets
import time
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core import signing
from django.core.validators import MaxLengthValidator, RegexValidator, slug_re
from django.utils.translation import gettext_lazy as _

from terms.models import Term
from terms.selectors import site_settings
from terms.text import one_line

from .models import MESSAGE_MAX_LENGTH, Inquiry

FORM_TOKEN_SALT = "advisory.inquiry-form"  # noqa: S105 - a namespace, not a secret
CONSENT_WORDING = (
    "I agree that {organisation} may store the details in this form and contact me about "
    "my inquiry. I can ask for them to be deleted at any time."
)

SINGLE_LINE_FIELDS = ("name", "company", "job_title", "country", "phone")

validate_phone = RegexValidator(
    r"^\+?[0-9][0-9 ().\-/]{3,38}$",
    _("Enter a phone number with digits, spaces and + ( ) - only."),
    code="invalid_phone",
)


def consent_wording() -> str:
    """The exact sentence a visitor agrees to; stored with each inquiry."""
    return CONSENT_WORDING.format(organisation=one_line(site_settings().organisation_name))


def form_token(now: float | None = None) -> str:
    """A signed record of when the form was shown, checked when it comes back; unique
    (a random part), because each token makes one inquiry."""
    issued = int(now if now is not None else time.time())
    return signing.dumps([issued, secrets.token_urlsafe(9)], salt=FORM_TOKEN_SALT)


def form_token_issued_at(token: str) -> int:
    """When the token was issued; raises signing.BadSignature (or SignatureExpired)."""
    value = signing.loads(token, salt=FORM_TOKEN_SALT, max_age=settings.ADVISORY_FORM_MAX_AGE)
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int):
        return value[0]
    if isinstance(value, int):  # issued before tokens had a random part
        return value
    raise signing.BadSignature("not a form token")


def clean_source_url(value: str) -> str:
    """The page the form was sent from: a site path or an http(s) address, else nothing.

    It is context for the team, never shown as a link without escaping; anything odd is
    dropped rather than refused, because the visitor cannot correct a hidden field.
    """
    value = value.strip()[:500]
    if "\x00" in value:
        return ""
    if value.startswith("/") and not value.startswith("//"):
        return value
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return value
    return ""


class ConsentCheckbox(forms.CheckboxInput):
    """The consent box, read strictly. Ticked ("on", what a browser sends for a box
    without a value) or JSON true is a yes; left out, empty, false or null is no answer;
    anything else ("no", "off", "0", 1) goes to the field as it came, to be refused: it
    is never read as a yes, as Django's CheckboxInput reads any non-empty text."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: value is True)

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if value is True or value == "on":
            return True
        if value is None or value is False or value == "":
            return False
        return value

    def format_value(self, value):
        return None  # no value attribute: a ticked box sends "on"


class ConsentField(forms.BooleanField):
    """Consent given (True) or not (False), from ConsentCheckbox; any other answer is an
    error of its own, never a yes."""

    widget = ConsentCheckbox
    default_error_messages = {
        "invalid": _(
            "Consent is a yes only as a ticked box (true in JSON); any other answer is not consent."
        ),
    }

    def to_python(self, value):
        if value is True or value is False:
            return value
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class PublishedTermField(forms.ModelChoiceField):
    """A published term, by slug. What cannot be a slug is refused without a query: a
    NUL character in a query is an error on PostgreSQL, not a row that does not match."""

    def to_python(self, value):
        if value not in self.empty_values and not (
            isinstance(value, str) and slug_re.fullmatch(value)
        ):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)


class SourceUrlField(forms.CharField):
    """The hidden field with the page the form was sent from: cleaned by
    clean_source_url, so that anything odd (a NUL character too) is dropped, not refused."""

    def to_python(self, value):
        return clean_source_url(super().to_python(value))


def published_term(slug) -> Term | None:
    """The published term with this slug, or None (the form's own rule, for the page's
    ?term= parameter)."""
    try:
        return InquiryForm.base_fields["term"].clean(slug)
    except forms.ValidationError:
        return None


class InquiryForm(forms.ModelForm):
    """Everything a visitor sends, validated the same way for the site's form and the API."""

    term = PublishedTermField(
        queryset=Term.objects.published(),
        to_field_name="slug",
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _(
                "This term is not in the published glossary (any more). "
                "Send the form again without it."
            )
        },
    )
    source_url = SourceUrlField(required=False, widget=forms.HiddenInput)
    consent = ConsentField(
        required=True,
        error_messages={"required": _("Please agree to be contacted, or we cannot reply.")},
    )
    # Hidden from people by the stylesheet; a bot that fills every field fills this.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    form_token = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": _("The form token is missing. Reload the form.")},
    )

    class Meta:
        model = Inquiry
        fields = ["name", "email", "company", "job_title", "country", "phone", "message"]
        labels = {"name": _("Your name"), "email": _("Work email")}
        widgets = {
            "message": forms.Textarea(attrs={"rows": 6, "maxlength": MESSAGE_MAX_LENGTH}),
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "company": forms.TextInput(attrs={"autocomplete": "organization"}),
            "job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
            "country": forms.TextInput(attrs={"autocomplete": "country-name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }
        help_texts = {"message": _("What are you trying to achieve? At most 5,000 characters.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.token_issued_at: int | None = None  # when the token sent back was issued
        self.fields["phone"].validators.append(validate_phone)
        self.fields["consent"].label = consent_wording()
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    def clean(self):
        cleaned = super().clean()
        # A length counts what was sent, spaces around it too (as a browser's maxlength
        # does, and the API's schema says), not only what is kept once they are stripped.
        for name, field in self.fields.items():
            limit = getattr(field, "max_length", None)
            sent = self.data.get(name)
            if limit and isinstance(sent, str) and len(sent) > limit and name not in self.errors:
                self.add_error(
                    name,
                    forms.ValidationError(
                        MaxLengthValidator.message,
                        code="max_length",
                        params={"limit_value": limit, "show_value": len(sent)},
                    ),
                )
        # One line each: a line break typed (or injected) here has no business in a name,
        # and would break the email subject and the CSV export.
        for field in SINGLE_LINE_FIELDS:
            if cleaned.get(field):
                cleaned[field] = " ".join(cleaned[field].split())
        return cleaned

    def clean_form_token(self) -> int:
        try:
            self.token_issued_at = form_token_issued_at(self.cleaned_data["form_token"])
            return self.token_issued_at
        except signing.SignatureExpired as error:
            raise forms.ValidationError(
                _("This form was open too long. Please check your details and send it again."),
                code="expired",
            ) from error
        except signing.BadSignature as error:
            raise forms.ValidationError(
                _("The form token is not valid. Reload the form and send it again."),
                code="invalid",
            ) from error
