from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    URLValidator,
)
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .markdown import render_markdown
from .term_links import store_term_links
from .text import (
    CTA_BODY_MAX_LENGTH,
    CTA_HEADING_MAX_LENGTH,
    fill_term,
    folded_words,
    has_control_characters,
    markdown_literal,
    validate_cta_template,
    validate_one_line,
)

REFERENCE_YEAR_MIN = 1900
# The database can only hold a fixed bound; validation holds the tighter "next year".
REFERENCE_YEAR_DB_MAX = 2100


def normalize_text(text: str) -> str:
    """Fold case and white space, so "Audit  the model" and "audit the model " compare equal."""
    return " ".join(text.split()).casefold()


def index_letter(title: str) -> str:
    """The A–Z index entry of a title: its first letter, "0-9" for a digit, else "#"."""
    first = title.strip()[:1].upper()
    if first.isdigit():
        return "0-9"
    if "A" <= first <= "Z":
        return first
    return "#"


def validate_reference_year(year: int) -> None:
    latest = timezone.now().year + 1
    if not REFERENCE_YEAR_MIN <= year <= latest:
        raise ValidationError(
            _("Enter a year between %(first)s and %(last)s."),
            code="year_out_of_range",
            params={"first": REFERENCE_YEAR_MIN, "last": latest},
        )


# A published entry is "due for review" this many days before its review-by date.
REVIEW_DUE_DAYS = 30

HTTP_URL_MESSAGE = _("Enter a full web address starting with http:// or https://.")
validate_http_url = URLValidator(schemes=["http", "https"], message=HTTP_URL_MESSAGE)


class HttpURLFormField(forms.URLField):
    default_validators = [validate_http_url]
    default_error_messages = {"invalid": HTTP_URL_MESSAGE}


class HttpURLField(models.URLField):
    """A web address readers can open: http or https only, with one clear message."""

    default_validators = [validate_http_url]

    def formfield(self, **kwargs):
        return super().formfield(
            **{"form_class": HttpURLFormField, "assume_scheme": "https", **kwargs}
        )


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        abstract = True


