"""Used Idempotency-Keys and form tokens, as keyed hashes, so a submission sent again is
answered as the first time instead of stored twice."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("advisory", "0005_remove_inquiry_notification_fields"),
    ]

    operations = [
        migrations.CreateModel(
            name="IdempotencyRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "scope",
                    models.CharField(
                        choices=[
                            ("idempotency_key", "Idempotency-Key header"),
                            ("form_token", "Form token"),
                        ],
                        max_length=20,
                        verbose_name="scope",
                    ),
                ),
                ("key_hash", models.CharField(max_length=64, verbose_name="key (keyed hash)")),
                (
                    "fingerprint",
                    models.CharField(max_length=64, verbose_name="content (keyed hash)"),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="used at"
                    ),
                ),
                (
                    "inquiry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="idempotency_records",
                        to="advisory.inquiry",
                        verbose_name="inquiry",
                    ),
                ),
            ],
            options={
                "verbose_name": "idempotency record",
                "verbose_name_plural": "idempotency records",
                "ordering": ["-created_at"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("scope", "key_hash"), name="idempotency_key_used_once"
                    )
                ],
            },
        ),
    ]
