"""Webhook endpoints and their deliveries in the admin.

Privacy: inquiry.created carries visitors' personal data, so only people who may read
inquiries (advisory.view_inquiry: the Advisory team, superusers) may subscribe an
endpoint to it, change or delete such an endpoint (its URL decides where the data goes),
or see deliveries of such events.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from glossary_project.shown_once import ShownOnceAdminMixin

from . import services
from .models import (
    PERSONAL,
    PERSONAL_DATA_PERMISSION,
    SUBSCRIBABLE,
    Delivery,
    DeliveryAttempt,
    Endpoint,
)


def sees_personal_data(user) -> bool:
    return user.has_perm(PERSONAL_DATA_PERMISSION)


class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(choice.value, choice.label) for choice in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events", "active"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not sees_personal_data(user):
            field = self.fields["events"]
            field.choices = [c for c in field.choices if c[0] not in PERSONAL]
            field.help_text = _("inquiry.created is for the Advisory team only.")

    def clean_events(self):
        events = self.cleaned_data["events"]
        if PERSONAL & set(events) and not sees_personal_data(self.user):
            raise forms.ValidationError(
                _("Only the Advisory team may subscribe an endpoint to inquiry.created.")
            )
        return events


@admin.register(Endpoint)
class EndpointAdmin(ShownOnceAdminMixin, admin.ModelAdmin):
    form = EndpointForm
    list_display = ["url", "description", "event_list", "active", "failing_since", "deliveries"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "secret_hint",
        "created_by",
        "created_at",
        "failing_since",
        "disabled_at",
        "disabled_reason",
    ]
    actions = ["send_test_event", "enable", "rotate_secret"]
    shown_once_template = "admin/webhooks/endpoint/secret.html"

    def get_fieldsets(self, request, obj=None):
        main = (None, {"fields": ["url", "description", "events", "active"]})
        if obj is None:
            return [main]
        return [
            main,
            (
                _("State"),
                {"fields": ["secret_hint", "failing_since", "disabled_at", "disabled_reason"]},
            ),
            (
                _("Metadata"),
                {"fields": ["created_by", "created_at"], "classes": ["collapse"]},
            ),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithUser(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, user=request.user, **inner)

        return WithUser

    @admin.display(description=_("events"))
    def event_list(self, endpoint):
        return ", ".join(endpoint.events) or "—"

    @admin.display(description=_("secret"))
    def secret_hint(self, endpoint):
        return format_html(
            "{} <span class='help'>{}</span>",
            endpoint.secret_hint(),
            _("Shown in full once, when made or rotated (action “Rotate secret”)."),
        )

    @admin.display(description=_("deliveries"))
    def deliveries(self, endpoint):
        url = reverse("admin:webhooks_delivery_changelist") + f"?endpoint__id__exact={endpoint.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Deliveries"))

    def _may_change(self, request, obj) -> bool:
        return obj is None or not obj.carries_personal_data or sees_personal_data(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_change(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_change(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return self.show_once(request, obj, obj.secret, _("Endpoint added"))

    def _changeable(self, request, queryset):
        allowed = [e for e in queryset if self.has_change_permission(request, e)]
        if len(allowed) != len(queryset):
            raise PermissionDenied
        return allowed

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test_event(self, request, queryset):
        endpoints = self._changeable(request, queryset)
        for endpoint in endpoints:
            services.endpoint_send_test(endpoint)
        self.message_user(
            request,
            ngettext(
                "A webhook.test event is on its way to %d endpoint; see its deliveries.",
                "A webhook.test event is on its way to %d endpoints; see their deliveries.",
                len(endpoints),
            )
            % len(endpoints),
            messages.SUCCESS,
        )

    @admin.action(description=_("Re-enable"), permissions=["change"])
    def enable(self, request, queryset):
        endpoints = self._changeable(request, queryset)
        for endpoint in endpoints:
            services.endpoint_enable(endpoint)
        self.message_user(
            request,
            ngettext(
                "%d endpoint enabled; redeliver what it missed from its deliveries.",
                "%d endpoints enabled; redeliver what they missed from their deliveries.",
                len(endpoints),
            )
            % len(endpoints),
            messages.SUCCESS,
        )

    @admin.action(description=_("Rotate secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Rotate one endpoint's secret at a time."), messages.ERROR)
            return None
        [endpoint] = self._changeable(request, queryset)
        secret = services.endpoint_rotate_secret(endpoint)
        return self.show_once(request, endpoint, secret, _("New secret"))


class StatusFilter(admin.SimpleListFilter):
    """Default: what needs a look (failed, retrying) first is one click away."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Delivery.Status.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["number", "started_at", "response_status", "duration_ms", "error", "response_body"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event_type",
        "event_id",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "duration_ms",
        "last_attempt_at",
    ]
    list_filter = [StatusFilter, "event__type", "endpoint"]
    list_select_related = ["event", "endpoint"]
    search_fields = ["event__id", "endpoint__url"]
    fields = [
        "event_id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "queued_at",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "response_status",
        "duration_ms",
        "error",
        "response_body",
        "payload",
    ]
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["redeliver"]

    def get_queryset(self, request):
        deliveries = super().get_queryset(request)
        if not sees_personal_data(request.user):
            deliveries = deliveries.exclude(event__type__in=PERSONAL)
        return deliveries

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("event"), ordering="event__type")
    def event_type(self, delivery):
        return delivery.event.type

    @admin.display(description=_("webhook-id"))
    def event_id(self, delivery):
        return delivery.event_id

    @admin.display(description=_("payload"))
    def payload(self, delivery):
        return format_html(
            "<pre>{}</pre>", json.dumps(delivery.event.payload, indent=2, ensure_ascii=False)
        )

    @admin.action(description=_("Redeliver"), permissions=["change"])
    def redeliver(self, request, queryset):
        queued = services.deliveries_redeliver(queryset)
        self.message_user(
            request,
            ngettext(
                "%d delivery queued to be sent again.",
                "%d deliveries queued to be sent again.",
                queued,
            )
            % queued,
            messages.SUCCESS if queued else messages.WARNING,
        )
