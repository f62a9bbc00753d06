import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from advisory.services import personal_data_export


class Command(BaseCommand):
    help = (
        "Write everything held about one email address as JSON "
        "(a data subject access request under GDPR or PDPA)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--output", metavar="FILE", help="Write here instead of stdout.")

    def handle(self, *args, email, output, **options):
        try:
            validate_email(email.strip())
        except ValidationError as error:
            raise CommandError(f"Not an email address: {email!r}") from error
        text = json.dumps(personal_data_export(email), indent=2, ensure_ascii=False)
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text + "\n")
        else:
            self.stdout.write(text)
