from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiKey, Scope

INQUIRY_READERS_PERMISSION = "advisory.view_inquiry"


class ApiKeyCreateForm(forms.ModelForm):
    """A new key: its scopes as checkboxes. Only someone who may read inquiries may
    give a key inquiries:read (a key is no way round the advisory team's permission)."""

    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Anyone may read published content; a key needs no scope for that."),
    )

    class Meta:
        model = ApiKey
        fields = ["name", "description", "scopes", "expires_at"]

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_scopes(self) -> str:
        scopes = self.cleaned_data["scopes"]
        if Scope.INQUIRIES_READ in scopes and not self.user.has_perm(INQUIRY_READERS_PERMISSION):
            raise forms.ValidationError(
                _("Only users who may read advisory inquiries can give a key inquiries:read."),
                code="inquiries_forbidden",
            )
        return " ".join(sorted(scopes))

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError(
                _("Choose a time in the future, or leave it empty."), code="past"
            )
        return expires_at
