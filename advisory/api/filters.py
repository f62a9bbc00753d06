from django import forms
from django_filters import rest_framework as filters

from terms.api.filters import UTCDateTimeFilter

from ..models import Inquiry

NOT_EMPTY_MESSAGE = "Must not be empty: leave the parameter out instead."


class InquiryFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        for name in self.fields:
            if name in self.data and not self.data[name].strip() and name not in self.errors:
                self.add_error(name, NOT_EMPTY_MESSAGE)
        return cleaned


class InquiryFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=Inquiry.Status.choices, help_text="Only inquiries with this status, e.g. new."
    )
    created_since = UTCDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="Only inquiries received at or after this ISO 8601 time, for "
        "incremental sync into a CRM.",
    )

    class Meta:
        model = Inquiry
        fields = ["status", "created_since"]
        form = InquiryFilterForm
