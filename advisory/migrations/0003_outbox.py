"""The outbox: one row per email an inquiry sends. 0004 fills it from the inquiry's old
fields; 0005 drops them."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("advisory", "0002_advisory_team_permissions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="inquiry",
            name="notification",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("retrying", "Failed, will retry"),
                    ("failed", "Failed, will not retry"),
                    ("sent", "Sent"),
                    ("not_sent", "Not sent (spam)"),
                ],
                db_index=True,
                default="pending",
                max_length=20,
                verbose_name="notification",
            ),
        ),
        migrations.CreateModel(
            name="OutgoingEmail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("team", "Team notification"),
                            ("acknowledgement", "Acknowledgement to the visitor"),
                        ],
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("sending", "Sending"),
                            ("retrying", "Failed, will retry"),
                            ("sent", "Sent"),
                            ("failed", "Failed, will not retry"),
                            ("cancelled", "Cancelled (spam)"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0, verbose_name="attempts")),
                (
                    "last_attempt_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last attempt at"),
                ),
                (
                    "next_attempt_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="next attempt at"),
                ),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent at")),
                ("error", models.CharField(blank=True, max_length=200, verbose_name="last error")),
                (
                    "message_id",
                    models.CharField(
                        help_text="The same on every attempt, e.g. <inquiry-…-team@example.org>.",
                        max_length=255,
                        unique=True,
                        verbose_name="Message-ID",
                    ),
                ),
                (
                    "queued_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="queued at"
                    ),
                ),
                (
                    "inquiry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="emails",
                        to="advisory.inquiry",
                        verbose_name="inquiry",
                    ),
                ),
            ],
            options={
                "verbose_name": "outgoing email",
                "verbose_name_plural": "outgoing emails",
                "ordering": ["inquiry", "kind"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("inquiry", "kind"), name="outgoing_email_one_per_kind"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "sent"), _negated=True),
                            ("sent_at__isnull", False),
                            _connector="OR",
                        ),
                        name="outgoing_email_sent_has_time",
                    ),
                ],
            },
        ),
    ]
