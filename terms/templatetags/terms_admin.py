"""The glossary's parts of admin pages: the review panel of a term's change form, and the
count of terms awaiting review on the index (for Publishers)."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from ..admin import AwaitingReviewFilter
from ..forms import ReviewApproveForm, ReviewRequestChangesForm, ReviewSubmitForm
from ..models import ReviewNote, Term
from ..review import review_target
from ..services import may_publish

register = template.Library()


@register.inclusion_tag("admin/terms/review_alert.html", takes_context=True)
def review_alert(context) -> dict:
    """How many entries await review, linking to them; only for those who may publish."""
    request = context.get("request")
    if request is None or not request.user.has_perm("terms.publish_term"):
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
