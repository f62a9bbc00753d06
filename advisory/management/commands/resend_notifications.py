from django.core.management.base import BaseCommand

from advisory.services import notifications_resend, pending_notifications


class Command(BaseCommand):
    help = (
        "Queue another attempt, now, for every inquiry (not spam) whose notification emails "
        "have not all gone, failed ones included: run it once the cause is mended (the "
        "worker, manage.py db_worker, sends them). Sent emails are never sent again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count them.")

    def handle(self, *args, dry_run, **options):
        pending = pending_notifications()
        if dry_run:
            self.stdout.write(f"{pending.count()} inquiries have notifications waiting.")
            return
        queued = notifications_resend(pending)
        self.stdout.write(f"Queued notifications for {queued} inquiries.")
