"""Shared by the migrations that only mean something on PostgreSQL."""


def run_on_postgres(statements):
    """A RunPython function that executes ``statements`` on PostgreSQL and nothing elsewhere."""

    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation
