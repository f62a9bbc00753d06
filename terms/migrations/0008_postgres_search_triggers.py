"""Search on PostgreSQL: a narrow table and a lexicon, kept by triggers.

terms_term's rows are wide (Markdown and HTML), so ranking thousands of matches there
would read most of the table. The search vectors live in terms_term_search instead, one
short row a term: "head" (title and aliases weighted A,
summary B), which ranks, and "body" (the definition), which only matches. terms_search_word holds every word the
glossary uses, so a misspelt query word is corrected against it (pg_trgm) before the
full-text search. PostgreSQL only; SQLite has the plain fallback (terms.selectors).
"""

from django.db import migrations

from ._postgres import run_on_postgres

FORWARD = [
    "CREATE INDEX term_search_head_gin ON terms_term_search USING gin (head)",
    "CREATE INDEX term_search_body_gin ON terms_term_search USING gin (body)",
    "CREATE TABLE terms_search_word (word text PRIMARY KEY)",
    "CREATE INDEX search_word_trigram_gin ON terms_search_word USING gin (word gin_trgm_ops)",
    """CREATE FUNCTION terms_term_search_update() RETURNS trigger AS $$
    BEGIN
        INSERT INTO terms_term_search (term_id, head, body) VALUES (
            NEW.id,
            setweight(to_tsvector('english', coalesce(NEW.title, '') || ' ' || coalesce(NEW.aliases, '')), 'A')
            || setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B'),
            setweight(to_tsvector('english', coalesce(NEW.definition, '')), 'C')
        )
        ON CONFLICT (term_id) DO UPDATE SET head = EXCLUDED.head, body = EXCLUDED.body;
        INSERT INTO terms_search_word (word)
        SELECT lexeme FROM unnest(to_tsvector('simple',
            coalesce(NEW.title, '') || ' ' || coalesce(NEW.aliases, '') || ' '
            || coalesce(NEW.summary, '') || ' ' || coalesce(NEW.definition, '')))
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER terms_term_search_update
        AFTER INSERT OR UPDATE OF title, aliases, summary, definition ON terms_term
        FOR EACH ROW EXECUTE FUNCTION terms_term_search_update()""",
    """CREATE FUNCTION terms_term_search_delete() RETURNS trigger AS $$
    BEGIN
        DELETE FROM terms_term_search WHERE term_id = OLD.id;
        RETURN OLD;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER terms_term_search_delete BEFORE DELETE ON terms_term
        FOR EACH ROW EXECUTE FUNCTION terms_term_search_delete()""",
    # Fill both tables for the terms that exist already.
    "UPDATE terms_term SET title = title",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS terms_term_search_delete ON terms_term",
    "DROP FUNCTION IF EXISTS terms_term_search_delete()",
    "DROP TRIGGER IF EXISTS terms_term_search_update ON terms_term",
    "DROP FUNCTION IF EXISTS terms_term_search_update()",
    "DROP TABLE IF EXISTS terms_search_word",
    "DROP INDEX IF EXISTS term_search_body_gin",
    "DROP INDEX IF EXISTS term_search_head_gin",
]


class Migration(migrations.Migration):
    dependencies = [("terms", "0007_term_search_table")]

    operations = [migrations.RunPython(run_on_postgres(FORWARD), run_on_postgres(BACKWARD))]
