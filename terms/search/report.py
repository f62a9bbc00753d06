"""The editors' "Searches" report (SearchCountAdmin): what readers searched for most over
a period, and what they searched for that found nothing: the terms to write next."""

import datetime
from dataclasses import dataclass

from django.db.models import Max, OuterRef, Subquery, Sum

from ..models import SearchCount

REPORT_ROWS = 50


@dataclass(frozen=True)
class SearchSummary:
    query: str
    searches: int
    last_searched: datetime.date
    results: int  # what the latest search in the period found


def top_searches(*, first_day: datetime.date, last_day: datetime.date) -> list[SearchSummary]:
    """The queries searched most often between the two days (both included)."""
    return _summaries(first_day, last_day, unfound_only=False)


def top_searches_without_results(
    *, first_day: datetime.date, last_day: datetime.date
) -> list[SearchSummary]:
    """The queries searched most often between the two days whose latest search in that
    period found nothing (one that finds its term now has left this list)."""
    return _summaries(first_day, last_day, unfound_only=True)


def _summaries(first_day, last_day, *, unfound_only: bool) -> list[SearchSummary]:
    in_period = SearchCount.objects.filter(day__range=(first_day, last_day))
    latest_results = in_period.filter(query=OuterRef("query")).order_by("-day")
    rows = (
        in_period.values("query")
        .annotate(
            total=Sum("searches"),
            last_searched=Max("day"),
            latest_results=Subquery(latest_results.values("results")[:1]),
        )
        .order_by("-total", "query")
    )
    if unfound_only:
        rows = rows.filter(latest_results=0)
    return [
        SearchSummary(row["query"], row["total"], row["last_searched"], row["latest_results"])
        for row in rows[:REPORT_ROWS]
    ]
