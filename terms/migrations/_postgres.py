"""Shared by the migrations that only mean something on one database."""


def run_on_postgres(statements):
    """A RunPython function that executes ``statements`` on PostgreSQL and nothing elsewhere."""

    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


def run_on_sqlite(statements):
    """A RunPython function that executes ``statements`` on SQLite and nothing elsewhere."""

    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation
