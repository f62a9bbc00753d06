from django.db import migrations


def create_site_settings(apps, schema_editor):
    # The row exists from the start, so that reading it never writes.
    apps.get_model("terms", "SiteSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("terms", "0005_case_insensitive_title_order")]

    operations = [migrations.RunPython(create_site_settings, migrations.RunPython.noop)]
