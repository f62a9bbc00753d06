import json

from django.core.management.base import BaseCommand

from terms.models import Term
from terms.services import glossary_export


class Command(BaseCommand):
    help = "Export the glossary in the glossary/1 JSON format (to standard output by default)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")
        parser.add_argument(
            "--status",
            action="append",
            choices=Term.Status.values,
            help="Only terms with this status (repeat for several). Default: all terms.",
        )

    def handle(self, *args, output, status, **options):
        text = json.dumps(glossary_export(statuses=status), ensure_ascii=False, indent=2) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            if options["verbosity"] >= 1:
                self.stderr.write(self.style.SUCCESS(f"Glossary written to {output}."))
        else:
            self.stdout.write(text, ending="")
