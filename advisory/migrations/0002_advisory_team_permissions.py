from django.db import migrations

from terms.roles import ADVISORY_TEAM, ADVISORY_TEAM_PERMISSIONS, grant_role_permissions


def grant(apps, schema_editor):
    grant_role_permissions(apps, ADVISORY_TEAM, ADVISORY_TEAM_PERMISSIONS)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    team = Group.objects.filter(name=ADVISORY_TEAM).first()
    if team:
        team.permissions.remove(*Permission.objects.filter(content_type__app_label="advisory"))


class Migration(migrations.Migration):
    dependencies = [
        ("advisory", "0001_initial"),
        ("terms", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
