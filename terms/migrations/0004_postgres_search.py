"""Full-text and trigram search indexes, on PostgreSQL only (SQLite uses a plain fallback).

`search_vector` is a stored generated column the ORM does not know about: only
terms.selectors.search_terms() reads it, through SQL written for PostgreSQL.
"""

from django.db import migrations

SEARCH_VECTOR = """
    setweight(to_tsvector('english', coalesce(title, '') || ' ' || coalesce(aliases, '')), 'A')
    || setweight(to_tsvector('english', coalesce(summary, '')), 'B')
    || setweight(to_tsvector('english', coalesce(definition, '')), 'C')
"""

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"ALTER TABLE terms_term ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({SEARCH_VECTOR}) STORED",
    "CREATE INDEX term_search_vector_gin ON terms_term USING gin (search_vector)",
    "CREATE INDEX term_title_trigram_gin ON terms_term USING gin (title gin_trgm_ops)",
    "CREATE INDEX term_aliases_trigram_gin ON terms_term USING gin (aliases gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS term_aliases_trigram_gin",
    "DROP INDEX IF EXISTS term_title_trigram_gin",
    "DROP INDEX IF EXISTS term_search_vector_gin",
    "ALTER TABLE terms_term DROP COLUMN IF EXISTS search_vector",
]


def run_on_postgres(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("terms", "0003_api_indexes_and_derived_fields")]

    operations = [migrations.RunPython(run_on_postgres(FORWARD), run_on_postgres(BACKWARD))]
