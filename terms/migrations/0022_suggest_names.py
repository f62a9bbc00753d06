"""Suggest-as-you-type reads TermName, the table of every entry's title and aliases that
Term.save() already keeps (terms.models.Term.sync_names): each name gains its folded
words ("fine tuning") and the same without spaces ("finetuning"), derived from its key.

On PostgreSQL three indexes serve terms.search.suggest: the folded words in byte order
(a prefix is a range of it, read in the order suggestions are shown, whatever the
database's collation), and trigram indexes for the words that start inside a name and for
what a name merely contains. SQLite gets the byte-order index alone (its default
collation is byte order); at its scale the rest is a scan of the short name rows.
"""

from django.db import migrations, models

from terms.text import folded_words

POSTGRES_INDEXES = [
    'CREATE INDEX termname_folded_bytes ON terms_termname ((folded COLLATE "C"))',
    "CREATE INDEX termname_folded_trgm ON terms_termname USING gin (folded gin_trgm_ops)",
    "CREATE INDEX termname_compact_trgm ON terms_termname USING gin (compact gin_trgm_ops)",
]
SQLITE_INDEXES = ["CREATE INDEX termname_folded_bytes ON terms_termname (folded)"]
INDEX_NAMES = ["termname_folded_bytes", "termname_folded_trgm", "termname_compact_trgm"]


def fold_existing_names(apps, schema_editor):
    TermName = apps.get_model("terms", "TermName")
    names = list(TermName.objects.only("pk", "key"))
    for name in names:
        name.folded = folded_words(name.key)
        name.compact = name.folded.replace(" ", "")
    TermName.objects.bulk_update(names, ["folded", "compact"], batch_size=1000)


def create_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in POSTGRES_INDEXES if vendor == "postgresql" else SQLITE_INDEXES:
        schema_editor.execute(statement)


def drop_indexes(apps, schema_editor):
    for name in INDEX_NAMES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("terms", "0021_search_counts")]

    operations = [
        migrations.AddField(
            model_name="termname",
            name="folded",
            field=models.CharField(default="", editable=False, max_length=300),
        ),
        migrations.AddField(
            model_name="termname",
            name="compact",
            field=models.CharField(default="", editable=False, max_length=300),
        ),
        migrations.RunPython(fold_existing_names, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
