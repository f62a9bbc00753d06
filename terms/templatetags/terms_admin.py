"""The glossary's part of the admin's index page: how many entries are due for review or
overdue, linking to the term list filtered the same way (beside advisory's alert)."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone

from ..admin import ReviewDueFilter
from ..models import REVIEW_DUE_DAYS, Term

register = template.Library()


@register.inclusion_tag("admin/terms/review_alert.html", takes_context=True)
def review_alert(context) -> dict:
    """Shown to those who may read terms (Editors, Publishers, superusers)."""
    request = context.get("request")
    if request is None or not request.user.has_perm("terms.view_term"):
        return {"shown": False}
    today = timezone.localdate()
    changelist = reverse("admin:terms_term_changelist")

    def filtered(value: str) -> str:
        return f"{changelist}?{urlencode({ReviewDueFilter.parameter_name: value})}"

    return {
        "shown": True,
        "days": REVIEW_DUE_DAYS,
        "due": Term.objects.due_for_review(today).count(),
        "overdue": Term.objects.overdue_for_review(today).count(),
        "due_url": filtered(ReviewDueFilter.DUE),
        "overdue_url": filtered(ReviewDueFilter.OVERDUE),
    }
