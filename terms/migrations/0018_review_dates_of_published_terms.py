"""Review dates for entries published before review-by dates existed: last checked at
their last change (before working copies, every save of a published entry was made on
the live text), due again one review interval later; otherwise every one of them would
have no review-by date, and would never be listed as due."""

import calendar

from django.db import migrations
from django.utils import timezone


def months_later(day, months: int):
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def set_review_dates(apps, schema_editor):
    Term = apps.get_model("terms", "Term")
    SiteSettings = apps.get_model("terms", "SiteSettings")
    settings = SiteSettings.objects.filter(pk=1).first()
    months = settings.review_interval_months if settings else 12
    terms = Term.objects.filter(status="published", draft_of__isnull=True, review_by__isnull=True)
    changed = []
    for term in terms.only("pk", "published_at", "updated_at", "reviewed_at").iterator():
        checked = max(moment for moment in (term.published_at, term.updated_at) if moment)
        term.reviewed_at = term.reviewed_at or checked
        term.review_by = months_later(timezone.localdate(checked), months)
        changed.append(term)
    # bulk_update, not save(): the entries' change time (auto_now) stays as it was.
    Term.objects.bulk_update(changed, ["reviewed_at", "review_by"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("terms", "0017_schedule_indexes")]

    operations = [migrations.RunPython(set_review_dates, migrations.RunPython.noop)]
