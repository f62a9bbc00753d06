from datetime import UTC, datetime

from django import forms
from django.db.models.functions import Lower
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import ValidationError

from ..models import Category, Term
from ..search import engine
from ..selectors import INDEX_LETTERS

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
    """ISO 8601, in UTC (the database's time zone), so that no database sees an offset it
    cannot store (PostgreSQL refuses +17:49, which Python accepts). A time that is before
    the year 1 or after 9999 once in UTC (0001-01-01T00:00+14:00) stands for the first or
    last moment Python can hold: "changed since" then means every term, or none."""

    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            first, last = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
            return first if moment.year == first.year else last


class UTCDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


# Given, a parameter must say something: leave it out for all categories, letters, times
# (an empty search, as from a search box left empty, is no search).
NOT_EMPTY = ("category", "letter", "search_exact", "updated_since", "ordering")
NOT_EMPTY_MESSAGE = "Must not be empty: leave the parameter out instead."


class TermFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        for name in NOT_EMPTY:
            if name in self.data and not self.data[name].strip() and name not in self.errors:
                self.add_error(name, NOT_EMPTY_MESSAGE)
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
        help_text="Words to find in titles, aliases, summaries and definitions, by their "
        "stem (plurals find the singular); every word must match. A word the glossary does "
        "not use is corrected to the closest one it does (the response's "
        "`search_corrected_to` then says what was searched for) or split in two "
        "(finetuning: fine tuning). Results come in relevance order unless `ordering` "
        "says otherwise.",
    )
    search_exact = filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        method="filter_search_exact",
        help_text="true: search for the words exactly as given, without correcting them "
        "(the link behind “search instead for …”).",
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
        "(the default when searching; without a search, title).",
    )

    class Meta:
        model = Term
        fields = ["category", "letter", "search", "search_exact", "updated_since", "ordering"]
        form = TermFilterForm

    def filter_search(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset, with the ordering

    def filter_ordering(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def filter_search_exact(self, queryset, name, value: bool):
        return queryset  # read with the search, in filter_queryset (typed for the schema)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        search = data.get("search")
        ordering = data.get("ordering") or ("relevance" if search else "title")
        if not search:
            return queryset.order_by(*ORDERINGS["title" if ordering == "relevance" else ordering])
        narrowed = any(data.get(name) for name in NARROWING_FILTERS)
        return engine.search(
            search,
            within=queryset if narrowed else None,
            ordering=None if ordering == "relevance" else ORDERINGS[ordering],
            exact=data.get("search_exact") or False,
        )


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
