"""A secret shown once in the admin (a new API key, a webhook endpoint's signing secret).

The request that makes the secret keeps it in the session and redirects; the page it
redirects to takes it out of the session and shows it, `no-store`. Reloading that page
shows that it was shown already, and never posts the form again (reloading the answer to
the POST itself would have made a second key or endpoint).
"""

import secrets

from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

SESSION_KEY = "shown_once"


class ShownOnceAdminMixin:
    """For a ModelAdmin: ``show_once(request, obj, secret, title)`` answers with a redirect
    to a page rendering ``shown_once_template`` with ``secret`` (None once shown)."""

    shown_once_template: str

    def _url_name(self, page: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{page}"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/shown-once/<str:token>/",
                self.admin_site.admin_view(self.shown_once_view),
                name=self._url_name("shown_once"),
            ),
            *super().get_urls(),
        ]

    def show_once(self, request, obj, secret: str, title: str) -> HttpResponseRedirect:
        token = secrets.token_urlsafe(16)
        kept = request.session.get(SESSION_KEY, {})
        kept[token] = {"secret": secret, "title": str(title), "object_id": str(obj.pk)}
        request.session[SESSION_KEY] = kept
        url = reverse(f"admin:{self._url_name('shown_once')}", args=[obj.pk, token])
        return HttpResponseRedirect(url)

    def shown_once_view(self, request, object_id, token):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        kept = request.session.get(SESSION_KEY, {})
        shown = kept.pop(token, None)
        if shown is not None:
            request.session[SESSION_KEY] = kept
        if shown is not None and shown["object_id"] != str(obj.pk):
            shown = None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": obj,
            "title": shown["title"] if shown else obj,
            "secret": shown["secret"] if shown else None,
            "change_url": reverse(f"admin:{self._url_name('change')}", args=[obj.pk]),
        }
        response = TemplateResponse(request, self.shown_once_template, context)
        response["Cache-Control"] = "no-store"
        return response
