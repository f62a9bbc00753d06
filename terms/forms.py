"""The term form in the admin: what it tells editors beyond what the model validates."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import selectors
from .models import Term
from .review import (
    PUBLISH_NEEDS_PERMISSION,
    PUBLISHER_STATUSES,
    review_approve,
    review_request_changes,
    review_submit,
)


def former_slug_warning(slug: str, *, term_id: int | None, published: bool) -> str | None:
    """What an editor should know when ``slug`` is another term's former slug: whose old
    address it is, and what readers following it see before and after publishing."""
    owner = selectors.former_slug_owner(slug, term_id=term_id)
    if owner is None:
        return None
    params = {"slug": slug, "owner": owner.title, "address": owner.get_absolute_url()}
    if published:
        return (
            _(
                "“%(slug)s” is the old address of “%(owner)s” (now %(address)s). Readers "
                "who follow old links to it see this term instead; if this term is "
                "unpublished or deleted, the links lead to “%(owner)s” again."
            )
            % params
        )
    return (
        _(
            "“%(slug)s” is the old address of “%(owner)s” (now %(address)s), and old links "
            "to it still lead there. Once you publish this term, they show this term "
            "instead, for as long as it stays published."
        )
        % params
    )


# The statuses anyone who edits may give a term (the others are PUBLISHER_STATUSES).
EDITOR_STATUSES = (Term.Status.DRAFT, Term.Status.REVIEW)
TAKE_DOWN_NEEDS_PERMISSION = gettext_lazy(
    "Taking a published term off the site needs the publish permission."
)
SCHEDULED_AS_APPROVED = gettext_lazy(
    "This term goes live as a publisher approved it. To change it, set it back to Draft "
    "or In review (which unschedules it) and submit it again."
)


class TermAdminForm(forms.ModelForm):
    """Warns, next to the slug, when it is another term's old address (not a refusal:
    taking it is allowed, see Term.remember_former_slug). Keeps the statuses that change
    what readers see to those who may publish (``may_publish``, set by TermAdmin.get_form),
    and validates the schedule (go live at, take down at; only publishers have them)."""

    may_publish = False

    # Not a model field: the comment of the revision this save records (terms.revisions).
    revision_comment = forms.CharField(
        label=gettext_lazy("Revision comment"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Optional: what changed and why, shown in the term's history."),
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
    )

    class Meta:
        model = Term
        # The admin shows the fields of TermAdmin.fieldsets; these are the ones read here.
        fields = ["slug", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read when the save is audited (TermAdmin.record_schedule_change).
        self.instance._schedule_before = (self.instance.go_live_at, self.instance.take_down_at)
        self.stored_status = self.instance.status if self.instance.pk else None
        status = self.fields.get("status")
        if status is not None and not self.may_publish:
            allowed = [*EDITOR_STATUSES]
            if self.stored_status in PUBLISHER_STATUSES:
                allowed.append(self.stored_status)  # shown as it is, kept only if allowed
            # Offered: only these. Accepted by the field: any status, so that a crafted
            # POST is refused by clean_status with a reason, not as an unknown choice.
            status.widget.choices = [
                (value, label) for value, label in status.choices if value in allowed
            ]
        if not self.is_bound and self.instance.pk:
            self.warn_about_slug(self.instance.slug, published=self.instance.is_published)

    def clean_status(self):
        status = self.cleaned_data["status"]
        if self.may_publish:
            return status
        stored = self.stored_status
        if status != stored and status in PUBLISHER_STATUSES:
            raise ValidationError(PUBLISH_NEEDS_PERMISSION, code="publish_permission")
        if stored == Term.Status.PUBLISHED and status != stored:
            raise ValidationError(TAKE_DOWN_NEEDS_PERMISSION, code="publish_permission")
        if stored == Term.Status.SCHEDULED and status == stored:
            raise ValidationError(SCHEDULED_AS_APPROVED, code="scheduled")
        return status

    def clean(self):
        cleaned = super().clean()
        if "go_live_at" in self.fields:
            self.clean_schedule(cleaned)
        elif cleaned.get("status") not in (None, Term.Status.SCHEDULED, self.stored_status):
            self.unschedule()
        if cleaned.get("slug"):
            published = cleaned.get("status", self.instance.status) == Term.Status.PUBLISHED
            self.warn_about_slug(cleaned["slug"], published=published)
        return cleaned

    def unschedule(self) -> None:
        """An editor moved a scheduled term back to Draft or In review: it goes live no
        more (the times are not in an editor's form, so they are cleared here)."""
        if self.stored_status == Term.Status.SCHEDULED:
            self.instance.go_live_at = None
            if not self.instance.is_working_copy:
                self.instance.take_down_at = None

    def clean_schedule(self, cleaned: dict) -> None:
        """A go-live time schedules the term (status Scheduled), clearing it unschedules
        (back to Draft); a take-down time needs something published or scheduled."""
        go_live_at, take_down_at = cleaned.get("go_live_at"), cleaned.get("take_down_at")
        before_go_live, before_take_down = self.instance._schedule_before
        status = cleaned.get("status", self.stored_status)
        now = timezone.now()
        if go_live_at and go_live_at != before_go_live and go_live_at <= now:
            self.add_error("go_live_at", _("Choose a time in the future."))
        if take_down_at and take_down_at != before_take_down and take_down_at <= now:
            self.add_error("take_down_at", _("Choose a time in the future."))
        if go_live_at and take_down_at and take_down_at <= go_live_at:
            self.add_error("take_down_at", _("Choose a time after it goes live."))

        if status == Term.Status.SCHEDULED and not go_live_at:
            if before_go_live:
                status = cleaned["status"] = Term.Status.DRAFT  # cleared: unscheduled
            else:
                self.add_error("go_live_at", _("Give the time it goes live."))
        elif go_live_at:
            unchanged = go_live_at == before_go_live
            if (
                unchanged
                and self.stored_status == Term.Status.SCHEDULED
                and status in EDITOR_STATUSES
            ):
                cleaned["go_live_at"] = None  # set back by hand: unscheduled
            elif status in (Term.Status.PUBLISHED, Term.Status.ARCHIVED):
                self.add_error(
                    "go_live_at",
                    _(
                        "A go-live time schedules the term: clear it to make the term "
                        "%(status)s now."
                    )
                    % {"status": Term.Status(status).label},
                )
            else:
                status = cleaned["status"] = Term.Status.SCHEDULED

        entry = self.instance.draft_of if self.instance.is_working_copy else None
        live_entry = entry is not None and entry.status == Term.Status.PUBLISHED
        if (
            take_down_at
            and not live_entry
            and status not in (Term.Status.PUBLISHED, Term.Status.SCHEDULED)
        ):
            self.add_error(
                "take_down_at", _("Only a published or scheduled term can be taken down.")
            )

    def warn_about_slug(self, slug: str, *, published: bool) -> None:
        field = self.fields.get("slug")
        # A working copy's former slugs are its entry's.
        warning = former_slug_warning(slug, term_id=self.instance.entry_id, published=published)
        if field is None or warning is None:
            return
        field.help_text = format_html(
            '{}<br><strong class="former-slug-warning">{}</strong>',
            Term._meta.get_field("slug").help_text,
            warning,
        )
        # A bound field keeps the help text it was made with (validation makes it).
        self["slug"].help_text = field.help_text


# Review steps, posted from a term's change form (TermAdmin.review_view) -----------------


class ReviewStepForm(forms.Form):
    title = ""

    def run(self, *, term: Term, user) -> None:
        raise NotImplementedError

    def done_message(self, term: Term) -> str:
        raise NotImplementedError

    def add_validation_error(self, error: ValidationError) -> None:
        """A service's refusal, next to the field it names (else above the form)."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)

    @staticmethod
    def shown_after(term: Term) -> Term:
        """The term whose form to go back to (an approved working copy is gone: its entry)."""
        if term.is_working_copy and not Term.objects.filter(pk=term.pk).exists():
            return term.draft_of
        return term


class ReviewSubmitForm(ReviewStepForm):
    title = gettext_lazy("Submit for review")
    message = forms.CharField(
        label=gettext_lazy("Message to the Publishers"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def run(self, *, term, user):
        review_submit(term=term, user=user, message=self.cleaned_data["message"])

    def done_message(self, term):
        return _("“%(title)s” was submitted for review; the Publishers are told.") % {
            "title": term.title
        }


class ReviewApproveForm(ReviewStepForm):
    title = gettext_lazy("Approve")
    go_live_at = forms.DateTimeField(
        label=gettext_lazy("Go live at"),
        required=False,
        help_text=gettext_lazy("Leave empty to publish now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    message = forms.CharField(
        label=gettext_lazy("Message to the editor"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def run(self, *, term, user):
        review_approve(
            term=term,
            user=user,
            go_live_at=self.cleaned_data["go_live_at"],
            message=self.cleaned_data["message"],
        )

    def done_message(self, term):
        if self.cleaned_data["go_live_at"]:
            return _("“%(title)s” was approved and goes live at %(when)s.") % {
                "title": term.title,
                "when": timezone.localtime(self.cleaned_data["go_live_at"]).strftime(
                    "%Y-%m-%d %H:%M"
                ),
            }
        return _("“%(title)s” was approved and is live.") % {"title": term.title}


class ReviewRequestChangesForm(ReviewStepForm):
    title = gettext_lazy("Request changes")
    comment = forms.CharField(
        label=gettext_lazy("What should change"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def run(self, *, term, user):
        review_request_changes(term=term, user=user, comment=self.cleaned_data["comment"])

    def done_message(self, term):
        return _("Changes were requested; “%(title)s” is a draft again.") % {"title": term.title}


REVIEW_STEP_FORMS = {
    "submit": ReviewSubmitForm,
    "approve": ReviewApproveForm,
    "request-changes": ReviewRequestChangesForm,
}


class SearchReportForm(forms.Form):
    """The period of the editors' "Searches" report: the last 7, 30 or 90 days, or the
    days from one date to another (both included)."""

    DATES = "dates"
    DEFAULT = "30"

    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=[
            ("7", gettext_lazy("Last 7 days")),
            ("30", gettext_lazy("Last 30 days")),
            ("90", gettext_lazy("Last 90 days")),
            (DATES, gettext_lazy("From … to …")),
        ],
        required=False,
    )
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        period = cleaned.get("period") or self.DEFAULT
        if period != self.DATES:
            cleaned["first_day"] = today - timedelta(days=int(period) - 1)
            cleaned["last_day"] = today
            return cleaned
        since, until = cleaned.get("since"), cleaned.get("until")
        if since is None and "since" not in self.errors:
            self.add_error("since", _("Choose the first day of the period."))
        if until is None and "until" not in self.errors:
            until = cleaned["until"] = today
        if since and until and since > until:
            self.add_error("until", _("The last day must not be before the first."))
        cleaned["first_day"], cleaned["last_day"] = since, until
        return cleaned
