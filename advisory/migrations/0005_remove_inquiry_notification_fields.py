"""The inquiry's per-message fields, now held by its OutgoingEmail rows (0004)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("advisory", "0004_outbox_from_inquiry_fields"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="inquiry",
            name="acknowledged_at",
        ),
        migrations.RemoveField(
            model_name="inquiry",
            name="acknowledgement_wanted",
        ),
        migrations.RemoveField(
            model_name="inquiry",
            name="next_notification_at",
        ),
        migrations.RemoveField(
            model_name="inquiry",
            name="notification_attempts",
        ),
        migrations.RemoveField(
            model_name="inquiry",
            name="notification_error",
        ),
        migrations.RemoveField(
            model_name="inquiry",
            name="team_notified_at",
        ),
    ]
