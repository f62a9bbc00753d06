from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.forms import BaseInlineFormSet, Textarea, TextInput, all_valid
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from glossary_project.httpcache.generation import pinned_generation, private_generation

from . import selectors
from .forms import REVIEW_STEP_FORMS, TermAdminForm, former_slug_warning
from .models import (
    FAQ,
    Category,
    KeyConsideration,
    Reference,
    SiteSettings,
    Term,
    TermReference,
    normalize_text,
)
from .preview import preview_url
from .schedules import schedule_record
from .services import may_publish, term_archive, term_publish
from .views import render_term_page

MIN_KEY_CONSIDERATIONS = 3


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


class OrderedInline(admin.TabularInline):
    formset = OrderedInlineFormSet
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        position = formset.form.base_fields["position"]
        position.required = False
        position.initial = None
        return formset


class KeyConsiderationInline(OrderedInline):
    model = KeyConsideration
    formset = KeyConsiderationFormSet
    fields = ["text", "position"]
    extra = 3
    formfield_overrides = {
        KeyConsideration._meta.get_field("text").__class__: {
            "widget": TextInput(attrs={"class": "vLargeTextField"})
        }
    }


class TermFAQInline(OrderedInline):
    model = FAQ
    fk_name = "term"
    fields = ["question", "answer", "position"]
    verbose_name = _("common question")
    verbose_name_plural = _("common questions (this term only)")
    formfield_overrides = {
        FAQ._meta.get_field("question").__class__: {"widget": TextInput(attrs={"size": 40})},
        FAQ._meta.get_field("answer").__class__: {
            "widget": Textarea(attrs={"rows": 3, "cols": 60})
        },
    }


class CategoryFAQInline(TermFAQInline):
    fk_name = "category"
    verbose_name_plural = _("shared common questions (shown on every term in the category)")


class TermReferenceInline(OrderedInline):
    model = TermReference
    fields = ["reference", "position"]
    autocomplete_fields = ["reference"]
    verbose_name = _("reference")
    verbose_name_plural = _("references")