class Category(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(
        _("slug"),
        max_length=120,
        unique=True,
        help_text=_("Part of the web address, e.g. interpretability-explainability."),
    )
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("Markdown. Shown at the top of the category's page."),
    )
    order = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("Lower numbers come first in menus and indexes.")
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("terms:category_detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        errors = store_term_links(self, ["description"])
        if errors:
            raise ValidationError(errors)


class TermQuerySet(models.QuerySet):
    def published(self):
        """The one definition of what the public may see.

        A working copy is never published (publishing it writes it onto its live entry),
        and a scheduled change is written to the stored status at its time, by the first
        request or the worker to see that time pass (terms.schedules), so the stored
        status is the whole answer.
        """
        return self.filter(status=Term.Status.PUBLISHED)

    def entries(self):
        """Glossary entries: every term but the working copies of live ones."""
        return self.filter(draft_of__isnull=True)

    def in_category(self, category):
        return self.filter(category=category)

    def due_for_review(self, today):
        """Published entries whose review-by date falls in the next REVIEW_DUE_DAYS days
        (today included); the admin's "due for review" filter and the index count."""
        return self.published().filter(
            review_by__gte=today, review_by__lte=today + timedelta(days=REVIEW_DUE_DAYS)
        )

    def overdue_for_review(self, today):
        """Published entries whose review-by date has passed."""
        return self.published().filter(review_by__lt=today)

    def awaiting_review(self):
        """Entries in review, or whose working copy is (the Publishers' to-do list)."""
        return self.filter(Q(status="review") | Q(working_copy__status="review"))

    def scheduled(self):
        """Entries due to go live or come down by themselves (or whose working copy is)."""
        return self.filter(
            Q(status="scheduled")
            | Q(working_copy__status="scheduled")
            | Q(take_down_at__isnull=False)
            | Q(working_copy__take_down_at__isnull=False)
        )


class Term(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Source(models.TextChoices):
        """Where a change came from, for revisions and the audit log."""

        ADMIN = "admin", _("admin")
        API = "api", _("API")
        COMMAND = "command", _("command")
        IMPORT = "import", _("import")
        SCHEDULE = "schedule", _("schedule")

    title = models.CharField(_("title"), max_length=200)
    # Unique among entries (Meta.constraints): a working copy shares its entry's slug.
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        help_text=_("Part of the web address, e.g. mechanistic-interpretability."),
    )
    aliases = models.TextField(
        _("aliases"),
        blank=True,
        help_text=_("Other names readers search for, one per line, e.g. “mech interp”."),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="terms", verbose_name=_("category")
    )
    summary = models.CharField(
        _("summary"),
        max_length=300,
        blank=True,
        help_text=_("One or two plain sentences shown in lists and search results."),
    )
    definition = models.TextField(
        _("definition"), blank=True, help_text=_("Markdown. One or more paragraphs.")
    )
    why_it_matters = models.TextField(
        _("why it matters for business"), blank=True, help_text=_("Markdown. One paragraph.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    in_development = models.BooleanField(
        _("content in development"),
        default=False,
        help_text=_("Shows readers a note that this entry is still being developed."),
    )
    published_at = models.DateTimeField(
        _("first published"),
        null=True,
        blank=True,
        help_text=_("Filled in automatically when the term is first published."),
    )
    draft_of = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="working_copy",
        verbose_name=_("working copy of"),
        help_text=_(
            "Set on the working copy of a live entry: its changes, kept apart from what "
            "readers see until they are published onto the entry."
        ),
    )
    go_live_at = models.DateTimeField(
        _("go live at"),
        null=True,
        blank=True,
        help_text=_("When a scheduled term (or working copy) is published by itself."),
    )
    take_down_at = models.DateTimeField(
        _("take down at"),
        null=True,
        blank=True,
        help_text=_("When a published term is archived by itself."),
    )
    review_by = models.DateField(
        _("review by"),
        null=True,
        blank=True,
        help_text=_(
            "When the entry should next be checked; set on publishing from the review "
            "interval in site settings."
        ),
    )
    reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True, editable=False)
    related = models.ManyToManyField(
        "self", symmetrical=False, blank=True, verbose_name=_("related terms")
    )
    cta_heading = models.CharField(
        _("call-to-action heading"),
        max_length=CTA_HEADING_MAX_LENGTH,
        blank=True,
        validators=[validate_cta_template],
        help_text=_(
            "Leave empty for the site-wide default, “Need help implementing {term}?”. "
            "{term} is replaced by the title; no other braces."
        ),
    )
    cta_body = models.TextField(
        _("call-to-action text"),
        blank=True,
        # Checked, not stored differently: the column stays as it is.
        validators=[validate_cta_template, MaxLengthValidator(CTA_BODY_MAX_LENGTH)],
        help_text=_(
            "Markdown. Leave empty for the site-wide default pitch. At most 1,000 characters; "
            "{term} is replaced by the title, no other braces."
        ),
    )
    # Derived in save(): the A–Z index letter and the sanitised HTML of the Markdown.
    letter = models.CharField(max_length=3, editable=False, default="")
    definition_html = models.TextField(editable=False, default="")
    why_it_matters_html = models.TextField(editable=False, default="")

    DERIVED_FIELDS = ("letter", "definition_html", "why_it_matters_html", "published_at")
    MARKDOWN_FIELDS = ("definition", "why_it_matters", "cta_body")

    objects = TermQuerySet.as_manager()

    class Meta:
        ordering = [Lower("title")]
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        permissions = [("publish_term", _("Can publish terms"))]
        # Each public list order and filter is served by an index, not a sort of the table.
        indexes = [
            models.Index("status", Lower("title"), name="term_status_title"),
            models.Index("status", "letter", Lower("title"), name="term_status_letter_title"),
            models.Index("category", "status", Lower("title"), name="term_category_status_title"),
            models.Index(fields=["status", "updated_at"], name="term_status_updated"),
            models.Index(fields=["status", "published_at"], name="term_status_published"),
            # The next scheduled change (terms.schedules), asked once per content change.
            models.Index(
                fields=["go_live_at"], condition=Q(go_live_at__isnull=False), name="term_go_live_at"
            ),
            models.Index(
                fields=["take_down_at"],
                condition=Q(take_down_at__isnull=False),
                name="term_take_down_at",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"],
                condition=Q(draft_of__isnull=True),
                name="term_slug_unique",
                violation_error_message=_("Another term already has this slug."),
            ),
            models.UniqueConstraint(
                Lower("title"),
                condition=Q(draft_of__isnull=True),
                name="term_title_unique_ignoring_case",
                violation_error_message=_("Another term already has this title."),
            ),
            models.CheckConstraint(
                condition=Q(draft_of__isnull=True) | ~Q(status="published"),
                name="term_working_copy_never_published",
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(go_live_at__isnull=False),
                name="term_scheduled_has_go_live_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | ~Q(definition=""),
                name="term_published_has_definition",
                violation_error_message=_("A published term needs a definition."),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="term_published_has_published_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.stamp_first_publication()
        self.letter = index_letter(self.title)
        self.definition_html = render_markdown(self.definition)
        self.why_it_matters_html = render_markdown(self.why_it_matters)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *self.DERIVED_FIELDS}
        adding = self._state.adding
        super().save(*args, **kwargs)
        if self.is_working_copy:
            return  # its names and address are its entry's until it is published onto it
        if update_fields is None or {"title", "aliases"} & set(update_fields):
            self.sync_names()
        if update_fields is None or "slug" in update_fields:
            self.remember_former_slug(adding=adding)

    def get_absolute_url(self) -> str:
        return reverse("terms:term_detail", kwargs={"slug": self.slug})

    @classmethod
    def from_db(cls, db, field_names, values):
        term = super().from_db(db, field_names, values)
        term._stored_slug = term.__dict__.get("slug")
        return term

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        # The slug just read is the stored one, as in from_db: without this a term reloaded
        # after a rename elsewhere would remember the wrong former slug when renamed again.
        if "slug" in self.__dict__ and (fields is None or "slug" in fields):
            self._stored_slug = self.slug

    def remember_former_slug(self, *, adding: bool) -> None:
        """Keep the old address of a renamed term working: it answers 301 while the term
        is published (terms.selectors.current_slug).

        A former slug belongs to the public. Another term may take it as its slug, but the
        record stays: readers see that term at the address only while it is published
        (terms.selectors.term_page comes first), and the redirect is back as soon as it is
        not, or is deleted. A term leaving a slug that already redirects to another term
        takes the redirect over only if it is published: readers knew the address as this
        term's then, while a draft's slug was never theirs.
        """
        stored = getattr(self, "_stored_slug", None)
        if not adding and stored == self.slug:
            return
        if not adding:
            # Renamed back to a slug it had: that is its address again, not a redirect.
            FormerSlug.objects.filter(slug=self.slug, term=self).delete()
        if stored and stored != self.slug:
            former, created = FormerSlug.objects.get_or_create(slug=stored, defaults={"term": self})
            if not created and former.term_id != self.pk and self.is_published:
                former.term = self
                former.save(update_fields=["term"])
        self._stored_slug = self.slug

    def stamp_first_publication(self) -> None:
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()

    def names(self) -> list[str]:
        return [self.title, *self.alias_list] if self.title else self.alias_list

    def sync_names(self) -> None:
        """Keep this term's rows in TermName equal to its title and aliases."""
        wanted = {normalize_text(name) for name in self.names()}
        stored = set(self.name_keys.values_list("key", flat=True))
        if stored - wanted:
            self.name_keys.filter(key__in=stored - wanted).delete()
        TermName.objects.bulk_create(TermName.of(self, key) for key in wanted - stored)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_working_copy(self) -> bool:
        return self.draft_of_id is not None

    def current_working_copy(self) -> "Term | None":
        """This entry's working copy, if it has one (read afresh, never a cached relation)."""
        return Term.objects.filter(draft_of=self).first()

    @property
    def entry_id(self) -> int | None:
        """The id of the glossary entry this term is (or is the working copy of)."""
        return self.draft_of_id or self.pk

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]

    def set_aliases(self, aliases: list[str]) -> None:
        """Store aliases one per line, dropping blanks, repeats and the term's own title."""
        kept: list[str] = []
        seen = {normalize_text(self.title)}
        for alias in aliases:
            alias = " ".join(alias.split())
            if alias and normalize_text(alias) not in seen:
                seen.add(normalize_text(alias))
                kept.append(alias)
        self.aliases = "\n".join(kept)

    def clean(self) -> None:
        self.title = " ".join(self.title.split())
        self.set_aliases(self.alias_list)
        errors: dict[str, list] = {}
        # The title reaches email subjects: white space is folded above, anything else
        # that is not text is refused.
        if has_control_characters(self.title):
            errors.setdefault("title", []).append(
                ValidationError(
                    _("The title cannot contain control characters."), code="control_characters"
                )
            )

        taken = dict(
            TermName.objects.filter(key__in=[normalize_text(name) for name in self.names()])
            .exclude(term_id__in=[pk for pk in (self.pk, self.draft_of_id) if pk])
            .values_list("key", "term__title")
        )
        title_owner = taken.get(normalize_text(self.title)) if self.title else None
        if title_owner and normalize_text(title_owner) == normalize_text(self.title):
            errors.setdefault("title", []).append(
                ValidationError(_("Another term already has this title."), code="duplicate_title")
            )
        elif title_owner:
            errors.setdefault("title", []).append(
                ValidationError(
                    _("“%(title)s” is already an alias of “%(other)s”."),
                    code="title_is_alias",
                    params={"title": self.title, "other": title_owner},
                )
            )
        for alias in self.alias_list:
            if normalize_text(alias) in taken:
                errors.setdefault("aliases", []).append(
                    ValidationError(
                        _("“%(alias)s” already names another term: “%(other)s”."),
                        code="alias_taken",
                        params={"alias": alias, "other": taken[normalize_text(alias)]},
                    )
                )

        other_entries = Term.objects.entries().exclude(pk=self.draft_of_id)
        if self.is_working_copy and other_entries.filter(slug=self.slug).exists():
            errors.setdefault("slug", []).append(
                ValidationError(_("Another term already has this slug."), code="unique")
            )

        self.stamp_first_publication()
        if self.status == self.Status.PUBLISHED and not self.definition.strip():
            errors.setdefault("definition", []).append(
                ValidationError(
                    _("A published term needs a definition. Write one, or keep it as a draft."),
                    code="published_without_definition",
                )
            )
        for name, messages in store_term_links(
            self, self.MARKDOWN_FIELDS, itself=(self.pk, self.draft_of_id)
        ).items():
            errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)


