from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone

from .models import Inquiry, OutgoingEmail


@dataclass(frozen=True)
class LeadsReport:
    start: date
    end: date
    total: int
    by_term: list[dict]
    by_category: list[dict]


def leads_by_content(*, start: date, end: date) -> LeadsReport:
    """Inquiries (spam excluded) received from ``start`` to ``end`` inclusive, counted per
    term and per category, most first. Inquiries sent without a term count as "General"."""
    since = timezone.make_aware(datetime.combine(start, time.min))
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    inquiries = Inquiry.objects.filter(created_at__gte=since, created_at__lt=until).exclude(
        status=Inquiry.Status.SPAM
    )
    won = Count("id", filter=Q(status=Inquiry.Status.WON))
    by_term = list(
        inquiries.values("term_title")
        .annotate(inquiries=Count("id"), won=won)
        .order_by("-inquiries", "term_title")
    )
    by_category = list(
        inquiries.values("term__category__name")
        .annotate(inquiries=Count("id"), won=won)
        # NULL (no category) sorts first on SQLite, last on PostgreSQL: say which.
        .order_by("-inquiries", F("term__category__name").asc(nulls_last=True))
    )
    return LeadsReport(
        start=start,
        end=end,
        total=inquiries.count(),
        by_term=by_term,
        by_category=by_category,
    )


@dataclass(frozen=True)
class NotificationsWaiting:
    count: int  # inquiries with an email still to go out
    oldest: datetime | None  # when the longest-waiting of them arrived
    overdue: int  # inquiries whose team email has not gone out within the alert time


def notifications_waiting() -> NotificationsWaiting:
    """Inquiries (not spam) whose emails have not all gone out yet, and how many of them
    the team has not heard of within ADVISORY_NOTIFY_ALERT_MINUTES (failed ones too)."""
    unsent = OutgoingEmail.objects.filter(
        inquiry=OuterRef("pk"),
        status__in=[
            OutgoingEmail.Status.PENDING,
            OutgoingEmail.Status.SENDING,
            OutgoingEmail.Status.RETRYING,
        ],
    )
    waiting = Inquiry.objects.exclude(status=Inquiry.Status.SPAM).filter(Exists(unsent))
    summary = waiting.aggregate(count=Count("id"), oldest=Min("created_at"))
    return NotificationsWaiting(**summary, overdue=Inquiry.objects.team_not_told().count())
