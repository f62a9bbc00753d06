import csv
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters, InlineModelAdmin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.forms import BaseInlineFormSet, Media, NumberInput, Textarea, TextInput, all_valid
from django.http import (
    Http404,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from glossary_project.admin import ReadOnlyAdminMixin
from glossary_project.httpcache.generation import pinned_generation, private_generation
from glossary_project.spreadsheets import Echo, csv_cell

from . import dashboard, editor_views, history, selectors, writing_checks
from .audit import audit_record
from .completeness import (
    ANYTHING_MISSING,
    PART_TOTAL,
    PARTS,
    PARTS_BY_KEY,
    annotate_completeness,
    missing_summary,
)
from .completeness import count_of as _count_of
from .forms import REVIEW_STEP_FORMS, TermAdminForm, former_slug_warning
from .models import (
    FAQ,
    AuditEntry,
    Category,
    KeyConsideration,
    Reference,
    SiteSettings,
    Term,
    TermReference,
    TermRevision,
    normalize_text,
)
from .preview import preview_url
from .revisions import record_revision
from .schedules import schedule_record
from .search import admin as _search_report  # noqa: F401 - registers the Searches report
from .search.related import related_suggestions
from .services import (
    may_publish,
    revision_restore,
    term_archive,
    term_mark_reviewed,
    term_publish,
    working_copy_discard,
    working_copy_start,
)
from .views import render_term_page
from .widgets import MarkdownTextarea

HISTORY_PER_PAGE = 50


class OrderedInlineFormSet(BaseInlineFormSet):
    """Saves rows numbered 1..n in the order the editor asked for.

    Rows are sorted by the number typed in "order" (empty goes last), then by their
    place on the page. Changed rows are written as new rows, so swapping the text of
    two rows never trips a uniqueness rule halfway through the save.
    """

    def kept_forms(self):
        return [
            form for form in self.forms if form.cleaned_data and not self._should_delete_form(form)
        ]

    def save(self, commit=True):
        kept = self.kept_forms()
        in_order = sorted(
            enumerate(kept),
            key=lambda row: (
                row[1].cleaned_data.get("position") is None,
                row[1].cleaned_data.get("position") or 0,
                row[0],
            ),
        )
        moved = []
        for number, (_index, form) in enumerate(in_order, start=1):
            if form.instance.position != number:
                form.instance.position = number
                if form.instance.pk and not form.has_changed():
                    moved.append(form.instance)
        if not commit:
            return super().save(commit=False)

        rewritten = [form for form in self.initial_forms if form in kept and form.has_changed()]
        self.model.objects.filter(pk__in=[form.instance.pk for form in rewritten]).delete()
        for form in rewritten:
            form.instance.pk = None
            form.instance._state.adding = True
        saved = super().save(commit=True)
        for form in rewritten:
            form.instance.save()
            saved.append(form.instance)
        for instance in moved:
            instance.save(update_fields=["position"])
        return saved


class KeyConsiderationFormSet(OrderedInlineFormSet):
    def clean(self):
        super().clean()
        first_seen: dict[str, str] = {}
        for form in self.kept_forms():
            text = form.cleaned_data.get("text")
            if not text:
                continue
            folded = normalize_text(text)
            if folded in first_seen:
                form.add_error(
                    "text",
                    ValidationError(
                        _("This repeats “%(first)s”. List each key consideration once."),
                        code="duplicate_consideration",
                        params={"first": first_seen[folded]},
                    ),
                )
            else:
                first_seen[folded] = text


# Drag handles and arrow keys for the order columns: static/terms/sortable-rows.js hides
# each number input marked data-sortable-position (still submitted) behind a handle.
# Not django-admin-sortable2: its handles take no keyboard focus, its inlines hide the
# number even without JavaScript, and its list view saves with bulk_update(), which sends
# no signal (stale public caches) and leaves no audit entry.
SORTABLE_ROWS = Media(js=["terms/sortable-rows.js"], css={"all": ["terms/sortable-rows.css"]})
SORTABLE_POSITION = {"data-sortable-position": ""}


class OrderedInline(InlineModelAdmin):
    """Rows an editor puts in order; each inline picks its layout as a second base,
    TabularInline or StackedInline (rows too long for a table row)."""

    formset = OrderedInlineFormSet
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        position = formset.form.base_fields["position"]
        position.required = False
        position.initial = None
        position.widget.attrs |= SORTABLE_POSITION
        return formset

    @property
    def media(self):
        return super().media + SORTABLE_ROWS


class KeyConsiderationInline(OrderedInline, admin.TabularInline):
    model = KeyConsideration
    formset = KeyConsiderationFormSet
    fields = ["text", "position"]
    extra = 3
    formfield_overrides = {
        KeyConsideration._meta.get_field("text").__class__: {
            "widget": TextInput(attrs={"class": "vLargeTextField"})
        }
    }


class TermFAQInline(OrderedInline, admin.StackedInline):
    model = FAQ
    fk_name = "term"
    fields = ["question", "answer", "position"]
    verbose_name = _("common question")
    verbose_name_plural = _("common questions (this term only)")
    formfield_overrides = {
        FAQ._meta.get_field("question").__class__: {
            "widget": TextInput(attrs={"class": "vLargeTextField"})
        },
        FAQ._meta.get_field("answer").__class__: {
            "widget": MarkdownTextarea(attrs={"rows": 3, "cols": 60}, preview_below=True)
        },
    }


class CategoryFAQInline(TermFAQInline):
    fk_name = "category"
    verbose_name_plural = _("shared common questions (shown on every term in the category)")


class TermReferenceInline(OrderedInline, admin.TabularInline):
    model = TermReference
    fields = ["reference", "position"]
    autocomplete_fields = ["reference"]
    verbose_name = _("reference")
    verbose_name_plural = _("references")


class AwaitingReviewFilter(admin.SimpleListFilter):
    title = _("awaiting review")
    parameter_name = "in_review"  # "review" is ReviewDueFilter's
    AWAITING = "yes"

    def lookups(self, request, model_admin):
        return [(self.AWAITING, _("Awaiting review"))]

    def queryset(self, request, queryset):
        if self.value() == self.AWAITING:
            return queryset.entries().awaiting_review()
        return queryset


class ScheduledFilter(admin.SimpleListFilter):
    title = _("schedule")
    parameter_name = "schedule"

    def lookups(self, request, model_admin):
        return [("scheduled", _("Scheduled"))]

    def queryset(self, request, queryset):
        if self.value() == "scheduled":
            return queryset.entries().scheduled()
        return queryset


class MissingContentFilter(admin.SimpleListFilter):
    """Entries missing any part, or one part (terms/completeness.py's rules)."""

    title = _("missing content")
    parameter_name = "missing"
    ANYTHING = "anything"

    def lookups(self, request, model_admin):
        return [
            (self.ANYTHING, _("Anything missing")),
            *[(part.key, part.filter_label) for part in PARTS],
        ]

    def queryset(self, request, queryset):
        if self.value() == self.ANYTHING:
            return queryset.filter(ANYTHING_MISSING)
        if self.value() in PARTS_BY_KEY:
            return queryset.filter(PARTS_BY_KEY[self.value()].missing)
        return queryset


class MyDraftsFilter(admin.SimpleListFilter):
    """Drafts whose content the user wrote last (terms/dashboard.py); the dashboard's
    "My drafts"."""

    title = _("mine")
    parameter_name = "mine"
    DRAFTS = "drafts"

    def lookups(self, request, model_admin):
        return [(self.DRAFTS, _("My drafts"))]

    def queryset(self, request, queryset):
        if self.value() == self.DRAFTS:
            return dashboard.drafts_of(queryset, request.user)
        return queryset


class ReviewDueFilter(admin.SimpleListFilter):
    """Published entries to check soon ("due for review") or already late ("overdue");
    the admin index counts the same (templatetags/terms_admin.py)."""

    title = _("review")
    parameter_name = "review"
    DUE = "due"
    OVERDUE = "overdue"

    def lookups(self, request, model_admin):
        return [(self.DUE, _("Due for review")), (self.OVERDUE, _("Overdue"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == self.DUE:
            return queryset.due_for_review(today)
        if self.value() == self.OVERDUE:
            return queryset.overdue_for_review(today)
        return queryset


# The audit log's admin hooks. Publishing, archiving, reviewing and the rest are audited by
# their services; what the admin does on its own (delete, and saving categories and
# references, which have no service) is audited here.


class AuditedDeleteAdmin(admin.ModelAdmin):
    """Each object deleted in the admin, alone or with the list's delete action, leaves
    an audit entry (in the deletion's transaction: no entry for a refused delete)."""

    def delete_model(self, request, obj):
        with transaction.atomic():
            self.audit_delete(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.audit_delete(request, obj)
            super().delete_queryset(request, queryset)

    def audit_delete(self, request, obj) -> None:
        working_copy = getattr(obj, "is_working_copy", False)
        audit_record(
            AuditEntry.Action.DELETE,
            source=Term.Source.ADMIN,
            target=obj,
            user=request.user,
            detail="working copy" if working_copy else "",
        )


class AuditedAdmin(AuditedDeleteAdmin):
    """Creating and editing in the admin (the form, its inlines and list editing) leaves an
    audit entry naming the fields and inlines that changed."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changed = [*form.changed_data]
        changed += [
            str(formset.model._meta.verbose_name_plural)
            for formset in formsets
            if formset.has_changed()
        ]
        if change and not changed:
            return  # saved as it was: nothing to record
        audit_record(
            AuditEntry.Action.EDIT if change else AuditEntry.Action.CREATE,
            source=Term.Source.ADMIN,
            target=form.instance,
            user=request.user,
            detail=f"changed: {', '.join(changed)}" if change else "",
        )


class UnpublishedChangesFilter(admin.SimpleListFilter):
    title = _("unpublished changes")
    parameter_name = "changes"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("Published, with unpublished changes")),
            ("no", _("No unpublished changes")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(has_unpublished_changes=True)
        if self.value() == "no":
            return queryset.filter(has_unpublished_changes=False)
        return queryset


def _refusal(error: ValidationError | PermissionDenied) -> str:
    """Why term_publish refused, in one line (its ValidationError's messages, or the
    PermissionDenied's reason)."""
    return " ".join(error.messages if isinstance(error, ValidationError) else [str(error)])


@dataclass
class _Saved:
    """What a save from the term form did beyond storing it (TermAdmin.save_related),
    for the response to tell."""

    published: Term | None = None
    refusal: str = ""


WORKING_COPY_MESSAGE = _(
    "You are editing the working copy of %(term)s. Readers see the published version "
    "until it is published."
)


@admin.register(Term)
class TermAdmin(AuditedDeleteAdmin):
    form = TermAdminForm
    list_display = [
        "title",
        "category",
        "state",
        "completeness",
        "last_changed",
        "review_by",
        "in_dev",
    ]
    list_display_links = ["title"]
    list_filter = [
        MyDraftsFilter,
        "status",
        UnpublishedChangesFilter,
        AwaitingReviewFilter,
        ScheduledFilter,
        ReviewDueFilter,
        "category",
        "in_development",
        MissingContentFilter,
    ]
    list_select_related = ["category"]
    search_fields = ["title", "aliases", "summary"]
    search_help_text = _("Search titles, aliases and summaries.")
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["category", "related"]
    readonly_fields = [
        "created_at",
        "updated_at",
        "reviewed_at",
        "preview_link",
        "suggested_related",
    ]
    inlines = [KeyConsiderationInline, TermFAQInline, TermReferenceInline]
    change_form_template = "admin/terms/term/change_form.html"
    actions = ["publish_selected", "archive_selected", "mark_reviewed_selected"]
    save_on_top = True
    list_per_page = 50

    class Media:
        js = ["terms/unsaved-changes.js", "terms/related-suggestions.js"]

    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "aliases",
                    "category",
                    "status",
                    "in_development",
                    "preview_link",
                ]
            },
        ),
        (_("Content"), {"fields": ["summary", "definition", "why_it_matters"]}),
        (_("Related terms"), {"fields": ["related", "suggested_related"]}),
        (
            _("Schedule"),
            {
                "description": _(
                    "Publishers only. A go-live time schedules the term; clearing it "
                    "unschedules. A take-down time archives a published term by itself."
                ),
                "fields": ["go_live_at", "take_down_at"],
            },
        ),
        (
            _("Call to action"),
            {
                "classes": ["collapse"],
                "description": _("Leave both empty to use the site-wide default."),
                "fields": ["cta_heading", "cta_body"],
            },
        ),
        (
            _("Dates"),
            {
                "classes": ["collapse"],
                "fields": [
                    "published_at",
                    "review_by",
                    "reviewed_at",
                    "created_at",
                    "updated_at",
                ],
            },
        ),
        (None, {"fields": ["revision_comment"]}),
    ]
    wide_text_fields = {
        # Widths by class or size, never a style attribute: the CSP allows no inline style.
        "title": TextInput(attrs={"class": "vLargeTextField"}),
        "aliases": Textarea(attrs={"rows": 3, "cols": 40}),
        "summary": Textarea(attrs={"rows": 2, "cols": 100}),
        "definition": MarkdownTextarea(attrs={"rows": 10, "cols": 100}),
        "why_it_matters": MarkdownTextarea(attrs={"rows": 5, "cols": 100}),
        "cta_body": MarkdownTextarea(attrs={"rows": 3, "cols": 100}),
    }

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.wide_text_fields:
            kwargs["widget"] = self.wide_text_fields[db_field.name]
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        """Entries only: the list, its counts and actions, the related-terms autocomplete.
        A working copy is reached through its entry (get_object, change_view)."""
        entries = super().get_queryset(request).entries()
        entries = annotate_completeness(dashboard.annotate_last_change(entries))
        return entries.annotate(has_unpublished_changes=dashboard.unpublished_changes())

    def get_object(self, request, object_id, from_field=None):
        term = super().get_object(request, object_id, from_field)
        if term is None and from_field is None:
            copies = Term.objects.select_related("draft_of").filter(draft_of__isnull=False)
            with suppress(Term.DoesNotExist, ValueError, ValidationError):
                term = copies.get(pk=object_id)
        return term

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "related":
            # A working copy can never be chosen as a related term, even by a crafted POST.
            kwargs["queryset"] = Term.objects.entries()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def delete_view(self, request, object_id, extra_context=None):
        # A working copy is discarded (discard_view), not deleted like an entry; deleting
        # an entry deletes its working copy with it.
        term = self.get_object(request, unquote(object_id))
        if term is not None and term.is_working_copy:
            return HttpResponseRedirect(reverse("admin:terms_term_discard", args=[term.pk]))
        return super().delete_view(request, object_id, extra_context)

    @admin.display(description=_("status"), ordering="status")
    def state(self, term):
        if term.has_unpublished_changes:
            return _("%(status)s, with unpublished changes") % {"status": term.get_status_display()}
        return term.get_status_display()

    @admin.display(description=_("in dev."), boolean=True, ordering="in_development")
    def in_dev(self, term):
        return term.in_development

    @admin.display(description=_("last changed"), ordering="last_changed_at")
    def last_changed(self, term):
        """The day of the newest change (terms.dashboard: the entry's or its working
        copy's), with the time as a tooltip: a narrow column, like "review by"."""
        changed = timezone.localtime(term.last_changed_at)
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            changed.isoformat(),
            date_format(changed, "DATETIME_FORMAT"),
            date_format(changed, "DATE_FORMAT"),
        )

    @admin.display(description=_("complete"), ordering="completeness_score")
    def completeness(self, term):
        """The score, and under it what is missing: one column rather than two, so the
        list fits a 1024 px screen."""
        gaps = missing_summary(term)
        return format_html(
            '<span class="completeness-score">{}/{}</span>{}',
            term.completeness_score,
            PART_TOTAL,
            format_html('<div class="completeness-gaps">{} {}</div>', _("Missing:"), gaps)
            if term.completeness_score < PART_TOTAL
            else "",
        )

    def get_fieldsets(self, request, obj=None):
        """Suggested related terms only for those who may change the term: they are
        there to be added to it."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets

        def without(fields):
            return [field for field in fields if field != "suggested_related"]

        return [
            (name, {**options, "fields": without(options["fields"])}) for name, options in fieldsets
        ]

    @admin.display(description=_("suggested related terms"))
    def suggested_related(self, term):
        """Published entries whose text is like the term's saved text, each with an "Add"
        button (static/terms/related-suggestions.js) that puts it in the field above."""
        saved = term.pk is not None
        return render_to_string(
            "admin/terms/term/related_suggestions.html",
            {"saved": saved, "suggestions": related_suggestions(term) if saved else []},
        )

    @admin.display(description=_("preview link"))
    def preview_link(self, term):
        if term.pk is None:
            return _("Save the term to get a link that shows it to reviewers without a login.")
        now = timezone.now()
        period = timeuntil(now + timedelta(seconds=settings.PREVIEW_LINK_MAX_AGE), now)
        url = preview_url(term)
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a><div class="help">{}</div>',
            url,
            url,
            _(
                "Anyone with this link sees the saved version of this term, published or "
                "not, for %(period)s."
            )
            % {"period": period},
        )

    def get_urls(self):
        def view(method):
            return self.admin_site.admin_view(method)

        preview = view(self.preview_view)
        return [
            path(
                "markdown-preview/",
                view(editor_views.markdown_preview),
                name="terms_markdown_preview",
            ),
            path(
                "link-suggestions/",
                view(editor_views.link_suggestions),
                name="terms_link_suggestions",
            ),
            path("preview/", preview, name="terms_term_preview_new"),
            path("<path:object_id>/preview/", preview, name="terms_term_preview"),
            *self.review_urls(),
            *self.mark_reviewed_urls(),
            path("<path:object_id>/discard/", view(self.discard_view), name="terms_term_discard"),
            path(
                "<path:object_id>/history/compare/",
                view(self.compare_view),
                name="terms_term_compare",
            ),
            path(
                "<path:object_id>/history/<int:revision_id>/restore/",
                view(self.restore_view),
                name="terms_term_restore",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id=None):
        """The term page as readers would see it with what the form holds now, saved or
        not: the form and its inlines are saved inside a transaction that is then rolled
        back, so the page is rendered by exactly the code of the live page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        term = self.get_object(request, unquote(object_id)) if object_id else None
        if object_id and term is None:
            raise Http404
        adding = term is None
        allowed = (
            self.has_add_permission(request)
            if adding
            else self.has_change_permission(request, term)
        )
        if not allowed:
            raise PermissionDenied
        form = self.get_form(request, term, change=not adding)(
            request.POST, request.FILES, instance=term
        )
        formsets, _inlines = self._create_formsets(request, form.instance, change=not adding)
        if not (form.is_valid() and all_valid(formsets)):
            errors = [*form.non_field_errors()]
            errors += [
                f"{form.fields[name].label if name in form.fields else name}: {message}"
                for name, messages_ in form.errors.items()
                if name != "__all__"
                for message in messages_
            ]
            for formset in formsets:
                errors += [*formset.non_form_errors()]
                errors += [
                    f"{formset.model._meta.verbose_name}: {message}"
                    for row in formset.errors
                    for messages_ in row.values()
                    for message in messages_
                ]
            return TemplateResponse(
                request,
                "admin/terms/term/preview_errors.html",
                {**self.admin_site.each_context(request), "errors": errors, "opts": self.opts},
                status=400,
            )
        # A generation of its own: anything cached while rendering the unsaved state
        # (counts, settings) goes under keys no public request reads.
        form.previewing = True  # save_related records nothing and publishes nothing
        with transaction.atomic(), pinned_generation(private_generation()):
            new_term = self.save_form(request, form, change=not adding)
            self.save_model(request, new_term, form, not adding)
            self.save_related(request, form, formsets, not adding)
            page = selectors.term_page(slug=new_term.slug, preview_id=new_term.pk)
            response = render_term_page(request, page, previewing=True, banner=True)
            transaction.set_rollback(True)
        return response

    # Editing: a published entry through its working copy ----------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A live entry is never changed by this form: its change page leads to its
        working copy (made on first opening); unpublished terms are edited themselves."""
        term = self.get_object(request, unquote(object_id))
        if term is not None and not term.is_working_copy:
            copy = self.working_copy_to_edit(request, term)
            if copy is not None:
                if request.method == "POST":
                    self.message_user(
                        request,
                        _("Nothing was saved: “%(term)s” is live. Make the changes here.")
                        % {"term": term},
                        messages.WARNING,
                    )
                self.message_user(request, WORKING_COPY_MESSAGE % {"term": term}, messages.INFO)
                url = reverse("admin:terms_term_change", args=[copy.pk])
                query = request.META.get("QUERY_STRING", "")
                return HttpResponseRedirect(f"{url}?{query}" if query else url)
        context = {**(extra_context or {})}
        if term is not None and term.is_working_copy:
            context |= self.working_copy_context(term)
            context["show_delete"] = False  # discarded instead (discard_view)
        return super().change_view(request, object_id, form_url, extra_context=context)

    def working_copy_to_edit(self, request, entry: Term) -> Term | None:
        """The entry's working copy, started for an editor opening a published entry."""
        copy = entry.current_working_copy()
        if copy is None and entry.is_published and self.has_change_permission(request, entry):
            copy = working_copy_start(entry=entry)
        if copy is not None and not self.has_change_permission(request, copy):
            return None
        return copy

    def working_copy_context(self, copy: Term) -> dict:
        entry = copy.draft_of
        compare = reverse("admin:terms_term_compare", args=[copy.pk])
        return {
            "entry": entry,
            "live_url": entry.get_absolute_url() if entry.is_published else "",
            "compare_live_url": f"{compare}?revision=live&revision=copy",
            "discard_url": reverse("admin:terms_term_discard", args=[copy.pk]),
        }

    def save_model(self, request, obj, form, change):
        """Stores what the form holds. Publishing is term_publish's, after the inlines
        (save_related): the term is stored with the status it had, so a working copy is
        never stored as published and a refused publish leaves nothing half done."""
        before = form.initial.get("status") or Term.Status.DRAFT
        form.publish_requested = obj.status == Term.Status.PUBLISHED and (
            obj.is_working_copy or before != Term.Status.PUBLISHED
        )
        if form.publish_requested:
            obj.status = before if before != Term.Status.PUBLISHED else Term.Status.DRAFT
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """After the inlines: the audit entry of a new term; then publish if asked
        (term_publish records the revision and its audit entry), else record the revision
        and the audit entry of this save."""
        super().save_related(request, form, formsets, change)
        if getattr(form, "previewing", False):
            return
        term = form.instance
        comment = form.cleaned_data.get("revision_comment", "")
        term.admin_saved = saved = _Saved()
        actor = {"source": Term.Source.ADMIN, "target": term, "user": request.user}
        if not change:
            audit_record(AuditEntry.Action.CREATE, **actor)
        if getattr(form, "publish_requested", False):
            try:
                saved.published = term_publish(
                    term=term, user=request.user, source=Term.Source.ADMIN
                )
            except (ValidationError, PermissionDenied) as error:
                saved.refusal = _refusal(error)
            else:
                if comment:
                    latest = TermRevision.objects.filter(entry_id=term.entry_id).first()
                    latest.revision.comment = f"{latest.revision.comment}: {comment}"
                    latest.revision.save(update_fields=["comment"])
                return
        record_revision(term, user=request.user, source=Term.Source.ADMIN, comment=comment)
        if change:
            detail = "working copy" if term.is_working_copy else ""
            audit_record(AuditEntry.Action.EDIT, detail=detail, **actor)

    def response_add(self, request, obj, post_url_continue=None):
        if self.told_about_publishing(request, obj):
            self.warn_about_former_slug(request, obj)
            return HttpResponseRedirect(reverse("admin:terms_term_changelist"))
        self.warn_about_former_slug(request, obj)
        self.record_schedule_change(request, obj)
        self.tell_writing_warnings(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self.told_about_publishing(request, obj):
            # Published: back to the list. Not to the entry's page, which would start a
            # new working copy at once (a copy is gone once written onto its entry).
            term = obj.admin_saved.published or obj
            self.warn_about_former_slug(request, term)
            return HttpResponseRedirect(reverse("admin:terms_term_changelist"))
        self.warn_about_former_slug(request, obj)
        self.record_schedule_change(request, obj)
        self.tell_writing_warnings(request, obj)
        return super().response_change(request, obj)

    def told_about_publishing(self, request, term) -> bool:
        """Whether this save asked to publish; if so, the editor is told what happened."""
        saved = getattr(term, "admin_saved", None)
        if saved is None or not (saved.published or saved.refusal):
            return False
        if saved.published:
            self.message_user(
                request,
                _("“%(term)s” is published: readers see it now.") % {"term": saved.published},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _("“%(term)s” was saved but not published: %(reasons)s")
                % {"term": term, "reasons": saved.refusal},
                messages.ERROR,
            )
        return True

    def tell_writing_warnings(self, request, term) -> None:
        """After a save: the writing checks' advice on what was saved (never a refusal)."""
        warnings = writing_checks.writing_warnings(writing_checks.entry_text(term))
        if warnings:
            self.message_user(
                request,
                ngettext(
                    "Saved with %(count)d writing warning: %(warnings)s",
                    "Saved with %(count)d writing warnings: %(warnings)s",
                    len(warnings),
                )
                % {"count": len(warnings), "warnings": " ".join(warnings)},
                messages.WARNING,
            )

    def warn_about_former_slug(self, request, term) -> None:
        """After a save (never a preview): the slug saved is another term's old address."""
        warning = former_slug_warning(term.slug, term_id=term.entry_id, published=term.is_published)
        if warning:
            self.message_user(request, warning, messages.WARNING)

    def view_on_site(self, term):
        """The live page: for a working copy, its entry's (readers see that)."""
        entry = term.draft_of if term.is_working_copy else term
        return entry.get_absolute_url() if entry.is_published else None

    def discard_view(self, request, object_id):
        """Asks, then (POST) drops the working copy's changes; the live entry stays."""
        copy = self.get_object(request, unquote(object_id))
        if copy is None or not copy.is_working_copy:
            raise Http404
        if not self.has_change_permission(request, copy):
            raise PermissionDenied
        if request.method == "POST":
            entry = working_copy_discard(copy=copy, user=request.user, source=Term.Source.ADMIN)
            self.message_user(
                request,
                _(
                    "The working copy of “%(term)s” was discarded. Readers see the published "
                    "version, unchanged."
                )
                % {"term": entry},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:terms_term_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Discard the working copy of “%(term)s”?") % {"term": copy.draft_of},
            "opts": self.opts,
            "original": copy,
            "entry": copy.draft_of,
        }
        return TemplateResponse(request, "admin/terms/term/discard.html", context)

    # History, compare, restore ---------------------------------------------------------

    def history_view(self, request, object_id, extra_context=None):
        """The entry's revisions (live and working copy), newest first: pick two to
        compare, restore any into the working copy."""
        term, entry = self.term_and_entry(request, object_id)
        paginator = Paginator(history.entry_revisions(entry), HISTORY_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        copy = entry.current_working_copy()
        rows = [
            {
                "revision": term_revision.revision,
                "source": term_revision.get_source_display(),
                "kind": history.revision_label(term_revision),
                "restore_url": reverse(
                    "admin:terms_term_restore", args=[entry.pk, term_revision.revision_id]
                ),
            }
            for term_revision in page
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("History: %(term)s") % {"term": entry},
            "opts": self.opts,
            "original": term,
            "entry": entry,
            "working_copy": copy,
            "rows": rows,
            "page": page,
            "compare_url": reverse("admin:terms_term_compare", args=[entry.pk]),
            "can_restore": self.has_change_permission(request, entry),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/terms/term/history.html", context)

    def compare_view(self, request, object_id):
        """Two states of the entry side by side: two revisions (``?revision=<id>`` twice),
        or ``live`` and ``copy`` for what readers see and what the working copy holds."""
        term, entry = self.term_and_entry(request, object_id)
        picked = request.GET.getlist("revision")
        if len(picked) != 2 or picked[0] == picked[1]:
            self.message_user(request, _("Pick two versions to compare."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:terms_term_history", args=[entry.pk]))
        old, new = history.in_order(*(self.snapshot(entry, pick) for pick in picked))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Compare versions of %(term)s") % {"term": entry},
            "opts": self.opts,
            "original": term,
            "entry": entry,
            "comparison": history.compare(old, new),
            "history_url": reverse("admin:terms_term_history", args=[entry.pk]),
        }
        return TemplateResponse(request, "admin/terms/term/compare.html", context)

    def snapshot(self, entry: Term, pick: str) -> history.Snapshot:
        if pick == "live":
            return history.snapshot_of_term(entry, label=_("live now"))
        if pick == "copy":
            copy = entry.current_working_copy()
            if copy is None:
                raise Http404(_("This term has no working copy."))
            return history.snapshot_of_term(copy, label=_("working copy now"))
        if not pick.isdigit():
            raise Http404
        term_revision = get_object_or_404(
            TermRevision.objects.select_related("revision"), entry=entry, revision_id=pick
        )
        return history.snapshot_of_revision(term_revision.revision)

    def restore_view(self, request, object_id, revision_id):
        """POST: the revision becomes the working copy (or the unpublished term's content);
        never what readers see."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        _term, entry = self.term_and_entry(request, object_id)
        if not self.has_change_permission(request, entry):
            raise PermissionDenied
        term_revision = get_object_or_404(
            TermRevision.objects.select_related("revision"), entry=entry, revision_id=revision_id
        )
        try:
            restored = revision_restore(
                term_revision=term_revision, user=request.user, source=Term.Source.ADMIN
            )
        except ValidationError as error:
            self.message_user(
                request,
                _("The revision could not be restored: %(reasons)s")
                % {"reasons": " ".join(error.messages)},
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:terms_term_history", args=[entry.pk]))
        when = history.revision_date(term_revision.revision)
        if restored.term.is_working_copy:
            done = _(
                "The revision of %(date)s is now the working copy. Readers see the published "
                "version until it is published."
            )
        else:
            done = _("The revision of %(date)s is restored; the term keeps its status.")
        self.message_user(request, done % {"date": when}, messages.SUCCESS)
        for warning in restored.warnings:
            self.message_user(request, warning, messages.WARNING)
        return HttpResponseRedirect(reverse("admin:terms_term_change", args=[restored.term.pk]))

    def term_and_entry(self, request, object_id) -> tuple[Term, Term]:
        """The term asked for (an entry or a working copy) and its entry; 404 or 403."""
        term = self.get_object(request, unquote(object_id))
        if term is None:
            raise Http404
        if not self.has_view_or_change_permission(request, term):
            raise PermissionDenied
        return term, history.entry_of(term)

    def term_to_change(self, request, object_id) -> Term:
        """The term asked for (an entry or a working copy), to change; 404 or 403."""
        term = self.get_object(request, unquote(object_id))
        if term is None:
            raise Http404
        if not self.has_change_permission(request, term):
            raise PermissionDenied
        return term

    # Review and scheduling -------------------------------------------------------------
    # Who may publish, the review steps and the schedule (README "Review and scheduling").
    # Publishing, taking down and scheduling need terms.publish_term, by every path.

    def has_publish_permission(self, request) -> bool:
        return may_publish(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.may_publish = self.has_publish_permission(request)
        return form

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            readonly += ["go_live_at", "take_down_at"]
        return readonly

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.takes_down(obj) and not self.has_publish_permission(request):
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        """Deleting a published (or scheduled) term takes it down: the list's "delete
        selected" needs the publish permission for those too."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if not self.has_publish_permission(request) and any(map(self.takes_down, objs)):
            perms_needed.add(_("published terms (taking them down needs the publish permission)"))
        return deleted, counts, perms_needed, protected

    @staticmethod
    def takes_down(term) -> bool:
        return term.status in (Term.Status.PUBLISHED, Term.Status.SCHEDULED)

    def record_schedule_change(self, request, term) -> None:
        """After a save from the form: audit a change of its go-live or take-down time."""
        before = getattr(term, "_schedule_before", None)
        if before is not None:
            schedule_record(term=term, user=request.user, before=before)

    def review_urls(self):
        return [
            path(
                "<path:object_id>/review/<str:step>/",
                self.admin_site.admin_view(self.review_view),
                name="terms_term_review",
            )
        ]

    def review_view(self, request, object_id, step):
        """A review step posted from the term's change form: submit, approve or request
        changes. Success goes back to the form with a message; bad input is shown next
        to its field."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        step_form = REVIEW_STEP_FORMS.get(step)
        if step_form is None:
            raise Http404
        term = self.term_to_change(request, object_id)
        if step != "submit" and not self.has_publish_permission(request):
            raise PermissionDenied
        form = step_form(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    form.run(term=term, user=request.user)
            except ValidationError as error:
                form.add_validation_error(error)
            else:
                self.message_user(request, form.done_message(term), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:terms_term_change", args=[form.shown_after(term).pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": term,
            "form": form,
            "step": step,
            "title": form.title,
        }
        return TemplateResponse(request, "admin/terms/term/review_step.html", context, status=400)

    @admin.action(description=_("Publish selected terms"), permissions=["publish"])
    def publish_selected(self, request, queryset):
        published = 0
        for term in queryset.exclude(status=Term.Status.PUBLISHED):
            try:
                term_publish(term=term, user=request.user)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(
                    request,
                    _("“%(term)s” was not published: %(reasons)s")
                    % {"term": term.title, "reasons": _refusal(error)},
                    messages.ERROR,
                )
            else:
                published += 1
        self.message_user(
            request,
            ngettext("Published %d term.", "Published %d terms.", published) % published,
            messages.SUCCESS,
        )

    @admin.action(description=_("Archive selected terms"), permissions=["publish"])
    def archive_selected(self, request, queryset):
        archived = 0
        for term in queryset.exclude(status=Term.Status.ARCHIVED):
            term_archive(term=term, user=request.user)
            archived += 1
        self.message_user(
            request,
            ngettext("Archived %d term.", "Archived %d terms.", archived) % archived,
            messages.SUCCESS,
        )

    # Review-by dates ------------------------------------------------------------------

    @admin.action(description=_("Mark selected terms as reviewed"), permissions=["change"])
    def mark_reviewed_selected(self, request, queryset):
        reviewed = 0
        for entry in queryset:  # entries only (get_queryset)
            term_mark_reviewed(term=entry, user=request.user, source=Term.Source.ADMIN)
            reviewed += 1
        self.message_user(
            request,
            ngettext("Marked %d term as reviewed.", "Marked %d terms as reviewed.", reviewed)
            % reviewed,
            messages.SUCCESS,
        )

    def mark_reviewed_urls(self):
        return [
            path(
                "<path:object_id>/mark-reviewed/",
                self.admin_site.admin_view(self.mark_reviewed_view),
                name="terms_term_mark_reviewed",
            )
        ]

    def mark_reviewed_view(self, request, object_id):
        """The change form's "Mark as reviewed" button (a POST; the page's object tools)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        term = self.term_to_change(request, object_id)
        entry = term_mark_reviewed(term=term, user=request.user, source=Term.Source.ADMIN)
        self.message_user(
            request,
            _("“%(term)s” is marked as reviewed; next review by %(date)s.")
            % {"term": entry.title, "date": entry.review_by.isoformat()},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:terms_term_change", args=[term.pk]))


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "slug", "order", "term_count", "shared_faq_count"]
    list_editable = ["order"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CategoryFAQInline]
    formfield_overrides = {
        Category._meta.get_field("description").__class__: {"widget": MarkdownTextarea}
    }

    class Media:
        js = ["terms/unsaved-changes.js"]

    @property
    def media(self):
        return super().media + SORTABLE_ROWS

    def get_changelist_formset(self, request, **kwargs):
        """The list's order column: drag handles and arrow keys (sortable-rows.js), saved
        with the list's Save button like any list edit (save_model, signals, audit). Only
        while the list shows the categories in their order: moving a row of a list sorted
        by name would number every category by name."""
        if self.listed_in_order(request):
            order = NumberInput(attrs={"class": "vIntegerField", **SORTABLE_POSITION})
            kwargs["widgets"] = {"order": order}
        return super().get_changelist_formset(request, **kwargs)

    def listed_in_order(self, request) -> bool:
        """Whether the list is in the categories' order: by default, or sorted by the order
        column first, ascending (ChangeList's ``o`` parameter: column indices)."""
        first = request.GET.get(ORDER_VAR, "").split(".")[0]
        if not first:
            return True
        columns = list(self.get_list_display(request))
        if self.get_actions(request):
            columns = ["action_checkbox", *columns]
        return first.isdigit() and int(first) < len(columns) and columns[int(first)] == "order"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                # Entries: a working copy is not another term of the category.
                term_total=_count_of(Term.objects.entries(), "category"),
                shared_faq_total=_count_of(FAQ.objects, "category"),
            )
        )

    @admin.display(description=_("terms"), ordering="term_total")
    def term_count(self, category):
        return category.term_total

    @admin.display(description=_("shared FAQs"), ordering="shared_faq_total")
    def shared_faq_count(self, category):
        return category.shared_faq_total


@admin.register(Reference)
class ReferenceAdmin(AuditedAdmin):
    list_display = ["title", "publisher", "year", "cited_by"]
    list_filter = ["year"]
    search_fields = ["title", "publisher", "key", "url"]
    prepopulated_fields = {"key": ["title"]}
    fields = ["title", "publisher", "year", "url", "key"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                citation_total=_count_of(
                    TermReference.objects.filter(term__draft_of__isnull=True), "reference"
                )
            )
        )

    @admin.display(description=_("cited by (terms)"), ordering="citation_total")
    def cited_by(self, reference):
        return reference.citation_total


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    # Content only: who is told of new inquiries is the Advisory team's (advisory's
    # LeadRoutingAdmin), never the Editors'.
    fields = [
        "organisation_name",
        "default_cta_heading",
        "default_cta_body",
        "review_interval_months",
    ]
    formfield_overrides = {
        SiteSettings._meta.get_field("default_cta_body").__class__: {"widget": MarkdownTextarea}
    }

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        """Saved with an audit entry listing each change as "field: old → new"."""
        before = SiteSettings.objects.filter(pk=obj.pk).first()
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changes = [
                f"{name}: {getattr(before, name, '')} → {getattr(obj, name)}"
                for name in form.changed_data
            ]
            if changes:
                audit_record(
                    AuditEntry.Action.SETTINGS,
                    source=Term.Source.ADMIN,
                    target=obj,
                    user=request.user,
                    detail="\n".join(changes),
                )

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        settings = SiteSettings.load()
        return HttpResponseRedirect(reverse("admin:terms_sitesettings_change", args=[settings.pk]))


# The audit log ---------------------------------------------------------------------------

AUDIT_CSV_COLUMNS = [
    ("created_at", _("When")),
    ("actor_name", _("Who")),
    ("source", _("From")),
    ("action", _("Action")),
    ("target_type", _("What")),
    ("target_id", _("Id")),
    ("target_repr", _("Name")),
    ("detail", _("Detail")),
]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log: read by Publishers and superusers (``terms.view_auditentry``), never
    written here, by anyone; the list, as filtered, downloads as CSV."""

    list_display = ["created_at", "actor_name", "action", "source", "target_type", "target_repr"]
    list_filter = ["action", "source", "target_type", "created_at"]
    search_fields = ["actor_name", "target_repr", "detail"]
    search_help_text = _("Search who, the name of what changed, and the detail.")
    fields = [
        "created_at",
        "actor_name",
        "actor",
        "source",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "detail",
    ]
    readonly_fields = fields
    actions = None
    list_per_page = 100

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_csv_view),
                name="terms_auditentry_export",
            ),
            *super().get_urls(),
        ]

    def export_csv_view(self, request):
        """The entries the list shows with the same filters and search, as CSV, streamed
        (the log only grows)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:terms_auditentry_changelist") + "?e=1")
        writer = csv.writer(Echo())

        def rows():
            yield "\ufeff"  # so spreadsheet programs read the file as UTF-8
            yield writer.writerow([str(label) for _name, label in AUDIT_CSV_COLUMNS])
            for entry in changelist.queryset.iterator(chunk_size=1000):
                values = [getattr(entry, name) for name, _label in AUDIT_CSV_COLUMNS]
                values[0] = entry.created_at.isoformat()
                yield writer.writerow([csv_cell(value) for value in values])

        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        return response