class FormerSlug(models.Model):
    """A slug a term had before it was renamed: its old address redirects to the new one
    while the term is published and no published term has that slug now."""

    slug = models.SlugField(max_length=200, unique=True)
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="former_slugs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("former slug")

    def __str__(self) -> str:
        return self.slug


class TermName(models.Model):
    """Every title and alias, folded, once across the glossary: the database refuses an
    alias that is already another term's title or alias."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="name_keys")
    key = models.CharField(max_length=300, unique=True)
    # Derived from the key, for suggest-as-you-type (terms.search.suggest): the key's
    # words with accents and punctuation gone ("fine tuning"), and the same without
    # spaces ("finetuning"). Indexed on PostgreSQL by migration 0022.
    folded = models.CharField(max_length=300, default="", editable=False)
    compact = models.CharField(max_length=300, default="", editable=False)

    class Meta:
        ordering = ["key"]
        verbose_name = _("term name")

    def __str__(self) -> str:
        return self.key

    @classmethod
    def of(cls, term: Term, key: str) -> "TermName":
        """The row for one of ``term``'s names (its ``normalize_text`` key), derived
        columns filled in: the only way rows are made (bulk_create skips save())."""
        folded = folded_words(key)
        return cls(term=term, key=key, folded=folded, compact=folded.replace(" ", ""))


class TermSearch(models.Model):
    """A published term's search vectors, written by PostgreSQL triggers (migrations 0008,
    0010 and 0012); a term that is not published has no row, so no search can find it.

    The table exists everywhere, so that Django manages it like any other; only
    PostgreSQL fills it (SQLite searches with a plain fallback).

    "head" holds the title and aliases (weight A) and the summary (B) and decides the
    ranking; "body" holds the definition, which makes a term match but ranks it last.
    "sort_title" (the lower-cased title) is a copy, so that search can rank and order
    thousands of matches on these short rows alone.

    The same triggers keep the spelling lexicon (terms_search_word, PostgreSQL only): each
    word the published terms use, with the number of published terms using it.
    """

    term = models.OneToOneField(
        Term, primary_key=True, on_delete=models.DO_NOTHING, related_name="search"
    )
    head = SearchVectorField()
    body = SearchVectorField()
    sort_title = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "terms_term_search"

    def __str__(self) -> str:
        return str(self.term_id)


class OrderedItem(models.Model):
    position = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("Lower numbers come first.")
    )

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class KeyConsideration(OrderedItem):
    term = models.ForeignKey(
        Term, on_delete=models.CASCADE, related_name="key_considerations", verbose_name=_("term")
    )
    text = models.CharField(_("consideration"), max_length=500)
    # Derived from text in save(), so the database itself refuses a repeated bullet.
    normalized_text = models.CharField(max_length=500, editable=False)

    class Meta(OrderedItem.Meta):
        verbose_name = _("key consideration")
        verbose_name_plural = _("key considerations")
        constraints = [
            models.UniqueConstraint(
                fields=["term", "normalized_text"],
                name="key_consideration_unique_per_term",
                violation_error_message=_("This key consideration is already listed."),
            ),
        ]

    def __str__(self) -> str:
        return self.text

    def save(self, *args, **kwargs) -> None:
        self.normalized_text = normalize_text(self.text)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.text = " ".join(self.text.split())
        self.normalized_text = normalize_text(self.text)


class FAQ(OrderedItem):
    term = models.ForeignKey(
        Term,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="faqs",
        verbose_name=_("term"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="shared_faqs",
        verbose_name=_("category"),
        help_text=_("A category's FAQs appear on every term in it."),
    )
    # blank=True so that clean() can say what is missing in words an editor understands;
    # the database still refuses an empty question or answer.
    question = models.CharField(_("question"), max_length=300, blank=True)
    answer = models.TextField(_("answer"), blank=True, help_text=_("Markdown."))
    answer_html = models.TextField(editable=False, default="")

    class Meta(OrderedItem.Meta):
        verbose_name = _("FAQ")
        verbose_name_plural = _("FAQs")
        constraints = [
            models.CheckConstraint(
                condition=(Q(term__isnull=False) & Q(category__isnull=True))
                | (Q(term__isnull=True) & Q(category__isnull=False)),
                name="faq_has_exactly_one_owner",
                violation_error_message=_("An FAQ belongs to a term or to a category, not both."),
            ),
            models.CheckConstraint(
                condition=~Q(question="") & ~Q(answer=""),
                name="faq_has_question_and_answer",
                violation_error_message=_("An FAQ needs both a question and an answer."),
            ),
        ]

    def __str__(self) -> str:
        return self.question

    def save(self, *args, **kwargs) -> None:
        self.answer_html = render_markdown(self.answer)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # An inline on an unsaved term sets the relation before the term has an id.
        has_term = self.term_id is not None or self.term is not None
        has_category = self.category_id is not None or self.category is not None
        errors = {}
        if has_term == has_category:
            errors[NON_FIELD_ERRORS] = ValidationError(
                _("An FAQ belongs to a term or to a category, not both."), code="faq_owner"
            )
        if not self.question.strip():
            errors["question"] = ValidationError(
                _("Every FAQ needs a question. Write the question this answer responds to."),
                code="faq_without_question",
            )
        if not self.answer.strip():
            errors["answer"] = ValidationError(
                _("Every FAQ needs an answer. Write one, or remove the question."),
                code="faq_without_answer",
            )
        else:
            itself = (self.term.pk, self.term.draft_of_id) if self.term is not None else ()
            errors |= store_term_links(self, ["answer"], itself=itself)
        if errors:
            raise ValidationError(errors)


class Reference(TimeStampedModel):
    key = models.SlugField(
        _("key"),
        max_length=120,
        unique=True,
        help_text=_("Short identifier used by imports, e.g. nist-ai-rmf-1-0."),
    )
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(
        _("publishing organisation"),
        max_length=200,
        blank=True,
        help_text=_("e.g. National Institute of Standards and Technology (NIST)."),
    )
    year = models.PositiveSmallIntegerField(
        _("year"),
        null=True,
        blank=True,
        validators=[validate_reference_year],
    )
    url = HttpURLField(
        _("web address"),
        max_length=500,
        blank=True,
        help_text=_("Where readers can view the source, e.g. https://www.nist.gov/…"),
    )

    class Meta:
        ordering = ["title"]
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        constraints = [
            models.CheckConstraint(
                condition=Q(year__isnull=True)
                | Q(year__gte=REFERENCE_YEAR_MIN, year__lte=REFERENCE_YEAR_DB_MAX),
                name="reference_year_in_range",
                violation_error_message=_("The year is out of range."),
            ),
            models.CheckConstraint(
                condition=Q(url="") | Q(url__startswith="http://") | Q(url__startswith="https://"),
                name="reference_url_is_http",
                violation_error_message=_("The web address must start with http:// or https://."),
            ),
            models.UniqueConstraint(
                fields=["url"],
                condition=~Q(url=""),
                name="reference_url_unique",
                violation_error_message=_("Another reference has this web address."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def clean(self) -> None:
        if self.url:
            same_url = Reference.objects.exclude(pk=self.pk).filter(url=self.url).first()
            if same_url:
                raise ValidationError(
                    {
                        "url": ValidationError(
                            _("“%(other)s” already has this web address. Cite that reference."),
                            code="duplicate_url",
                            params={"other": same_url},
                        )
                    }
                )


class TermReference(OrderedItem):
    term = models.ForeignKey(
        Term, on_delete=models.CASCADE, related_name="citations", verbose_name=_("term")
    )
    reference = models.ForeignKey(
        Reference, on_delete=models.PROTECT, related_name="citations", verbose_name=_("reference")
    )

    class Meta(OrderedItem.Meta):
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        constraints = [
            models.UniqueConstraint(
                fields=["term", "reference"],
                name="term_cites_reference_once",
                violation_error_message=_("This reference is already cited by the term."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.reference)


class SiteSettings(models.Model):
    """The one site-wide content settings record (primary key 1), the Editors' to change.

    Who is told of new inquiries is not here: that is the Advisory team's
    (advisory.models.LeadRouting).
    """

    organisation_name = models.CharField(
        _("organisation name"),
        max_length=200,
        default="AI Advisory",
        validators=[validate_one_line],
        help_text=_(
            "One line, e.g. “Northwind Advisory”: it is shown in the footer, in the consent "
            "wording and in the subject of the email visitors get."
        ),
    )
    default_cta_heading = models.CharField(
        _("default call-to-action heading"),
        max_length=CTA_HEADING_MAX_LENGTH,
        default="Need help implementing {term}?",
        validators=[validate_cta_template],
        help_text=_(
            "{term} is replaced by the term's title, e.g. “Need help implementing {term}?”; "
            "no other braces."
        ),
    )
    default_cta_body = models.TextField(
        _("default call-to-action text"),
        max_length=CTA_BODY_MAX_LENGTH,
        default=(
            "Our advisory team helps businesses adopt AI strategically. "
            "Let's discuss how {term} fits into your AI roadmap."
        ),
        # A TextField's max_length binds the form only; the validator binds the model too.
        validators=[validate_cta_template, MaxLengthValidator(CTA_BODY_MAX_LENGTH)],
        help_text=_(
            "Markdown. At most 1,000 characters. {term} is replaced by the term's title; "
            "no other braces."
        ),
    )

    review_interval_months = models.PositiveSmallIntegerField(
        _("review interval (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_(
            "How long after publishing (or the last review) an entry is due to be checked."
        ),
    )

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="site_settings_single_row"),
        ]

    def __str__(self) -> str:
        return str(_("Site settings"))

    def clean(self) -> None:
        errors = store_term_links(self, ["default_cta_body"])
        if errors:
            raise ValidationError(errors)

    @classmethod
    def load(cls) -> "SiteSettings":
        settings, _created = cls.objects.get_or_create(pk=1)
        return settings

    def call_to_action(self, term: Term) -> tuple[str, str]:
        """The heading and text that close a term's page: the term's own, else the default,
        with {term} replaced by its title (plain replacement: the wording is not code)."""
        heading = fill_term(term.cta_heading or self.default_cta_heading, term.title)
        body = fill_term(term.cta_body or self.default_cta_body, term.title)
        return heading, body

    def call_to_action_markdown(self, term: Term) -> str:
        """The Markdown of the text that closes a term's page: its title written in as
        literal text (a title such as "C* algebra" is no emphasis)."""
        return fill_term(term.cta_body or self.default_cta_body, markdown_literal(term.title))


class TermRevision(models.Model):
    """What a django-reversion revision of a term was: the entry it belongs to (a working
    copy's revisions belong to its live entry, so one history shows both), whether it was
    of the working copy, and where the change came from. Made by terms.revisions."""

    revision = models.OneToOneField(
        "reversion.Revision", on_delete=models.CASCADE, related_name="term_revision"
    )
    entry = models.ForeignKey(
        Term, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("term")
    )
    of_working_copy = models.BooleanField(_("of the working copy"), default=False)
    source = models.CharField(_("source"), max_length=20, choices=Term.Source.choices)

    class Meta:
        ordering = ["-revision__date_created", "-pk"]
        verbose_name = _("term revision")

    def __str__(self) -> str:
        return f"{self.entry_id} @ {self.revision_id}"


class ReviewNote(models.Model):
    """A step of an entry's review: submitted (with the editor's message), changes
    requested (with the publisher's comment, shown on the term), approved."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("submitted for review")
        CHANGES_REQUESTED = "changes_requested", _("changes requested")
        APPROVED = "approved", _("approved")

    entry = models.ForeignKey(
        Term, on_delete=models.CASCADE, related_name="review_notes", verbose_name=_("term")
    )
    kind = models.CharField(_("step"), max_length=20, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    text = models.TextField(_("message"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("review note")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.entry_id}"


class AuditEntry(models.Model):
    """One change of content state: who (a user, or a command or API key by name), when,
    what and from where. Written by terms.audit.audit_record, never changed afterwards."""

    class Action(models.TextChoices):
        CREATE = "create", _("create")
        EDIT = "edit", _("edit")
        SUBMIT = "submit", _("submit for review")
        APPROVE = "approve", _("approve")
        REQUEST_CHANGES = "request_changes", _("request changes")
        PUBLISH = "publish", _("publish")
        UNPUBLISH = "unpublish", _("unpublish")
        ARCHIVE = "archive", _("archive")
        SCHEDULE = "schedule", _("schedule")
        RESTORE = "restore", _("restore")
        DISCARD = "discard", _("discard working copy")
        REVIEW = "review", _("review")
        DELETE = "delete", _("delete")
        IMPORT = "import", _("import")
        EXPORT = "export", _("export")
        SETTINGS = "settings", _("site settings change")

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    actor_name = models.CharField(
        _("who"), max_length=200, help_text=_("The user name, or the command or API key.")
    )
    source = models.CharField(_("from"), max_length=20, choices=Term.Source.choices)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    target_type = models.CharField(_("what"), max_length=50)
    target_id = models.CharField(_("id"), max_length=50, blank=True)
    target_repr = models.CharField(_("name"), max_length=300, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_repr}"
        )


class SearchCount(models.Model):
    """How often readers searched for one query on one day (terms/search/counting.py).

    Only the normalised query, the day, the number of searches and the result count of
    the day's latest search: nothing about who searched (no address, user, cookie or
    session). "Found" is that latest count, so a query that found nothing until an editor
    wrote the term stops being a search without results on the day it finds it.
    """

    QUERY_MAX_LENGTH = 100

    query = models.CharField(_("search"), max_length=QUERY_MAX_LENGTH)
    day = models.DateField(_("day"))
    searches = models.PositiveIntegerField(_("times searched"), default=0)
    results = models.PositiveIntegerField(
        _("results"), default=0, help_text=_("What the day's latest search found.")
    )

    class Meta:
        verbose_name = _("search")
        verbose_name_plural = _("searches")
        constraints = [
            models.UniqueConstraint(fields=["query", "day"], name="search_count_query_day")
        ]
        indexes = [models.Index(fields=["day"], name="search_count_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.query} ×{self.searches}"


class ContentChangeRecord(models.Model):
    """One transaction's change to what the public sees, kept until it has been announced
    (terms/changes.py): written in the transaction that changes content, so it commits or
    rolls back with the change, and announced after the commit, by the process that
    committed or, if that failed or died, by the worker's sweep."""

    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=20, choices=Term.Source.choices, default="admin")
    # What the public saw before the change: term id -> fingerprint (None: not public).
    terms_before = models.JSONField(default=dict)
    categories_before = models.JSONField(default=dict)
    settings_changed = models.BooleanField(default=False)
    # What a writer that bypasses model signals (the importer) reported itself.
    reported = models.JSONField(null=True, blank=True)
    announced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["announced_at", "created_at"], name="content_change_due")]

    def __str__(self) -> str:
        return f"content change {self.pk} ({self.source}, {self.created_at:%Y-%m-%d %H:%M:%S})"
