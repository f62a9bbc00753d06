import json

from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder

from advisory.services import personal_data_export

from ._arguments import email_address


class Command(BaseCommand):
    help = (
        "Write everything held about one email address as JSON "
        "(a data subject access request under GDPR or PDPA)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", type=email_address)
        parser.add_argument("--output", metavar="FILE", help="Write here instead of stdout.")

    def handle(self, *args, email, output, **options):
        text = json.dumps(
            personal_data_export(email), indent=2, ensure_ascii=False, cls=DjangoJSONEncoder
        )
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text + "\n")
        else:
            self.stdout.write(text)
