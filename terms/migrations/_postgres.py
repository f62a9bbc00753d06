"""Shared by the migrations that only mean something on one database."""


def run_on(vendor: str, statements):
    """A RunPython function that executes ``statements`` on ``vendor`` and nothing elsewhere."""

    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != vendor:
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


def run_on_postgres(statements):
    return run_on("postgresql", statements)


def run_on_sqlite(statements):
    return run_on("sqlite", statements)
