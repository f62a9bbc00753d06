"""The admin endpoints behind the Markdown editor (static/terms/markdown-editor.js): the
live preview and the ``[[`` term suggestions. TermAdmin.get_urls routes them through
admin_view, so only active staff reach them (others go to the login page), and
admin_view's never_cache marks every answer ``Cache-Control: no-store``."""

from django.http import HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _

from . import selectors
from .term_links import render_for_editor

PREVIEW_MAX_BYTES = 100 * 1024
SUGGESTIONS_QUERY_MAX_LENGTH = 100

# Whoever can open a form that has a Markdown field (terms.widgets.MarkdownTextarea).
PREVIEW_PERMISSIONS = [
    "terms.add_term",
    "terms.change_term",
    "terms.add_category",
    "terms.change_category",
    "terms.change_sitesettings",
]


def render_preview(text: str) -> str:
    """The editor's preview of ``text``: rendered and sanitised as the site does, with its
    term links marked as readers will (not) see them."""
    return render_for_editor(text)


def markdown_preview(request):
    """POST the Markdown as the request body (UTF-8 text); answers ``{"html": ...}``."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not any(request.user.has_perm(permission) for permission in PREVIEW_PERMISSIONS):
        return _refusal(_("You may not edit anything with a preview."), status=403)
    # Checked before reading, so that a huge body is never read into memory.
    if int(request.META.get("CONTENT_LENGTH") or 0) > PREVIEW_MAX_BYTES:
        return _too_long()
    body = request.body
    if len(body) > PREVIEW_MAX_BYTES:
        return _too_long()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _refusal(_("The text is not UTF-8."), status=400)
    return JsonResponse({"html": render_preview(text)})


def link_suggestions(request):
    """GET ``?q=``: at most 10 entries whose title or alias holds q, for ``[[`` links."""
    user = request.user
    if not (user.has_perm("terms.view_term") or user.has_perm("terms.change_term")):
        return _refusal(_("You may not see the terms."), status=403)
    query = request.GET.get("q", "")[:SUGGESTIONS_QUERY_MAX_LENGTH]
    results = [
        {
            "id": suggestion.term.pk,
            "title": suggestion.term.title,
            "matched_alias": suggestion.matched_alias,
            "status": suggestion.term.status,
            "status_label": suggestion.term.get_status_display(),
            "slug": suggestion.term.slug,
        }
        for suggestion in selectors.link_suggestions(query)
    ]
    return JsonResponse({"results": results})


def _too_long():
    message = _("The text is too long to preview (at most %(size)d KB).")
    return _refusal(message % {"size": PREVIEW_MAX_BYTES // 1024}, status=400)


def _refusal(message: str, *, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)
