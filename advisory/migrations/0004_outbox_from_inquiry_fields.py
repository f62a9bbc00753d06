"""One OutgoingEmail row per email each existing inquiry sends, from the fields that
recorded them on the inquiry (removed by 0005). Reversible: going back fills those fields
from the rows again (a permanent failure, unknown before, becomes "will retry")."""

from email.utils import parseaddr

from django.conf import settings
from django.db import migrations

TEAM, ACKNOWLEDGEMENT = "team", "acknowledgement"


def message_id(inquiry, kind: str) -> str:
    # As advisory.models.OutgoingEmail.message_id_for, frozen here.
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<inquiry-{inquiry.reference}-{kind}@{domain}>"


def email_row(OutgoingEmail, inquiry, kind: str, sent_at):
    row = OutgoingEmail(
        inquiry=inquiry,
        kind=kind,
        message_id=message_id(inquiry, kind),
        queued_at=inquiry.created_at,
        attempts=inquiry.notification_attempts,
    )
    if sent_at is None and inquiry.notification == "sent":
        sent_at = inquiry.updated_at  # recorded as sent without a time: keep it sent
    if sent_at is not None:
        row.status, row.sent_at, row.last_attempt_at = "sent", sent_at, sent_at
        row.attempts = max(row.attempts, 1)
    elif inquiry.status == "spam" or inquiry.notification == "not_sent":
        row.status = "cancelled"
    elif inquiry.notification == "retrying":
        row.status = "retrying"
        row.next_attempt_at = inquiry.next_notification_at
        row.error = inquiry.notification_error  # one text for both emails before
    else:
        row.status = "pending"
    return row


def rows_from_fields(apps, schema_editor):
    Inquiry = apps.get_model("advisory", "Inquiry")
    OutgoingEmail = apps.get_model("advisory", "OutgoingEmail")
    rows = []
    for inquiry in Inquiry.objects.order_by("pk").iterator(chunk_size=500):
        rows.append(email_row(OutgoingEmail, inquiry, TEAM, inquiry.team_notified_at))
        if inquiry.acknowledgement_wanted:
            rows.append(email_row(OutgoingEmail, inquiry, ACKNOWLEDGEMENT, inquiry.acknowledged_at))
        if len(rows) >= 500:
            OutgoingEmail.objects.bulk_create(rows)
            rows = []
    OutgoingEmail.objects.bulk_create(rows)


def fields_from_rows(apps, schema_editor):
    Inquiry = apps.get_model("advisory", "Inquiry")
    OutgoingEmail = apps.get_model("advisory", "OutgoingEmail")
    emails = {}
    for email in OutgoingEmail.objects.order_by("kind"):
        emails.setdefault(email.inquiry_id, {})[email.kind] = email
    for inquiry in Inquiry.objects.order_by("pk").iterator(chunk_size=500):
        mine = emails.get(inquiry.pk, {})
        team, acknowledgement = mine.get(TEAM), mine.get(ACKNOWLEDGEMENT)
        inquiry.team_notified_at = team.sent_at if team else None
        inquiry.acknowledged_at = acknowledgement.sent_at if acknowledgement else None
        inquiry.acknowledgement_wanted = acknowledgement is not None
        inquiry.notification_attempts = max((e.attempts for e in mine.values()), default=0)
        waiting = [e.next_attempt_at for e in mine.values() if e.next_attempt_at]
        inquiry.next_notification_at = min(waiting, default=None)
        errors = [e.error for e in mine.values() if e.error and e.status != "sent"]
        inquiry.notification_error = "; ".join(errors)[:200]
        if inquiry.notification == "failed":
            inquiry.notification = "retrying"
        inquiry.save(
            update_fields=[
                "team_notified_at",
                "acknowledged_at",
                "acknowledgement_wanted",
                "notification_attempts",
                "next_notification_at",
                "notification_error",
                "notification",
            ]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("advisory", "0003_outbox"),
    ]

    operations = [migrations.RunPython(rows_from_fields, fields_from_rows)]
