"""Admin logins throttled by django-axes: the hooks its settings name (settings.AXES_*).

Axes counts failed logins per account and per client address and, past
AXES_FAILURE_LIMIT, refuses that account or address for AXES_COOLOFF_TIME, the right
password included. It reads where the client is as the rest of the site does
(settings.AXES_CLIENT_IP_CALLABLE names advisory.views.client_address); these functions
tell it what to write in the logs (no user name, address or user agent) and what a
locked-out person sees (the login page, saying why and for how long).
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _


def client_description(username, ip_address, user_agent, path_info, request) -> str:
    """How Axes names a client in its log lines: keyed hashes that tell repeated attempts
    apart. Axes' own masks the user name and the address but writes the browser's user
    agent; the logs hold none of the three (README "Logs")."""
    return f"login attempt (account {_pseudonym(username)}, address {_pseudonym(ip_address)})"


def _pseudonym(value) -> str:
    if not value:
        return "-"
    return salted_hmac("glossary.logins", str(value)).hexdigest()[:12]


def locked_out(request, original_response=None, credentials=None):
    """The admin login page, saying the login is refused and for how long (429)."""
    now = timezone.now()
    context = {
        **admin.site.each_context(request),
        "title": _("Log in"),
        "subtitle": None,
        "app_path": request.get_full_path(),
        "form": AdminAuthenticationForm(request),
        REDIRECT_FIELD_NAME: request.POST.get(REDIRECT_FIELD_NAME) or reverse("admin:index"),
        "cooloff": timeuntil(now + settings.AXES_COOLOFF_TIME, now),
    }
    return render(request, "admin/login_locked_out.html", context, status=429)
