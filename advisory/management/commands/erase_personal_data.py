from django.core.management.base import BaseCommand

from advisory.services import personal_data_erase

from ._arguments import email_address


class Command(BaseCommand):
    help = (
        "Delete everything held about one email address "
        "(a data subject's erasure request under GDPR or PDPA)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", type=email_address)
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args, email, dry_run, **options):
        count = personal_data_erase(email, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {count} inquiries sent with that address.")
