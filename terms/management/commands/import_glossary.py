import json
import sys

from django.core.management.base import BaseCommand, CommandError

from terms.services import GlossaryImportError, glossary_import


class Command(BaseCommand):
    help = (
        "Import a glossary file in the glossary/1 JSON format. All or nothing: if any "
        "record is bad, every problem is listed and nothing is stored. Records are "
        "matched by slug (references by key); importing the same file twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the JSON file, or - for standard input.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report, but store nothing."
        )

    def handle(self, *args, file, dry_run, **options):
        data = self.read(file)
        try:
            report = glossary_import(data=data, dry_run=dry_run)
        except GlossaryImportError as error:
            for problem in error.report.errors:
                self.stderr.write(self.style.ERROR(str(problem)))
            raise CommandError(str(error)) from error
        if options["verbosity"] >= 1:
            prefix = "Dry run, nothing stored. Would have: " if dry_run else ""
            self.stdout.write(self.style.SUCCESS(prefix + report.summary() + "."))

    def read(self, file):
        try:
            if file == "-":
                return json.load(sys.stdin)
            with open(file, encoding="utf-8") as handle:
                return json.load(handle)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{file} is not valid JSON "
                f"(line {error.lineno}, column {error.colno}: {error.msg})."
            ) from error
