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
            report = glossary_import(
                data=data, dry_run=dry_run, progress=self.progress(options["verbosity"])
            )
        except GlossaryImportError as error:
            self.end_progress_line()
            for problem in error.report.errors:
                self.stderr.write(self.style.ERROR(str(problem)))
            raise CommandError(str(error)) from error
        self.end_progress_line()
        if options["verbosity"] >= 1:
            prefix = "Dry run, nothing stored. Would have: " if dry_run else ""
            self.stdout.write(self.style.SUCCESS(prefix + report.summary() + "."))

    def progress(self, verbosity: int):
        """Report "validated N/M records" and "written N/M terms" on stderr: rewritten in
        place on a terminal, every tenth of the way (and at the end) otherwise."""
        self.in_place = False
        if verbosity == 0:
            return None
        on_terminal = self.stderr.isatty()
        nouns = {"validated": "records", "written": "terms"}
        last_shown: dict[str, int] = {}

        def show(stage: str, done: int, total: int) -> None:
            step = max(total // (1000 if on_terminal else 10), 1)
            shown = last_shown.get(stage, -step)
            if shown == done or (done != total and done - shown < step):
                return
            last_shown[stage] = done
            line = f"{stage} {done}/{total} {nouns[stage]}"
            if on_terminal:
                self.stderr.write(f"\r{line}\033[K", ending="")
                self.stderr.flush()
                self.in_place = done != total
                if done == total:
                    self.stderr.write("")
            else:
                self.stderr.write(line)

        return show

    def end_progress_line(self):
        if getattr(self, "in_place", False):
            self.stderr.write("")
            self.in_place = False

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
