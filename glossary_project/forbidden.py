"""The 403 page staff see in the admin: which role opens the page they asked for, and
whom to ask for it, in the admin's own design (errors.permission_denied sends them here).

The role is read from the permissions the data migrations gave each group (terms.roles),
so the page names whoever really has access: the page's model and the permission it
needs come from the address (/admin/<app>/<model>/...)."""

from dataclasses import dataclass

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Pages that need more than seeing their model: (app, model, the address's part after
# the object) → the permission. A review step other than "submit" approves or asks for
# changes, which only Publishers do (TermAdmin.review_view).
PAGES_NEEDING_MORE = {("terms", "term", "review"): ("terms", "publish_term")}
STEPS_ANY_EDITOR_MAY_TAKE = {"submit"}


@dataclass(frozen=True)
class AccessNeeded:
    """Who may open a page: the roles (groups) that have its permission; none means
    only superusers."""

    roles: list[str]

    @property
    def superusers_only(self) -> bool:
        return not self.roles


def is_admin_request(request) -> bool:
    return request.path.startswith(reverse("admin:index"))


def is_staff(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff


def permission_for_admin_path(path: str) -> tuple[str, str] | None:
    """The (app label, codename) an admin address needs, or None if it names no model:
    seeing the model (``view_<model>``), or more for PAGES_NEEDING_MORE."""
    parts = [part for part in path[len(reverse("admin:index")) :].split("/") if part]
    if len(parts) < 2:
        return None
    app_label, model_name, *rest = parts
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        return None
    for index, part in enumerate(rest):
        needed = PAGES_NEEDING_MORE.get((app_label, model._meta.model_name, part))
        if needed is not None:
            step = rest[index + 1] if index + 1 < len(rest) else ""
            if step not in STEPS_ANY_EDITOR_MAY_TAKE:
                return needed
    return model._meta.app_label, f"view_{model._meta.model_name}"


def access_needed(path: str) -> AccessNeeded | None:
    """The roles that open the admin page at ``path``; None if the address names no model."""
    permission = permission_for_admin_path(path)
    if permission is None:
        return None
    app_label, codename = permission
    roles = (
        Group.objects.filter(
            permissions__content_type__app_label=app_label, permissions__codename=codename
        )
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    return AccessNeeded(roles=list(roles))


def administrators():
    """The active superusers: whom to ask for a role."""
    return get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("username")


def admin_permission_denied(request) -> HttpResponse:
    """The admin's 403 for a logged-in staff member, with the admin's header, navigation
    and breadcrumbs."""
    context = {
        **admin.site.each_context(request),
        "title": _("You do not have access to this page"),
        "access": access_needed(request.path),
        "administrators": administrators(),
    }
    return render(request, "admin/403.html", context, status=403)