def _count_of(model, fk_name: str):
    """A subquery counting the ``model`` rows whose ``fk_name`` points at the outer row."""
    rows = (
        model.objects.filter(**{fk_name: OuterRef("pk")})
        .order_by()
        .values(fk_name)
        .annotate(total=Count("*"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


class AwaitingReviewFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"
    AWAITING = "awaiting"

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
    title = _("missing content")
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        return [
            ("anything", _("Anything missing")),
            ("why", _("No “why it matters”")),
            ("considerations", _("Fewer than %d key considerations") % MIN_KEY_CONSIDERATIONS),
            ("faq", _("No FAQ")),
            ("reference", _("No reference")),
        ]

    def queryset(self, request, queryset):
        conditions = {
            "why": Q(why_it_matters=""),
            "considerations": Q(consideration_count__lt=MIN_KEY_CONSIDERATIONS),
            "faq": Q(faq_count=0),
            "reference": Q(reference_count=0),
        }
        if self.value() == "anything":
            anything = Q()
            for condition in conditions.values():
                anything |= condition
            return queryset.filter(anything)
        if self.value() in conditions:
            return queryset.filter(conditions[self.value()])
        return queryset


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    form = TermAdminForm
    list_display = ["title", "category", "status", "missing", "updated_at", "in_dev"]
    list_display_links = ["title"]
    list_filter = [
        "status",
        AwaitingReviewFilter,
        ScheduledFilter,
        "category",
        "in_development",
        MissingContentFilter,
    ]
    list_select_related = ["category"]
    search_fields = ["title", "aliases", "summary"]
    search_help_text = _("Search titles, aliases and summaries.")
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["category", "related"]
    readonly_fields = ["created_at", "updated_at", "preview_link"]
    inlines = [KeyConsiderationInline, TermFAQInline, TermReferenceInline]
    change_form_template = "admin/terms/term/change_form.html"
    actions = ["publish_selected", "archive_selected"]
    save_on_top = True
    list_per_page = 50
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
        (_("Related terms"), {"fields": ["related"]}),
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
            {"classes": ["collapse"], "fields": ["published_at", "created_at", "updated_at"]},
        ),
    ]
    wide_text_fields = {
        # Widths by class or size, never a style attribute: the CSP allows no inline style.
        "title": TextInput(attrs={"class": "vLargeTextField"}),
        "aliases": Textarea(attrs={"rows": 3, "cols": 40}),
        "summary": Textarea(attrs={"rows": 2, "cols": 100}),
        "definition": Textarea(attrs={"rows": 10, "cols": 100}),
        "why_it_matters": Textarea(attrs={"rows": 5, "cols": 100}),
        "cta_body": Textarea(attrs={"rows": 3, "cols": 100}),
    }

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.wide_text_fields:
            kwargs["widget"] = self.wide_text_fields[db_field.name]
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                consideration_count=_count_of(KeyConsideration, "term"),
                faq_count=_count_of(FAQ, "term"),
                reference_count=_count_of(TermReference, "term"),
            )
        )

    @admin.display(description=_("in dev."), boolean=True, ordering="in_development")
    def in_dev(self, term):
        return term.in_development

    @admin.display(description=_("missing"))
    def missing(self, term):
        gaps = []
        if not term.why_it_matters.strip():
            gaps.append(_("why it matters"))
        if term.consideration_count < MIN_KEY_CONSIDERATIONS:
            gaps.append(
                _("key considerations (%(count)d of %(needed)d)")
                % {"count": term.consideration_count, "needed": MIN_KEY_CONSIDERATIONS}
            )
        if not term.faq_count:
            gaps.append(_("FAQ"))
        if not term.reference_count:
            gaps.append(_("reference"))
        return ", ".join(str(gap) for gap in gaps) or "—"

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
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("preview/", preview, name="terms_term_preview_new"),
            path("<path:object_id>/preview/", preview, name="terms_term_preview"),
            *self.review_urls(),
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
        with transaction.atomic(), pinned_generation(private_generation()):
            new_term = self.save_form(request, form, change=not adding)
            self.save_model(request, new_term, form, not adding)
            self.save_related(request, form, formsets, not adding)
            page = selectors.term_page(slug=new_term.slug, preview_id=new_term.pk)
            response = render_term_page(request, page, previewing=True, banner=True)
            transaction.set_rollback(True)
        return response

    def response_add(self, request, obj, post_url_continue=None):
        self.warn_about_former_slug(request, obj)
        self.record_schedule_change(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self.warn_about_former_slug(request, obj)
        self.record_schedule_change(request, obj)
        return super().response_change(request, obj)

    def warn_about_former_slug(self, request, term) -> None:
        """After a save (never a preview): the slug saved is another term's old address."""
        warning = former_slug_warning(term.slug, term_id=term.pk, published=term.is_published)
        if warning:
            self.message_user(request, warning, messages.WARNING)

    def view_on_site(self, term):
        return term.get_absolute_url() if term.is_published else None

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
        term = self.get_object(request, unquote(object_id))
        if step_form is None or term is None:
            raise Http404
        if not self.has_change_permission(request, term):
            raise PermissionDenied
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
                reasons = " ".join(getattr(error, "messages", [str(error)]))
                self.message_user(
                    request,
                    _("“%(term)s” was not published: %(reasons)s")
                    % {"term": term.title, "reasons": reasons},
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


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "term_count", "shared_faq_count"]
    list_editable = ["order"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CategoryFAQInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                term_total=_count_of(Term, "category"),
                shared_faq_total=_count_of(FAQ, "category"),
            )
        )

    @admin.display(description=_("terms"), ordering="term_total")
    def term_count(self, category):
        return category.term_total

    @admin.display(description=_("shared FAQs"), ordering="shared_faq_total")
    def shared_faq_count(self, category):
        return category.shared_faq_total


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "year", "cited_by"]
    list_filter = ["year"]
    search_fields = ["title", "publisher", "key", "url"]
    prepopulated_fields = {"key": ["title"]}
    fields = ["title", "publisher", "year", "url", "key"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(citation_total=_count_of(TermReference, "reference"))
        )

    @admin.display(description=_("cited by (terms)"), ordering="citation_total")
    def cited_by(self, reference):
        return reference.citation_total


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    # Content only: who is told of new inquiries is the Advisory team's (advisory's
    # LeadRoutingAdmin), never the Editors'.
    fields = ["organisation_name", "default_cta_heading", "default_cta_body"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        settings = SiteSettings.load()
        return HttpResponseRedirect(reverse("admin:terms_sitesettings_change", args=[settings.pk]))
