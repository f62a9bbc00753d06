"""Search data from published terms only (PostgreSQL): nothing a reader cannot see steers
what a reader finds.

Until now the triggers of 0008 and 0010 kept a search row for every term, whatever its
status, and added every word any term ever used to the spelling lexicon, never removing
one: a draft that used a misspelling as a word stopped search from correcting it, for
good, and anyone could probe whether an unpublished term used a word.

Now:

- terms_term_search has a row for each published term and no other (so its "published"
  column goes);
- terms_search_word holds a word if and only if a published term uses it, with the number
  of published terms that do ("terms"): a word no published term uses any more is removed.

The triggers write each change to a term's words (the words it stops and starts counting
for) to terms_search_word_change, and terms_search_word_apply() folds what is there into
the lexicon in one statement, sorted by word. A save applies it at once. An import applies
it once, at its end (terms.services.search_words_batched): counting thousands of terms into
the same rows one by one in one transaction rewrites a common word's row thousands of times,
versions PostgreSQL cannot discard before the commit, so each rewrite is slower than the
last (an import of 4,000 generated terms took over 15 minutes instead of about 80 s).

The existing data are rebuilt from the published terms, and the content generation moves,
so that no cached answer computed with the old lexicon is served again.
"""

import importlib
import time

from django.db import migrations, models
from django.db.models.functions import Greatest

from ._postgres import run_on_postgres

# Going back restores the trigger functions exactly as 0008 and 0010 wrote them.
_0008 = importlib.import_module("terms.migrations.0008_postgres_search_triggers")
_0010 = importlib.import_module("terms.migrations.0010_search_rank_on_narrow_rows")
PREVIOUS_DELETE = next(
    statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    for statement in _0008.FORWARD
    if statement.lstrip().startswith("CREATE FUNCTION terms_term_search_delete()")
)
PREVIOUS_UPDATE = _0010.FUNCTION


WORDS = """CREATE FUNCTION terms_term_words(title text, aliases text, summary text, definition text)
    RETURNS text[] AS $$
        SELECT tsvector_to_array(to_tsvector('simple',
            coalesce(title, '') || ' ' || coalesce(aliases, '') || ' '
            || coalesce(summary, '') || ' ' || coalesce(definition, '')))
    $$ LANGUAGE sql IMMUTABLE"""

APPLY = """CREATE FUNCTION terms_search_word_apply() RETURNS void AS $$
    DECLARE
        emptied text[];
    BEGIN
        WITH done AS (
            DELETE FROM terms_search_word_change RETURNING old_words, new_words
        ),
        change AS (
            SELECT word, sum(delta)::integer AS delta FROM (
                SELECT unnest(old_words), -1 FROM done
                UNION ALL SELECT unnest(new_words), 1 FROM done
            ) AS counted (word, delta)
            GROUP BY word HAVING sum(delta) <> 0
        ),
        counted AS (
            INSERT INTO terms_search_word AS lexicon (word, terms)
            SELECT word, delta FROM change ORDER BY word
            ON CONFLICT (word) DO UPDATE SET terms = lexicon.terms + EXCLUDED.terms
            RETURNING word, terms
        )
        SELECT array_agg(word) INTO emptied FROM counted WHERE terms <= 0;
        IF emptied IS NOT NULL THEN
            DELETE FROM terms_search_word WHERE word = ANY (emptied);
        END IF;
    END
    $$ LANGUAGE plpgsql"""

# Called by both row triggers with what the term was and is; "published" is the only
# status readers see (terms.models.TermQuerySet.published).
COUNT_CHANGE = """CREATE FUNCTION terms_search_word_count(
        old_words text[], new_words text[]) RETURNS void AS $$
    BEGIN
        INSERT INTO terms_search_word_change (old_words, new_words)
        VALUES (old_words, new_words);
        IF current_setting('terms.search_words', true) IS DISTINCT FROM 'batched' THEN
            PERFORM terms_search_word_apply();
        END IF;
    END
    $$ LANGUAGE plpgsql"""

