"""Search ranks on the narrow search rows alone: they also carry "published" and the
lower-cased title (the tie-break order), kept by the trigger, which now also fires when
a term's status changes. PostgreSQL only for the trigger; the columns exist everywhere.
"""

import importlib

from django.db import migrations, models

from ._postgres import run_on_postgres

# Going back restores the trigger function exactly as 0008 wrote it.
_previous = importlib.import_module("terms.migrations.0008_postgres_search_triggers")
PREVIOUS_FUNCTION = next(
    statement
    for statement in _previous.FORWARD
    if "terms_term_search_update()" in statement
    and statement.lstrip().startswith("CREATE FUNCTION")
)

FUNCTION = """CREATE OR REPLACE FUNCTION terms_term_search_update() RETURNS trigger AS $$
    BEGIN
        INSERT INTO terms_term_search (term_id, head, body, published, sort_title) VALUES (
            NEW.id,
            setweight(to_tsvector('english', coalesce(NEW.title, '') || ' ' || coalesce(NEW.aliases, '')), 'A')
            || setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B'),
            setweight(to_tsvector('english', coalesce(NEW.definition, '')), 'C'),
            NEW.status = 'published',
            lower(NEW.title)
        )
        ON CONFLICT (term_id) DO UPDATE SET head = EXCLUDED.head, body = EXCLUDED.body,
            published = EXCLUDED.published, sort_title = EXCLUDED.sort_title;
        IF TG_OP = 'INSERT' OR NEW.title IS DISTINCT FROM OLD.title
                OR NEW.aliases IS DISTINCT FROM OLD.aliases
                OR NEW.summary IS DISTINCT FROM OLD.summary
                OR NEW.definition IS DISTINCT FROM OLD.definition THEN
            INSERT INTO terms_search_word (word)
            SELECT lexeme FROM unnest(to_tsvector('simple',
                coalesce(NEW.title, '') || ' ' || coalesce(NEW.aliases, '') || ' '
                || coalesce(NEW.summary, '') || ' ' || coalesce(NEW.definition, '')))
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql"""

FORWARD = [
    FUNCTION,
    "DROP TRIGGER terms_term_search_update ON terms_term",
    """CREATE TRIGGER terms_term_search_update
        AFTER INSERT OR UPDATE OF title, aliases, summary, definition, status ON terms_term
        FOR EACH ROW EXECUTE FUNCTION terms_term_search_update()""",
    """UPDATE terms_term_search AS search
        SET published = term.status = 'published', sort_title = lower(term.title)
        FROM terms_term AS term WHERE term.id = search.term_id""",
]
BACKWARD = [
    "DROP TRIGGER terms_term_search_update ON terms_term",
    PREVIOUS_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1),
    """CREATE TRIGGER terms_term_search_update
        AFTER INSERT OR UPDATE OF title, aliases, summary, definition ON terms_term
        FOR EACH ROW EXECUTE FUNCTION terms_term_search_update()""",
]


class Migration(migrations.Migration):
    dependencies = [
        ("terms", "0009_inquiry_notification_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="termsearch",
            name="published",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="termsearch",
            name="sort_title",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddIndex(
            model_name="termsearch",
            index=models.Index(
                condition=models.Q(("published", True)),
                fields=["sort_title"],
                name="term_search_published_title",
            ),
        ),
        migrations.RunPython(run_on_postgres(FORWARD), run_on_postgres(BACKWARD)),
    ]
