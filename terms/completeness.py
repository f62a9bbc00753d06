"""What an entry is missing: the seven parts of an entry and when each counts as there.

One set of rules, two forms that agree (tests/terms/test_completeness.py): a ``Q`` per
part on the counts ``annotate_completeness`` adds (the term list's column, filter and
score, and the admin index's counts), and the same test in Python on a term (the term
form's panel, and the list's column on an annotated row).

A text part is there when it holds anything but white space. Only the entry's own FAQs
count: a category's shared FAQs are the same on every term of it and say nothing about
this one.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import add, or_

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import FAQ, KeyConsideration, Term, TermReference

MIN_KEY_CONSIDERATIONS = 3
# Anything but white space; the same pattern in SQL (REGEXP on SQLite, ~ on PostgreSQL).
HAS_TEXT = r"\S"


def count_of(rows, fk_name: str):
    """A subquery counting the ``rows`` (a manager or queryset) whose ``fk_name`` points at
    the outer row."""
    rows = (
        rows.filter(**{fk_name: OuterRef("pk")})
        .order_by()
        .values(fk_name)
        .annotate(total=Count("*"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@dataclass(frozen=True)
class Facts:
    """What the rules look at in one term."""

    definition: str
    summary: str
    why_it_matters: str
    consideration_count: int
    faq_count: int
    reference_count: int
    related_count: int


def facts_of(term: Term) -> Facts:
    """The term's facts: from the counts ``annotate_completeness`` added, else counted
    (one query each; the term form's single term)."""

    def counted(annotation: str, model, fk_name: str) -> int:
        value = getattr(term, annotation, None)
        if value is not None:
            return value
        return model.objects.filter(**{fk_name: term.pk}).count() if term.pk else 0

    return Facts(
        definition=term.definition,
        summary=term.summary,
        why_it_matters=term.why_it_matters,
        consideration_count=counted("consideration_count", KeyConsideration, "term"),
        faq_count=counted("faq_count", FAQ, "term"),
        reference_count=counted("reference_count", TermReference, "term"),
        related_count=counted("related_count", Term.related.through, "from_term"),
    )


def _has_text(text: str) -> bool:
    return re.search(HAS_TEXT, text) is not None


@dataclass(frozen=True)
class Part:
    key: str  # also the value of the term list's "missing" filter for this part
    label: str  # in the list's "missing" column
    filter_label: str  # in the list's "missing content" filter
    is_there: Callable[[Facts], bool]
    missing: Q  # the same rule on an annotate_completeness queryset
    to_do: Callable[[Facts], str]  # what the editor should do, when it is missing
    shortfall: Callable[[Facts], str] = lambda facts: ""  # "(2 of 3)" in the list column


def _text_part(key: str, field: str, label, filter_label, to_do) -> Part:
    return Part(
        key=key,
        label=label,
        filter_label=filter_label,
        is_there=lambda facts: _has_text(getattr(facts, field)),
        missing=~Q(**{f"{field}__regex": HAS_TEXT}),
        to_do=lambda facts: str(to_do),
    )


PARTS: list[Part] = [
    _text_part(
        "definition",
        "definition",
        _("definition"),
        _("No definition"),
        _("Write the definition: what the term means, in a paragraph or more."),
    ),
    _text_part(
        "summary",
        "summary",
        _("summary"),
        _("No summary"),
        _("Write a summary: one or two plain sentences for lists and search results."),
    ),
    _text_part(
        "why",
        "why_it_matters",
        _("why it matters"),
        _("No “why it matters”"),
        _("Write “why it matters for business”: one paragraph on what it changes for a business."),
    ),
    Part(
        key="considerations",
        label=_("key considerations"),
        filter_label=format_lazy(
            _("Fewer than {needed} key considerations"), needed=MIN_KEY_CONSIDERATIONS
        ),
        is_there=lambda facts: facts.consideration_count >= MIN_KEY_CONSIDERATIONS,
        missing=Q(consideration_count__lt=MIN_KEY_CONSIDERATIONS),
        to_do=lambda facts: str(
            _("Add at least %(needed)d key considerations (%(count)d so far).")
            % {"needed": MIN_KEY_CONSIDERATIONS, "count": facts.consideration_count}
        ),
        shortfall=lambda facts: f"({facts.consideration_count} of {MIN_KEY_CONSIDERATIONS})",
    ),
    Part(
        key="faq",
        label=_("FAQ"),
        filter_label=_("No FAQ of its own"),
        is_there=lambda facts: facts.faq_count > 0,
        missing=Q(faq_count=0),
        to_do=lambda facts: str(
            _("Add at least one common question of this term's own (shared ones do not count).")
        ),
    ),
    Part(
        key="reference",
        label=_("reference"),
        filter_label=_("No reference"),
        is_there=lambda facts: facts.reference_count > 0,
        missing=Q(reference_count=0),
        to_do=lambda facts: str(_("Cite at least one reference.")),
    ),
    Part(
        key="related",
        label=_("related terms"),
        filter_label=_("No related terms"),
        is_there=lambda facts: facts.related_count > 0,
        missing=Q(related_count=0),
        to_do=lambda facts: str(_("Pick at least one related term.")),
    ),
]
PARTS_BY_KEY = {part.key: part for part in PARTS}
PART_TOTAL = len(PARTS)

ANYTHING_MISSING = reduce(or_, (part.missing for part in PARTS))


def annotate_completeness(queryset):
    """The counts the rules read, and ``completeness_score``: how many parts are there."""
    counted = queryset.annotate(
        consideration_count=count_of(KeyConsideration.objects, "term"),
        faq_count=count_of(FAQ.objects, "term"),
        reference_count=count_of(TermReference.objects, "term"),
        related_count=count_of(Term.related.through.objects, "from_term"),
    )
    there = [
        Case(When(part.missing, then=Value(0)), default=Value(1), output_field=IntegerField())
        for part in PARTS
    ]
    return counted.annotate(completeness_score=reduce(add, there))


def missing_parts(term: Term) -> list[Part]:
    facts = facts_of(term)
    return [part for part in PARTS if not part.is_there(facts)]


@dataclass(frozen=True)
class Completeness:
    """One term's parts: which are there, which are missing and what to do about each."""

    there: list[Part]
    missing: list[tuple[Part, str]]  # (part, what to do)

    @property
    def score(self) -> int:
        return len(self.there)

    @property
    def total(self) -> int:
        return PART_TOTAL

    def __str__(self) -> str:
        return f"{self.score}/{self.total}"


def completeness_of(term: Term) -> Completeness:
    facts = facts_of(term)
    return Completeness(
        there=[part for part in PARTS if part.is_there(facts)],
        missing=[(part, part.to_do(facts)) for part in PARTS if not part.is_there(facts)],
    )


def missing_summary(term: Term) -> str:
    """The term list's "missing" column: "why it matters, key considerations (2 of 3)"."""
    facts = facts_of(term)
    gaps = [
        " ".join(filter(None, [str(part.label), part.shortfall(facts)]))
        for part in PARTS
        if not part.is_there(facts)
    ]
    return ", ".join(gaps) or "—"
