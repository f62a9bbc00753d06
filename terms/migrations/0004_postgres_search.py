"""pg_trgm, for the typo tolerance of search (migration 0008), on PostgreSQL only."""

from django.db import migrations

from ._postgres import run_on_postgres


class Migration(migrations.Migration):
    dependencies = [("terms", "0003_api_indexes_and_derived_fields")]

    operations = [
        migrations.RunPython(
            run_on_postgres(["CREATE EXTENSION IF NOT EXISTS pg_trgm"]), migrations.RunPython.noop
        )
    ]
