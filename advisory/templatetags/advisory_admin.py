"""The advisory part of the admin's index page: the alert for untold inquiries."""

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse

from ..admin import TeamToldFilter, team_not_told_label
from ..models import Inquiry

register = template.Library()


@register.inclusion_tag("admin/advisory/team_alert.html", takes_context=True)
def team_alert(context) -> dict:
    """How many inquiries the team was not told about in time, linking to them; only for
    those who may read inquiries (the Advisory team, superusers), never Editors."""
    request = context.get("request")
    if request is None or not request.user.has_perm("advisory.view_inquiry"):
        return {"shown": False}
    query = urlencode({TeamToldFilter.parameter_name: TeamToldFilter.LATE})
    return {
        "shown": True,
        "count": Inquiry.objects.team_not_told().count(),
        "label": team_not_told_label(settings.ADVISORY_NOTIFY_ALERT_MINUTES),
        "url": f"{reverse('admin:advisory_inquiry_changelist')}?{query}",
    }
