from datetime import UTC

from django import forms
from django.db.models.functions import Lower
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import ValidationError

from ..models import Category, Term
from ..selectors import INDEX_LETTERS, search_in_relevance_order, search_terms

ORDERINGS = {
    "title": [Lower("title")],
    "-title": [Lower("title").desc()],
    "updated_at": ["updated_at", "id"],
    "-updated_at": ["-updated_at", "-id"],
    "published_at": ["published_at", "id"],
    "-published_at": ["-published_at", "-id"],
    "relevance": ["-relevance", Lower("title")],
}
SEARCH_MAX_LENGTH = 200
# The filters that narrow a search to some of the published terms.
NARROWING_FILTERS = ("category", "letter", "updated_since")


class UTCDateTimeField(IsoDateTimeField):
    """ISO 8601, refused when it cannot be expressed in UTC (the database's time zone)."""

    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        try:
            # In UTC, so that no database sees an offset it cannot store (PostgreSQL
            # refuses +17:49, which Python accepts).
            return moment.astimezone(UTC)
        except OverflowError as error:
            raise forms.ValidationError(
                "Enter a date and time between years 1 and 9999 in UTC."
            ) from error


class UTCDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class TermFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("ordering") == "relevance" and not cleaned.get("search"):
            self.add_error("ordering", "Ordering by relevance needs a search.")
        return cleaned


class TermFilter(filters.FilterSet):
    category = filters.ModelChoiceFilter(
        queryset=Category.objects.all(),
        to_field_name="slug",
        help_text="A category slug, e.g. interpretability-explainability.",
    )
    letter = filters.ChoiceFilter(
        choices=[(letter, letter) for letter in INDEX_LETTERS],
        help_text="Titles starting with this letter (A–Z), or 0-9 for a digit.",
    )
    search = filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        help_text="Words to find in titles, aliases, summaries and (on PostgreSQL) "
        "definitions. Tolerates misspellings on PostgreSQL. Results come in relevance "
        "order unless `ordering` says otherwise.",
    )
    updated_since = UTCDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only terms changed at or after this ISO 8601 time, for incremental sync.",
    )
    ordering = filters.ChoiceFilter(
        choices=[(name, name) for name in ORDERINGS],
        method="filter_ordering",
        help_text="title (default), -updated_at, published_at, their reverses, or relevance "
        "(the default when searching).",
    )

    class Meta:
        model = Term
        fields = ["category", "letter", "search", "updated_since", "ordering"]
        form = TermFilterForm

    def filter_search(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset, with the ordering

    def filter_ordering(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        search = data.get("search")
        ordering = data.get("ordering") or ("relevance" if search else "title")
        if search and ordering == "relevance":
            narrowed = any(data.get(name) for name in NARROWING_FILTERS)
            return search_in_relevance_order(search, within=queryset if narrowed else None)
        if search:
            queryset = search_terms(queryset, search)
        return queryset.order_by(*ORDERINGS[ordering])


class StrictFilterBackend(filters.DjangoFilterBackend):
    """Reject query parameters the endpoint does not know: a typo must not pass silently."""

    def filter_queryset(self, request, queryset, view):
        reject_unknown_parameters(request, view)
        return super().filter_queryset(request, queryset, view)


def reject_unknown_parameters(request, view) -> None:
    allowed = set(getattr(view, "query_parameters", ()))
    action = getattr(view, "action", None)
    allowed |= set(getattr(view, f"{action}_query_parameters", ()))
    if action == "list":
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class:
            allowed |= set(filterset_class.base_filters)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise ValidationError(
            {
                name: [f"Unknown query parameter. This endpoint accepts: {known}."]
                for name in unknown
            }
        )
