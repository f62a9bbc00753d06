"""The glossary's parts of admin pages: the review panel, the completeness panel and the
writing warnings of a term's change form, and the editors' dashboard on the index (for
everyone who reads terms)."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import template
from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import dashboard
from ..admin import AwaitingReviewFilter, MissingContentFilter, MyDraftsFilter, ReviewDueFilter
from ..completeness import ANYTHING_MISSING, PARTS, completeness_of
from ..forms import ReviewApproveForm, ReviewRequestChangesForm, ReviewSubmitForm
from ..models import REVIEW_DUE_DAYS, ReviewNote, Term
from ..review import review_target
from ..services import may_publish
from ..writing_checks import entry_text, writing_warnings

register = template.Library()


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


@register.inclusion_tag("admin/terms/term/checks_panel.html", takes_context=True)
def term_checks_panel(context) -> dict:
    """At the top of a saved term's change form: which of its seven parts are there, what
    to do about each missing one, and the writing warnings (advice; saving is allowed)."""
    term = context.get("original")
    if term is None or term.pk is None:
        return {"shown": False}
    return {
        "shown": True,
        "completeness": completeness_of(term),
        "warnings": writing_warnings(entry_text(term)),
    }


@dataclass
class Panel:
    key: str
    title: str
    count: int
    url: str
    notes: list[tuple[str, str]] = field(default_factory=list)  # (text, url)


@register.inclusion_tag("admin/terms/dashboard.html", takes_context=True)
def editors_dashboard(context) -> dict:
    """The editors' desk: a count per panel linking to the term list filtered to exactly
    those entries (terms/dashboard.py), and the entries changed last. A handful of queries,
    none per term."""
    request = context.get("request")
    if request is None or not request.user.has_perm("terms.view_term"):
        return {"shown": False}
    term_admin = admin.site.get_model_admin(Term)
    entries = term_admin.get_queryset(request)
    changelist = reverse("admin:terms_term_changelist")

    def filtered(**query) -> str:
        return f"{changelist}?{urlencode(query)}"

    today = timezone.localdate()
    missing = entries.aggregate(
        anything=Count("pk", filter=ANYTHING_MISSING),
        **{part.key: Count("pk", filter=part.missing) for part in PARTS},
    )
    missing_param = MissingContentFilter.parameter_name
    missing_panel = Panel(
        "missing",
        _("Missing parts"),
        missing["anything"],
        filtered(**{missing_param: MissingContentFilter.ANYTHING}),
    )
    if missing["anything"]:
        commonest = max(PARTS, key=lambda part: missing[part.key])
        missing_panel.notes.append(
            (
                _("Most often: %(part)s (%(count)d)")
                % {"part": commonest.label, "count": missing[commonest.key]},
                filtered(**{missing_param: commonest.key}),
            )
        )
    review = ReviewDueFilter.parameter_name
    panels = [
        Panel(
            "mine",
            _("My drafts"),
            dashboard.drafts_of(entries, request.user).count(),
            filtered(**{MyDraftsFilter.parameter_name: MyDraftsFilter.DRAFTS}),
        ),
        Panel(
            "review",
            _("Awaiting review"),
            entries.awaiting_review().count(),
            filtered(**{AwaitingReviewFilter.parameter_name: AwaitingReviewFilter.AWAITING}),
        ),
        Panel(
            "development",
            _("In development"),
            dashboard.in_development(entries).count(),
            filtered(in_development__exact=1),
        ),
        missing_panel,
        Panel(
            "due",
            _("Due for review in the next %(days)d days") % {"days": REVIEW_DUE_DAYS},
            entries.due_for_review(today).count(),
            filtered(**{review: ReviewDueFilter.DUE}),
        ),
        Panel(
            "overdue",
            _("Overdue for review"),
            entries.overdue_for_review(today).count(),
            filtered(**{review: ReviewDueFilter.OVERDUE}),
        ),
    ]
    return {
        "shown": True,
        "panels": panels,
        "recent": [
            {"term": term, "url": reverse("admin:terms_term_change", args=[term.pk])}
            for term in dashboard.recently_changed(entries)
        ],
        "recent_url": filtered(o=f"-{_column_number(term_admin, request, 'last_changed')}"),
        "searches_url": (
            reverse("admin:terms_searchcount_changelist")
            if request.user.has_perm("terms.view_searchcount")
            else None
        ),
    }


def _column_number(model_admin, request, column: str) -> int:
    """The number of a term list column in its ``o`` (ordering) parameter, which counts
    the action checkbox column when the list has actions."""
    columns = list(model_admin.get_list_display(request))
    if model_admin.get_actions(request):
        columns.insert(0, "action_checkbox")
    return columns.index(column)
