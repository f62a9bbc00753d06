from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from advisory.services import personal_data_erase


class Command(BaseCommand):
    help = (
        "Delete everything held about one email address "
        "(a data subject's erasure request under GDPR or PDPA)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args, email, dry_run, **options):
        try:
            validate_email(email.strip())
        except ValidationError as error:
            raise CommandError(f"Not an email address: {email!r}") from error
        count = personal_data_erase(email, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {count} inquiries sent with that address.")
