from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from terms.roles import ADVISORY_TEAM, EDITORS, PUBLISHERS

DEMO_GLOSSARY = Path(__file__).resolve().parents[2] / "demo" / "glossary.json"
DEMO_USERS = [
    # username, password, superuser, groups
    ("editor", "editor", False, [EDITORS]),
    ("publisher", "publisher", False, [EDITORS, PUBLISHERS]),
    ("advisor", "advisor", False, [ADVISORY_TEAM]),
    ("admin", "admin", True, []),
]


class Command(BaseCommand):
    help = (
        "Development only: load the demo glossary and create the demo logins "
        "(editor/editor in Editors, publisher/publisher in Editors and Publishers, "
        "advisor/advisor in the Advisory team, admin/admin). "
        "Refuses to run with DEBUG off."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("load_demo creates well-known logins; it runs only with DEBUG on.")
        call_command("import_glossary", str(DEMO_GLOSSARY), verbosity=options["verbosity"])
        with transaction.atomic():
            for username, password, is_superuser, groups in DEMO_USERS:
                user, _created = get_user_model().objects.get_or_create(username=username)
                user.is_staff = True
                user.email = f"{username}@example.com"
                user.is_superuser = is_superuser
                user.set_password(password)
                user.save()
                user.groups.set(Group.objects.filter(name__in=groups))
        if options["verbosity"] >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    "Demo logins ready: editor/editor, publisher/publisher, advisor/advisor, "
                    "admin/admin."
                )
            )
