from django.core.management.base import BaseCommand, CommandError

from ...vcl import render_vcl


class Command(BaseCommand):
    help = (
        "Print the Varnish configuration for this site (glossary_project/cdn/varnish.vcl "
        "with the backend, the purge ACL, the session cookie and stale-while-revalidate "
        "filled in): varnishd -f <file>."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--backend", default="127.0.0.1:8000", help="HOST:PORT of gunicorn (127.0.0.1:8000)"
        )
        parser.add_argument(
            "--purge-from",
            action="append",
            default=[],
            help="an address or network allowed to purge, e.g. 10.0.0.0/8 (repeat for more; "
            "default 127.0.0.1)",
        )

    def handle(self, *args, **options):
        host, _, port = options["backend"].rpartition(":")
        if not host or not port.isdigit():
            raise CommandError(f"--backend must be HOST:PORT, not {options['backend']!r}.")
        try:
            vcl = render_vcl(
                backend_host=host,
                backend_port=int(port),
                purge_from=options["purge_from"] or ["127.0.0.1"],
            )
        except ValueError as error:
            raise CommandError(f"--purge-from: {error}") from error
        self.stdout.write(vcl, ending="")
