"""The glossary's parts of admin pages: the review panel of a term's change form, and on
the index the count of terms awaiting review (for Publishers) and of entries due for review
or overdue (for everyone who reads terms)."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone

from ..admin import AwaitingReviewFilter, ReviewDueFilter
from ..forms import ReviewApproveForm, ReviewRequestChangesForm, ReviewSubmitForm
from ..models import REVIEW_DUE_DAYS, ReviewNote, Term
from ..review import review_target
from ..services import may_publish

register = template.Library()


@register.inclusion_tag("admin/terms/review_alert.html", takes_context=True)
def review_alert(context) -> dict:
    """How many entries await review, linking to them; only for those who may publish."""
    request = context.get("request")
    if request is None or not may_publish(request.user):
        return {"shown": False}
    query = urlencode({AwaitingReviewFilter.parameter_name: AwaitingReviewFilter.AWAITING})
    return {
        "shown": True,
        "count": Term.objects.entries().awaiting_review().count(),
        "url": f"{reverse('admin:terms_term_changelist')}?{query}",
    }


@register.inclusion_tag("admin/terms/term/review_panel.html", takes_context=True)
def term_review_panel(context) -> dict:
    """Under a term's change form: its review notes, newest first (the editor reads the
    publisher's comment here), and the review step the user may take now."""
    request, term = context.get("request"), context.get("original")
    if request is None or term is None or term.pk is None:
        return {"shown": False}
    target = review_target(term)
    status = target.status if target is not None else None
    may_change = context.get("has_change_permission", False)
    publisher = may_publish(request.user)
    return {
        "shown": True,
        "notes": ReviewNote.objects.filter(entry_id=term.entry_id).select_related("author"),
        "target": target,
        "can_submit": may_change and status in (Term.Status.DRAFT, Term.Status.ARCHIVED),
        "can_decide": may_change and publisher and status == Term.Status.REVIEW,
        "waits_for_publisher": status == Term.Status.REVIEW and not publisher,
        "submit_form": ReviewSubmitForm(),
        "approve_form": ReviewApproveForm(),
        "changes_form": ReviewRequestChangesForm(),
        "submit_url": _step_url(term, "submit"),
        "approve_url": _step_url(term, "approve"),
        "changes_url": _step_url(term, "request-changes"),
    }


def _step_url(term: Term, step: str) -> str:
    return reverse("admin:terms_term_review", args=[term.pk, step])


@register.inclusion_tag("admin/terms/review_dates_alert.html", takes_context=True)
def review_dates_alert(context) -> dict:
    """How many entries are due for review or overdue, linking to the term list filtered
    the same way; shown to those who may read terms (Editors, Publishers, superusers)."""
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
