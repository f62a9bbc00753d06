from django.db import migrations

from terms.roles import ADVISORY_TEAM, EDITORS, grant_role_permissions

# Editors manage the endpoints front ends rebuild from; the Advisory team the CRM's
# (inquiry.created, which the admin keeps to people who may read inquiries). Both see
# and redeliver deliveries (those of inquiry.created: the Advisory team only).
WEBHOOK_PERMISSIONS = {
    "webhooks": [
        "add_endpoint",
        "change_endpoint",
        "delete_endpoint",
        "view_endpoint",
        "change_delivery",
        "view_delivery",
    ]
}


def grant(apps, schema_editor):
    for group in (EDITORS, ADVISORY_TEAM):
        grant_role_permissions(apps, group, WEBHOOK_PERMISSIONS)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=[EDITORS, ADVISORY_TEAM]):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="webhooks"))


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("terms", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
