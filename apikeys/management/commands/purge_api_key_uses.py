from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apikeys.services import api_key_uses_purge


class Command(BaseCommand):
    help = (
        "Delete the audit of API key uses older than DAYS days (API_KEY_USE_RETENTION_DAYS "
        "unless --older-than says otherwise). The worker does this hourly by itself."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, metavar="DAYS")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args, older_than, dry_run, verbosity, **options):
        days = settings.API_KEY_USE_RETENTION_DAYS if older_than is None else older_than
        if days < 1:
            raise CommandError("--older-than must be 1 day or more.")
        count = api_key_uses_purge(older_than_days=days, dry_run=dry_run)
        if verbosity:
            verb = "Would delete" if dry_run else "Deleted"
            self.stdout.write(
                self.style.SUCCESS(f"{verb} {count} API key uses older than {days} days.")
            )
