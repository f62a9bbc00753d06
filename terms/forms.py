"""The term form in the admin: what it tells editors beyond what the model validates."""

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import selectors
from .models import Term


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


class TermAdminForm(forms.ModelForm):
    """Warns, next to the slug, when it is another term's old address (not a refusal:
    taking it is allowed, see Term.remember_former_slug)."""

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
        if not self.is_bound and self.instance.pk:
            self.warn_about_slug(self.instance.slug, published=self.instance.is_published)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("slug"):
            published = cleaned.get("status", self.instance.status) == Term.Status.PUBLISHED
            self.warn_about_slug(cleaned["slug"], published=published)
        return cleaned

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
