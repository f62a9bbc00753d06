import csv
import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from glossary_project.admin import ReadOnlyAdminMixin
from glossary_project.spreadsheets import csv_cell
from terms.roles import ADVISORY_TEAM

from . import selectors, services
from .models import Inquiry, LeadRouting, LeadRoutingChange, OutgoingEmail

VISITOR_FIELDS = [
    "name",
    "email",
    "company",
    "job_title",
    "country",
    "phone",
    "message",
    "term_link",
    "source_url",
]
CSV_COLUMNS = [
    ("reference", _("Reference")),
    ("created_at", _("Received")),
    ("status", _("Status")),
    ("name", _("Name")),
    ("email", _("Email")),
    ("company", _("Company")),
    ("job_title", _("Job title")),
    ("country", _("Country")),
    ("phone", _("Phone")),
    ("term_title", _("Term")),
    ("source_url", _("Sent from")),
    ("message", _("Message")),
    ("assigned_to", _("Assigned to")),
    ("internal_notes", _("Internal notes")),
]


def assignees(*, current=None):
    """Who can be given an inquiry: active Advisory team members and superusers."""
    who = Q(groups__name=ADVISORY_TEAM) | Q(is_superuser=True)
    who = Q(who, is_active=True)
    if current is not None:
        who |= Q(pk=current)
    return get_user_model().objects.filter(who).distinct().order_by("username")


class TeamToldFilter(admin.SimpleListFilter):
    """The alert: inquiries whose team email has not gone out in good time."""

    title = _("team email")
    parameter_name = "team_told"
    LATE = "late"

    def lookups(self, request, model_admin):
        minutes = settings.ADVISORY_NOTIFY_ALERT_MINUTES
        return [(self.LATE, team_not_told_label(minutes))]

    def queryset(self, request, queryset):
        if self.value() == self.LATE:
            return queryset.team_not_told()
        return queryset


def team_not_told_label(minutes: int) -> str:
    return ngettext(
        "Team not told after %(minutes)d minute",
        "Team not told after %(minutes)d minutes",
        minutes,
    ) % {"minutes": minutes}


def when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


class LeadsPeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", _("The end date must be on or after the start date."))
        return cleaned


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    list_display = [
        "received",
        "name",
        "company",
        "term_display",
        "status",
        "assigned_to",
        "notification",
    ]
    list_display_links = ["received", "name"]
    list_filter = [
        "status",
        ("term__category", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
        ("assigned_to", admin.RelatedOnlyFieldListFilter),
        "notification",
        TeamToldFilter,
    ]
    list_select_related = ["term", "assigned_to"]
    search_fields = ["name", "email", "company", "message", "term_title"]
    search_help_text = _(
        "Search names, emails, companies, messages and terms, or paste a reference."
    )
    date_hierarchy = "created_at"
    actions = ["mark_contacted", "mark_spam", "assign_to_me", "export_csv", "resend_notifications"]
    change_list_template = "admin/advisory/inquiry/change_list.html"
    fieldsets = [
        (_("The team's work"), {"fields": ["status", "assigned_to", "internal_notes"]}),
        (_("What the visitor sent"), {"fields": VISITOR_FIELDS}),
        (
            _("Consent and origin"),
            {
                "fields": [
                    "reference",
                    "created_at",
                    "consent_given_at",
                    "consent_text",
                    "network_prefix",
                    "spam_reasons",
                ]
            },
        ),
        (
            _("Notifications"),
            {"fields": ["notification", "emails_table"]},
        ),
    ]
    readonly_fields = [
        *VISITOR_FIELDS,
        "reference",
        "created_at",
        "consent_given_at",
        "consent_text",
        "network_prefix",
        "spam_reasons",
        "notification",
        "emails_table",
    ]

    def has_add_permission(self, request):
        return False  # inquiries come from visitors

    def has_export_permission(self, request):
        return request.user.has_perm("advisory.export_inquiry")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            kwargs["queryset"] = assignees()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        field = form.base_fields.get("assigned_to")
        if field is not None and obj is not None and obj.assigned_to_id:
            # Someone who has left the team stays selectable on their own inquiries: with
            # nothing selected, saving the notes would quietly unassign the inquiry.
            field.queryset = assignees(current=obj.assigned_to_id)
        return form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "status" in form.changed_data and obj.status == Inquiry.Status.SPAM:
            # As the "mark spam" action does: its emails that have not gone are cancelled.
            services.inquiries_set_status(Inquiry.objects.filter(pk=obj.pk), obj.status)

    def get_search_results(self, request, queryset, search_term):
        try:
            reference = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(reference=reference), False

    @admin.display(description=_("received"), ordering="-created_at")
    def received(self, inquiry):
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            inquiry.created_at.isoformat(),
            inquiry.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            _("%(age)s ago") % {"age": timesince(inquiry.created_at)},
        )

    @admin.display(description=_("term"), ordering="term_title")
    def term_display(self, inquiry):
        return inquiry.term_title or "—"

    @admin.display(description=_("emails"))
    def emails_table(self, inquiry):
        """Each email the inquiry sends and what became of it, read-only."""
        order = OutgoingEmail.Kind.values  # as they are sent: the team's first
        emails = sorted(inquiry.emails.all(), key=lambda email: order.index(email.kind))
        if not emails:
            return _("None (received before emails were recorded one by one).")
        header = format_html_join(
            "",
            "<th>{}</th>",
            (
                (label,)
                for label in (
                    _("email"),
                    _("status"),
                    _("attempts"),
                    _("last attempt"),
                    _("next attempt"),
                    _("sent at"),
                    _("last error"),
                )
            ),
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    email.get_kind_display(),
                    email.get_status_display(),
                    email.attempts,
                    when(email.last_attempt_at),
                    when(email.next_attempt_at),
                    when(email.sent_at),
                    email.error or "—",
                )
                for email in emails
            ),
        )
        return format_html(
            '<table id="inquiry-emails"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
            header,
            rows,
        )

    @admin.display(description=_("term"))
    def term_link(self, inquiry):
        if inquiry.term_id:
            return format_html(
                '<a href="{}">{}</a>', inquiry.term.get_absolute_url(), inquiry.term_title
            )
        if inquiry.term_title:
            return _("%(title)s (no longer in the glossary)") % {"title": inquiry.term_title}
        return "—"

    @admin.action(description=_("Mark selected as contacted"), permissions=["change"])
    def mark_contacted(self, request, queryset):
        changed = services.inquiries_set_status(queryset, Inquiry.Status.CONTACTED)
        self.message_user(
            request,
            ngettext(
                "Marked %d inquiry as contacted.", "Marked %d inquiries as contacted.", changed
            )
            % changed,
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark selected as spam"), permissions=["change"])
    def mark_spam(self, request, queryset):
        changed = services.inquiries_set_status(queryset, Inquiry.Status.SPAM)
        self.message_user(
            request,
            ngettext("Marked %d inquiry as spam.", "Marked %d inquiries as spam.", changed)
            % changed,
            messages.SUCCESS,
        )

    @admin.action(description=_("Assign selected to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        changed = services.inquiries_assign(queryset, request.user)
        self.message_user(
            request,
            ngettext("Assigned %d inquiry to you.", "Assigned %d inquiries to you.", changed)
            % changed,
            messages.SUCCESS,
        )

    @admin.action(description=_("Export selected to CSV"), permissions=["export"])
    def export_csv(self, request, queryset):
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="inquiries-{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        response.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
        writer = csv.writer(response)
        writer.writerow([str(label) for _name, label in CSV_COLUMNS])
        for inquiry in queryset.select_related("assigned_to").order_by("created_at", "id"):
            row = []
            for name, _label in CSV_COLUMNS:
                value = getattr(inquiry, name)
                if name == "assigned_to":
                    value = value.get_username() if value else ""
                elif name == "created_at":
                    value = value.isoformat()
                row.append(csv_cell(value))
            writer.writerow(row)
        return response

    @admin.action(
        description=_("Resend unsent notifications (failed ones too)"), permissions=["change"]
    )
    def resend_notifications(self, request, queryset):
        queued = services.notifications_resend(queryset)
        self.message_user(
            request,
            ngettext(
                "Queued notifications for %d inquiry.",
                "Queued notifications for %d inquiries.",
                queued,
            )
            % queued
            if queued
            else _("None of the selected inquiries has a notification waiting."),
            messages.SUCCESS if queued else messages.WARNING,
        )

    def get_urls(self):
        leads = self.admin_site.admin_view(self.leads_view)
        return [path("leads/", leads, name="advisory_inquiry_leads"), *super().get_urls()]

    def leads_view(self, request):
        """Which glossary content brings inquiries: counts per term and per category."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        form = LeadsPeriodForm(request.GET or {"start": today - timedelta(days=89), "end": today})
        report = selectors.leads_by_content(**form.cleaned_data) if form.is_valid() else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Leads by glossary content"),
            "form": form,
            "report": report,
        }
        return TemplateResponse(request, "admin/advisory/inquiry/leads.html", context)


@admin.register(LeadRouting)
class LeadRoutingAdmin(admin.ModelAdmin):
    """Who is told of new inquiries: the Advisory team's and superusers' (their
    permission, given by a data migration), never the Editors'. Saving goes through
    services.lead_routing_change, which records the change and emails it."""

    fields = ["inquiry_recipients", "send_inquiry_acknowledgement", "recent_changes"]
    readonly_fields = ["recent_changes"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        routing = LeadRouting.load()
        return HttpResponseRedirect(reverse("admin:advisory_leadrouting_change", args=[routing.pk]))

    def save_model(self, request, obj, form, change):
        services.lead_routing_change(
            changed_by=request.user,
            **{field: getattr(obj, field) for field in LeadRouting.FIELDS},
        )

    @admin.display(description=_("recent changes"))
    def recent_changes(self, routing):
        changes = LeadRoutingChange.objects.all()[:5]
        if not changes:
            return _("No changes recorded yet.")
        rows = format_html_join(
            "",
            "<li>{}: {} by {}</li>",
            (
                (when(change.changed_at), change.get_field_display(), change.changed_by_name)
                for change in changes
            ),
        )
        return format_html(
            '<ul>{}</ul><a href="{}">{}</a>',
            rows,
            reverse("admin:advisory_leadroutingchange_changelist"),
            _("Every change"),
        )


@admin.register(LeadRoutingChange)
class LeadRoutingChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The record of changes to the lead routing, read-only for everyone."""

    list_display = ["changed_at", "changed_by_name", "field", "before", "after", "notice"]
    list_filter = ["field", "notice", ("changed_at", admin.DateFieldListFilter)]
    search_fields = ["changed_by_name", "old_value", "new_value"]
    date_hierarchy = "changed_at"
    fields = [
        "changed_at",
        "changed_by_name",
        "field",
        "old_value",
        "new_value",
        "notice",
        "notice_to",
        "notice_attempts",
        "notice_sent_at",
        "notice_error",
    ]
    readonly_fields = fields

    @admin.display(description=_("before"))
    def before(self, change):
        return change.old_value.replace("\n", ", ") or "—"

    @admin.display(description=_("after"))
    def after(self, change):
        return change.new_value.replace("\n", ", ") or "—"
