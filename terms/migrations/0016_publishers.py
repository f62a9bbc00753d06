from django.db import migrations

from terms.roles import (
    EDITOR_PERMISSIONS,
    PUBLISHER_PERMISSIONS,
    PUBLISHERS,
    grant_role_permissions,
)


def create_publishers(apps, schema_editor):
    # Editors' rights as well: a publisher also writes, and may be in this group alone.
    grant_role_permissions(apps, PUBLISHERS, EDITOR_PERMISSIONS)
    grant_role_permissions(apps, PUBLISHERS, PUBLISHER_PERMISSIONS)


def remove_publishers(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=PUBLISHERS).delete()


class Migration(migrations.Migration):
    dependencies = [("terms", "0015_working_copies_schedules_reviews_audit")]

    operations = [migrations.RunPython(create_publishers, remove_publishers)]
