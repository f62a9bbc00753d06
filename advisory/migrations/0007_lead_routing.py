"""Lead routing (who is told of new inquiries, whether visitors get an acknowledgement)
moves from the Editors' site settings to the Advisory team's own record, with a record of
its changes. The stored values come along; the Advisory team gets the permissions.
terms 0012 then removes the fields from the site settings."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from terms.roles import ADVISORY_TEAM, LEAD_ROUTING_PERMISSIONS, grant_role_permissions


def copy_from_site_settings(apps, schema_editor):
    SiteSettings = apps.get_model("terms", "SiteSettings")
    LeadRouting = apps.get_model("advisory", "LeadRouting")
    site = SiteSettings.objects.filter(pk=1).first()
    values = {}
    if site is not None:
        values = {
            "inquiry_recipients": site.inquiry_recipients,
            "send_inquiry_acknowledgement": site.send_inquiry_acknowledgement,
        }
    LeadRouting.objects.update_or_create(pk=1, defaults=values)


def copy_back_to_site_settings(apps, schema_editor):
    SiteSettings = apps.get_model("terms", "SiteSettings")
    routing = apps.get_model("advisory", "LeadRouting").objects.filter(pk=1).first()
    if routing is not None:
        SiteSettings.objects.update_or_create(
            pk=1,
            defaults={
                "inquiry_recipients": routing.inquiry_recipients,
                "send_inquiry_acknowledgement": routing.send_inquiry_acknowledgement,
            },
        )


def grant(apps, schema_editor):
    grant_role_permissions(apps, ADVISORY_TEAM, LEAD_ROUTING_PERMISSIONS)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    team = Group.objects.filter(name=ADVISORY_TEAM).first()
    if team:
        team.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="advisory",
                codename__in=LEAD_ROUTING_PERMISSIONS["advisory"],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("advisory", "0006_idempotency_record"),
        # The site settings as they were, with the lead routing fields still in them.
        ("terms", "0012_call_to_action_and_one_line_rules"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="LeadRouting",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "inquiry_recipients",
                    models.TextField(
                        blank=True,
                        help_text="Email addresses, one per line, e.g. advisory@example.org. The ADVISORY_NOTIFY_EMAILS environment variable, when set, takes precedence; with neither, every member of the Advisory team with an email address is told. A change is emailed to the addresses told before it and after it.",
                        verbose_name="who is told of new inquiries",
                    ),
                ),
                (
                    "send_inquiry_acknowledgement",
                    models.BooleanField(
                        default=True,
                        help_text="Send visitors an email confirming that their inquiry arrived.",
                        verbose_name="acknowledge inquiries by email",
                    ),
                ),
            ],
            options={
                "verbose_name": "lead routing",
                "verbose_name_plural": "lead routing",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("pk", 1)), name="lead_routing_single_row"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="LeadRoutingChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "changed_at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="changed at"
                    ),
                ),
                (
                    "changed_by_name",
                    models.CharField(max_length=150, verbose_name="changed by (user name)"),
                ),
                (
                    "field",
                    models.CharField(
                        choices=[
                            ("inquiry_recipients", "who is told of new inquiries"),
                            ("send_inquiry_acknowledgement", "acknowledge inquiries by email"),
                        ],
                        max_length=50,
                        verbose_name="setting",
                    ),
                ),
                ("old_value", models.TextField(blank=True, verbose_name="before")),
                ("new_value", models.TextField(blank=True, verbose_name="after")),
                ("notice_to", models.TextField(blank=True, verbose_name="emailed to")),
                (
                    "notice",
                    models.CharField(
                        choices=[
                            ("not_sent", "No email (not a change of who is told)"),
                            ("nobody", "Nobody to tell"),
                            ("pending", "Pending"),
                            ("retrying", "Failed, will retry"),
                            ("sent", "Sent"),
                            ("failed", "Failed, will not retry"),
                        ],
                        default="not_sent",
                        max_length=20,
                        verbose_name="email about the change",
                    ),
                ),
                (
                    "notice_attempts",
                    models.PositiveIntegerField(default=0, verbose_name="attempts"),
                ),
                (
                    "notice_sent_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="emailed at"),
                ),
                (
                    "notice_error",
                    models.CharField(blank=True, max_length=200, verbose_name="last error"),
                ),
                (
                    "changed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="changed by",
                    ),
                ),
            ],
            options={
                "verbose_name": "lead routing change",
                "verbose_name_plural": "lead routing changes",
                "ordering": ["-changed_at", "-id"],
            },
        ),
        migrations.RunPython(copy_from_site_settings, copy_back_to_site_settings),
        migrations.RunPython(grant, revoke),
    ]
