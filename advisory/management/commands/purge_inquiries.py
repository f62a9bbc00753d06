from django.core.management.base import BaseCommand, CommandError

from advisory.services import inquiries_purge


class Command(BaseCommand):
    help = (
        "Delete inquiries received more than DAYS days ago (data retention), with their "
        "emails; also forget used idempotency keys and form tokens past their retention."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args, older_than, dry_run, **options):
        if older_than < 1:
            raise CommandError("--older-than must be 1 day or more.")
        count = inquiries_purge(older_than_days=older_than, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {count} inquiries received more than {older_than} days ago.")
