from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from terms.models import Category, Reference, Term
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
        "Development only: load the demo glossary into an empty glossary and create the "
        "demo logins that do not exist yet (editor/editor in Editors, publisher/publisher "
        "in Editors and Publishers, advisor/advisor in the Advisory team, admin/admin). "
        "Never changes what is already there, so running it again keeps every edit and "
        "every login session. Refuses to run with DEBUG off."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("load_demo creates well-known logins; it runs only with DEBUG on.")
        verbose = options["verbosity"] >= 1
        if self.glossary_is_empty():
            call_command("import_glossary", str(DEMO_GLOSSARY), verbosity=options["verbosity"])
        elif verbose:
            self.stdout.write(
                "The glossary already has content: the demo glossary was not loaded again "
                "(your changes are kept). Start from an empty database to load it afresh."
            )
        created = self.create_missing_users()
        if verbose:
            self.stdout.write(
                self.style.SUCCESS(
                    "Demo logins ready: editor/editor, publisher/publisher, advisor/advisor, "
                    "admin/admin" + (f" (created: {', '.join(created)})." if created else ".")
                )
            )

    @staticmethod
    def glossary_is_empty() -> bool:
        return not (
            Term.objects.exists() or Category.objects.exists() or Reference.objects.exists()
        )

    @staticmethod
    def create_missing_users() -> list[str]:
        """The demo logins that do not exist yet, created. An existing user is left as it
        is: setting its password again would change the hash that every login session is
        tied to, and log that person out."""
        created = []
        with transaction.atomic():
            for username, password, is_superuser, groups in DEMO_USERS:
                user, is_new = get_user_model().objects.get_or_create(
                    username=username,
                    defaults={
                        "is_staff": True,
                        "is_superuser": is_superuser,
                        "email": f"{username}@example.com",
                    },
                )
                if is_new:
                    user.set_password(password)
                    user.save(update_fields=["password"])
                    user.groups.set(Group.objects.filter(name__in=groups))
                    created.append(username)
        return created
