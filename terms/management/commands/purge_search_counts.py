from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from terms.search.counting import search_counts_purge


class Command(BaseCommand):
    help = (
        "Delete the counts of what readers searched for on days more than DAYS days ago "
        "(data retention; SEARCH_COUNT_RETENTION_DAYS unless --older-than says otherwise)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, metavar="DAYS")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args, older_than, dry_run, verbosity, **options):
        days = settings.SEARCH_COUNT_RETENTION_DAYS if older_than is None else older_than
        if days < 1:
            raise CommandError("--older-than must be 1 day or more.")
        count = search_counts_purge(older_than_days=days, dry_run=dry_run)
        if verbosity:
            verb = "Would delete" if dry_run else "Deleted"
            self.stdout.write(
                self.style.SUCCESS(
                    f"{verb} {count} search counts (query and day) older than {days} days."
                )
            )
