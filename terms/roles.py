"""The staff roles, as auth groups. Data migrations create them and grant permissions."""

from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions

EDITORS = "Editors"
ADVISORY_TEAM = "Advisory team"
PUBLISHERS = "Publishers"

EDITOR_PERMISSIONS = {
    "terms": [
        f"{action}_{model}"
        for model in ("category", "term", "keyconsideration", "faq", "reference", "termreference")
        for action in ("add", "change", "delete", "view")
    ]
    + ["change_sitesettings", "view_sitesettings"],
}

# Publishers approve and publish what Editors write (terms migration 0016); they are
# members of Editors too, for everything else an editor does. The audit log is theirs to
# read (and the superuser's).
PUBLISHER_PERMISSIONS = {
    "terms": ["publish_term", "view_auditentry"],
}

# The report of what readers searched for (terms migration 0021): Editors' (Publishers
# are Editors too, and may be in that group alone).
SEARCH_REPORT_PERMISSIONS = {"terms": ["view_searchcount"]}

# The inbox: read and work inquiries, export them; never add one (visitors do).
ADVISORY_TEAM_PERMISSIONS = {
    "advisory": ["view_inquiry", "change_inquiry", "delete_inquiry", "export_inquiry"],
}
# Who is told of new inquiries, and the record of its changes: the Advisory team's only
# (advisory migration 0007; the sets above stay as their migrations granted them).
LEAD_ROUTING_PERMISSIONS = {
    "advisory": ["view_leadrouting", "change_leadrouting", "view_leadroutingchange"],
}


def grant_role_permissions(apps, group_name: str, permissions: dict[str, list[str]]) -> None:
    """Create the group if needed and give it exactly these permissions for these apps.

    Permissions are normally created after migrations run; creating them here lets a
    fresh database get its roles in the same ``migrate``.
    """
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=group_name)
    for app_label, codenames in permissions.items():
        wanted = Permission.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )
        missing = set(codenames) - set(wanted.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions not found for {group_name}: {sorted(missing)}")
        group.permissions.add(*wanted)


def member_addresses(group_name: str) -> list[str]:
    """The email addresses of a role's active members (who have one), each once."""
    members = (
        get_user_model()
        .objects.filter(groups__name=group_name, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    return list(members)
