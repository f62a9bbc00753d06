"""Form widgets of the admin."""

from django import forms
from django.urls import reverse


class MarkdownTextarea(forms.Textarea):
    """A Markdown field's textarea, which static/terms/markdown-editor.js gives a toolbar,
    a live preview rendered by the server and ``[[`` term autocomplete.

    The textarea stays the form field: without JavaScript it is a plain textarea, and the
    admin's "add another" copies it like any other. ``preview_below`` keeps the preview
    under the textarea even on wide screens (the small answer boxes of the FAQ inlines).
    """

    class Media:
        css = {"all": ["terms/markdown-editor.css"]}
        js = ["terms/markdown-editor.js"]

    def __init__(self, attrs=None, *, preview_below: bool = False):
        super().__init__(attrs)
        self.preview_below = preview_below

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # Looked up when rendered: the admin's URLs are not loaded when admin.py is.
        context["widget"]["attrs"] |= {
            "data-markdown-editor": "",
            "data-preview-url": reverse("admin:terms_markdown_preview"),
            "data-suggestions-url": reverse("admin:terms_link_suggestions"),
            "data-preview-placement": "below" if self.preview_below else "beside",
        }
        return context