UPDATE = """CREATE OR REPLACE FUNCTION terms_term_search_update() RETURNS trigger AS $$
    DECLARE
        was_public boolean := TG_OP = 'UPDATE' AND OLD.status = 'published';
        is_public boolean := NEW.status = 'published';
    BEGIN
        IF is_public THEN
            INSERT INTO terms_term_search (term_id, head, body, sort_title) VALUES (
                NEW.id,
                setweight(to_tsvector('english', coalesce(NEW.title, '') || ' ' || coalesce(NEW.aliases, '')), 'A')
                || setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B'),
                setweight(to_tsvector('english', coalesce(NEW.definition, '')), 'C'),
                lower(NEW.title)
            )
            ON CONFLICT (term_id) DO UPDATE SET head = EXCLUDED.head, body = EXCLUDED.body,
                sort_title = EXCLUDED.sort_title;
        ELSE
            DELETE FROM terms_term_search WHERE term_id = NEW.id;
        END IF;
        IF NOT (was_public OR is_public) THEN
            RETURN NULL;
        END IF;
        IF was_public AND is_public AND NEW.title IS NOT DISTINCT FROM OLD.title
                AND NEW.aliases IS NOT DISTINCT FROM OLD.aliases
                AND NEW.summary IS NOT DISTINCT FROM OLD.summary
                AND NEW.definition IS NOT DISTINCT FROM OLD.definition THEN
            RETURN NULL;
        END IF;
        PERFORM terms_search_word_count(
            CASE WHEN was_public
                THEN terms_term_words(OLD.title, OLD.aliases, OLD.summary, OLD.definition)
                ELSE '{}' END,
            CASE WHEN is_public
                THEN terms_term_words(NEW.title, NEW.aliases, NEW.summary, NEW.definition)
                ELSE '{}' END);
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql"""

DELETE = """CREATE OR REPLACE FUNCTION terms_term_search_delete() RETURNS trigger AS $$
    BEGIN
        DELETE FROM terms_term_search WHERE term_id = OLD.id;
        IF OLD.status = 'published' THEN
            PERFORM terms_search_word_count(
                terms_term_words(OLD.title, OLD.aliases, OLD.summary, OLD.definition), '{}');
        END IF;
        RETURN OLD;
    END
    $$ LANGUAGE plpgsql"""

# TRUNCATE fires no row trigger (Django's flush between transactional tests uses it).
TRUNCATE = """CREATE FUNCTION terms_term_search_truncate() RETURNS trigger AS $$
    BEGIN
        DELETE FROM terms_search_word;
        DELETE FROM terms_search_word_change;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql"""

FORWARD = [
    "TRUNCATE terms_search_word",
    "ALTER TABLE terms_search_word ADD COLUMN terms integer NOT NULL",
    "CREATE TABLE terms_search_word_change (old_words text[] NOT NULL, new_words text[] NOT NULL)",
    WORDS,
    APPLY,
    COUNT_CHANGE,
    UPDATE,
    DELETE,
    TRUNCATE,
    """CREATE TRIGGER terms_term_search_truncate AFTER TRUNCATE ON terms_term
        FOR EACH STATEMENT EXECUTE FUNCTION terms_term_search_truncate()""",
    # The existing data, from the published terms alone.
    """DELETE FROM terms_term_search WHERE term_id IN (
        SELECT id FROM terms_term WHERE status <> 'published')""",
    """INSERT INTO terms_search_word (word, terms)
        SELECT word, count(*) FROM terms_term,
            unnest(terms_term_words(title, aliases, summary, definition)) AS word
        WHERE status = 'published' GROUP BY word""",
]
BACKWARD = [
    "DROP TRIGGER terms_term_search_truncate ON terms_term",
    "DROP FUNCTION terms_term_search_truncate()",
    PREVIOUS_DELETE,
    PREVIOUS_UPDATE,
    "DROP FUNCTION terms_search_word_count(text[], text[])",
    "DROP FUNCTION terms_search_word_apply()",
    "DROP FUNCTION terms_term_words(text, text, text, text)",
    "DROP TABLE terms_search_word_change",
    "ALTER TABLE terms_search_word DROP COLUMN terms",
]
# Going back, after the "published" column is back: rows and words for every term, as
# 0010's trigger keeps them.
REFILL_AS_BEFORE = ["UPDATE terms_term SET title = title"]


def move_content_generation(apps, schema_editor):
    """Cached answers were computed with the old lexicon: none of them is served again."""
    if schema_editor.connection.vendor != "postgresql":
        return
    ContentGeneration = apps.get_model("httpcache", "ContentGeneration")
    ContentGeneration.objects.using(schema_editor.connection.alias).filter(pk=1).update(
        value=Greatest(
            models.F("value") + 1,
            models.Value(time.time_ns(), output_field=models.BigIntegerField()),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("terms", "0013_lead_routing_moved_out_of_site_settings"),
        ("httpcache", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, run_on_postgres(REFILL_AS_BEFORE)),
        migrations.RemoveIndex(model_name="termsearch", name="term_search_published_title"),
        migrations.RemoveField(model_name="termsearch", name="published"),
        migrations.RunPython(run_on_postgres(FORWARD), run_on_postgres(BACKWARD)),
        migrations.RunPython(move_content_generation, migrations.RunPython.noop),
    ]
