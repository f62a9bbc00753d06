"""A task for the worker's tests: it leaves a line in a file each time it runs."""

from pathlib import Path

from django_tasks import task


@task()
def leave_a_line(path: str, text: str) -> None:
    with Path(path).open("a", encoding="utf-8") as file:
        file.write(text + "\n")
