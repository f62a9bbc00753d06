from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from glossary_project.admin import ReadOnlyAdminMixin
from glossary_project.shown_once import ShownOnceAdminMixin

from . import services
from .forms import ApiKeyCreateForm
from .models import ApiKey, ApiKeyUse

RECENT_USES = 10


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return ApiKey.State.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == ApiKey.State.ACTIVE:
            return queryset.usable(now)
        if self.value() == ApiKey.State.EXPIRED:
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == ApiKey.State.REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(ShownOnceAdminMixin, admin.ModelAdmin):
    """Keys are made here (the whole key shown once, on the page after saving), read,
    renamed and revoked; a key's scopes and expiry are fixed at creation (make a new key
    for other rights, then revoke the old one)."""

    list_display = [
        "name",
        "key",
        "scope_list",
        "created_by",
        "expires_at",
        "last_used_at",
        "state",
    ]
    list_filter = [StateFilter]
    list_select_related = ["created_by"]
    search_fields = ["name", "prefix", "description"]
    actions = ["revoke"]
    readonly_fields = [
        "key",
        "scope_list",
        "expires_at",
        "state",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
        "recent_uses",
    ]
    fieldsets = [
        (None, {"fields": ["name", "description", "key", "scope_list", "expires_at", "state"]}),
        (_("Use"), {"fields": ["created_by", "created_at", "last_used_at", "recent_uses"]}),
        (_("Revocation"), {"fields": ["revoked_at", "revoked_by"]}),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            form = ApiKeyCreateForm

            class Bound(form):
                def __init__(self, *args, **inner):
                    super().__init__(*args, user=request.user, **inner)

            kwargs["form"] = Bound
            kwargs["fields"] = ApiKeyCreateForm.Meta.fields
        return super().get_form(request, obj, change=change, **kwargs)

    shown_once_template = "admin/apikeys/apikey/created.html"

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ApiKeyCreateForm.Meta.fields})]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.created_by = request.user
        obj.scopes = form.cleaned_data["scopes"]
        request.api_key_text = services.api_key_issue(key=obj)

    def response_add(self, request, obj, post_url_continue=None):
        """The page showing the whole key, this once; it is never stored or shown again."""
        return self.show_once(request, obj, request.api_key_text, _("Copy the new API key now"))

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked = 0
        for key in queryset:
            if services.api_key_revoke(key=key, by=request.user):
                self.log_change(request, key, [{"changed": {"fields": ["revoked"]}}])
                revoked += 1
        self.message_user(
            request,
            ngettext("%d key revoked.", "%d keys revoked.", revoked) % revoked,
            messages.SUCCESS,
        )

    @admin.display(description=_("key"), ordering="prefix")
    def key(self, obj: ApiKey) -> str:
        return obj.display_key

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scope_list) or "—"

    @admin.display(description=_("state"))
    def state(self, obj: ApiKey) -> str:
        return ApiKey.State(obj.state()).label

    @admin.display(description=_("recent uses"))
    def recent_uses(self, obj: ApiKey):
        uses = list(obj.uses.all()[:RECENT_USES])
        everything = (
            reverse("admin:apikeys_apikeyuse_changelist")
            + "?"
            + urlencode({"key__id__exact": obj.pk})
        )
        if not uses:
            return _("Not used yet.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((use.at, use.method, use.path, use.status_code) for use in uses),
        )
        return format_html(
            '<table><tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            rows,
            everything,
            _("All uses of this key"),
        )


@admin.register(ApiKeyUse)
class ApiKeyUseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit: every request made with a key, kept API_KEY_USE_RETENTION_DAYS days."""

    list_display = ["at", "key", "method", "path", "status_code", "network"]
    list_filter = ["key", "status_code", "method"]
    list_select_related = ["key"]
    search_fields = ["path", "key__name", "key__prefix"]
    date_hierarchy = "at"
