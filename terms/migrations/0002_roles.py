from django.db import migrations

from terms.roles import ADVISORY_TEAM, EDITOR_PERMISSIONS, EDITORS, grant_role_permissions


def create_roles(apps, schema_editor):
    grant_role_permissions(apps, EDITORS, EDITOR_PERMISSIONS)
    # Its permissions arrive with the advisory app's models.
    grant_role_permissions(apps, ADVISORY_TEAM, {})


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[EDITORS, ADVISORY_TEAM]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("terms", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
