"""Search on SQLite: full text with SQLite's FTS5, kept by triggers, published terms only.

PostgreSQL has had weighted full-text search and a lexicon for typo tolerance since 0008
(and published terms only since 0014). SQLite, the embedded default every newcomer meets
first, had a substring match of title, aliases and summary. Now it has the same idea:

- terms_term_fts: one row per published term (rowid = term id), the title, aliases,
  summary and definition in separate columns so that a match in the title counts for more
  (bm25 weights, terms.search.engine), words reduced to their stem by the Porter stemmer
  ("models" finds "model"), accents folded, hyphens separating words.
- terms_term_words: the same terms' words as written (no stemmer), whose vocabulary
  (terms_term_words_vocab) is the lexicon a misspelt query word is corrected against.

Triggers keep both for every path a term changes by (a save, an import, a scheduled
change, a delete). SQLite only; the statements do nothing on PostgreSQL.
"""

import time

from django.db import migrations, models
from django.db.models.functions import Greatest

from ._postgres import run_on_sqlite

# Readers see a term if and only if its status is "published"
# (terms.models.TermQuerySet.published); tests/search/test_engine.py checks that the
# copies kept here agree with it.
WORDS = "coalesce(NEW.title, '') || ' ' || coalesce(NEW.aliases, '') || ' ' || coalesce(NEW.summary, '') || ' ' || coalesce(NEW.definition, '')"
INSERT_PUBLISHED = f"""
    INSERT INTO terms_term_fts (rowid, title, aliases, summary, definition)
    SELECT NEW.id, coalesce(NEW.title, ''), coalesce(NEW.aliases, ''),
        coalesce(NEW.summary, ''), coalesce(NEW.definition, '')
    WHERE NEW.status = 'published';
    INSERT INTO terms_term_words (rowid, words) SELECT NEW.id, {WORDS}
    WHERE NEW.status = 'published';"""
DELETE_OLD = """
    DELETE FROM terms_term_fts WHERE rowid = OLD.id;
    DELETE FROM terms_term_words WHERE rowid = OLD.id;"""

FORWARD = [
    """CREATE VIRTUAL TABLE terms_term_fts USING fts5(
        title, aliases, summary, definition,
        tokenize = 'porter unicode61 remove_diacritics 2')""",
    """CREATE VIRTUAL TABLE terms_term_words USING fts5(
        words, tokenize = 'unicode61 remove_diacritics 2', detail = none)""",
    "CREATE VIRTUAL TABLE terms_term_words_vocab USING fts5vocab(terms_term_words, 'row')",
    f"""CREATE TRIGGER terms_term_fts_insert AFTER INSERT ON terms_term
        BEGIN {INSERT_PUBLISHED} END""",
    f"""CREATE TRIGGER terms_term_fts_update
        AFTER UPDATE OF title, aliases, summary, definition, status ON terms_term
        BEGIN {DELETE_OLD} {INSERT_PUBLISHED} END""",
    f"CREATE TRIGGER terms_term_fts_delete AFTER DELETE ON terms_term BEGIN {DELETE_OLD} END",
    # The terms that exist already.
    """INSERT INTO terms_term_fts (rowid, title, aliases, summary, definition)
        SELECT id, coalesce(title, ''), coalesce(aliases, ''), coalesce(summary, ''),
            coalesce(definition, '')
        FROM terms_term WHERE status = 'published'""",
    f"""INSERT INTO terms_term_words (rowid, words)
        SELECT id, {WORDS.replace("NEW.", "")} FROM terms_term WHERE status = 'published'""",  # noqa: S608 - no values
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS terms_term_fts_delete",
    "DROP TRIGGER IF EXISTS terms_term_fts_update",
    "DROP TRIGGER IF EXISTS terms_term_fts_insert",
    "DROP TABLE IF EXISTS terms_term_words_vocab",
    "DROP TABLE IF EXISTS terms_term_words",
    "DROP TABLE IF EXISTS terms_term_fts",
]


def move_content_generation(apps, schema_editor):
    """Cached search answers came from the substring search: none is served again."""
    if schema_editor.connection.vendor != "sqlite":
        return
    ContentGeneration = apps.get_model("httpcache", "ContentGeneration")
    ContentGeneration.objects.using(schema_editor.connection.alias).filter(pk=1).update(
        value=Greatest(
            models.F("value") + 1,
            models.Value(time.time_ns(), output_field=models.BigIntegerField()),
        )
    )


class Migration(migrations.Migration):
    dependencies = [("terms", "0019_term_links"), ("httpcache", "0001_initial")]

    operations = [
        migrations.RunPython(run_on_sqlite(FORWARD), run_on_sqlite(BACKWARD)),
        migrations.RunPython(move_content_generation, migrations.RunPython.noop),
    ]
