"""Writing checks: advice beyond the rules the admin enforces, shown as warnings on the term
form. Saving is always allowed; each warning says what to do.

Each check is a pure function of an ``EntryText`` (no database), returning its warning or
``None``; ``entry_text`` reads one from a saved term.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Term, normalize_text

MIN_DEFINITION_WORDS = 40
MAX_SUMMARY_CHARACTERS = 160  # search engines cut longer snippets
SIMILAR_CONSIDERATIONS = 0.8  # difflib ratio of the normalised texts
MAX_REFERENCE_AGE_YEARS = 5

# Words that show "why it matters" speaks to a business. Each is a word start, matched
# case-insensitively, so "cost" covers "costs" and "costly", "regulat" "regulation" and
# "regulatory"; "roi" is a whole word.
BUSINESS_WORD_STARTS = [
    "budget",
    "competi",
    "complian",
    "cost",
    "customer",
    "efficien",
    "growth",
    "invest",
    "liabilit",
    "margin",
    "market",
    "productiv",
    "profit",
    "regulat",
    "reputation",
    "revenue",
    "risk",
    "sales",
    "saving",
]
BUSINESS_WORDS = re.compile(
    r"\b(?:roi\b|" + "|".join(map(re.escape, BUSINESS_WORD_STARTS)) + ")", re.IGNORECASE
)
WORD = re.compile(r"\w+(?:['’-]\w+)*")


@dataclass(frozen=True)
class Citation:
    title: str
    year: int | None


@dataclass(frozen=True)
class EntryText:
    """What the checks read of one entry."""

    definition: str = ""
    summary: str = ""
    why_it_matters: str = ""
    considerations: tuple[str, ...] = ()
    faq_questions: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()
    related_count: int = 0
    fast_moving: bool = True
    this_year: int = 2000


def entry_text(term: Term) -> EntryText:
    """The saved term's text, its own FAQs and citations (a handful of queries)."""
    return EntryText(
        definition=term.definition,
        summary=term.summary,
        why_it_matters=term.why_it_matters,
        considerations=tuple(term.key_considerations.values_list("text", flat=True)),
        faq_questions=tuple(term.faqs.values_list("question", flat=True)),
        citations=tuple(
            Citation(title=title, year=year)
            for title, year in term.citations.values_list("reference__title", "reference__year")
        ),
        related_count=term.related.count(),
        fast_moving=term.category.slug not in settings.SLOW_MOVING_CATEGORIES,
        this_year=timezone.localdate().year,
    )


def word_count(text: str) -> int:
    return len(WORD.findall(text))


def definition_too_short(entry: EntryText) -> str | None:
    words = word_count(entry.definition)
    if words >= MIN_DEFINITION_WORDS:
        return None
    return _(
        "The definition has %(words)d words; readers need at least %(needed)d to understand "
        "the term. Say what it is, what it is for, and give an example."
    ) % {"words": words, "needed": MIN_DEFINITION_WORDS}


def why_it_matters_names_no_business_value(entry: EntryText) -> str | None:
    if not entry.why_it_matters.strip() or BUSINESS_WORDS.search(entry.why_it_matters):
        return None  # an empty one is the completeness panel's to report
    return _(
        "“Why it matters” names no business value. Say what it changes for a business: "
        "cost, revenue, risk, customers, compliance or productivity."
    )


def summary_too_long(entry: EntryText) -> str | None:
    length = len(entry.summary.strip())
    if length <= MAX_SUMMARY_CHARACTERS:
        return None
    return _(
        "The summary has %(length)d characters; search results cut it after %(limit)d. "
        "Shorten it to one plain sentence."
    ) % {"length": length, "limit": MAX_SUMMARY_CHARACTERS}


def nearly_the_same(first: str, second: str) -> bool:
    """Similar but not identical once case and spacing are folded (identical ones the
    model refuses)."""
    first, second = normalize_text(first), normalize_text(second)
    if first == second:
        return False
    return SequenceMatcher(None, first, second).ratio() >= SIMILAR_CONSIDERATIONS


def considerations_repeat(entry: EntryText) -> str | None:
    pairs = [(a, b) for a, b in combinations(entry.considerations, 2) if nearly_the_same(a, b)]
    if not pairs:
        return None
    first, second = pairs[0]
    return _(
        "The key considerations “%(first)s” and “%(second)s” say nearly the same. Merge "
        "them, or make each say something of its own."
    ) % {"first": first, "second": second}


def questions_without_question_mark(entry: EntryText) -> str | None:
    bare = [question for question in entry.faq_questions if not question.strip().endswith("?")]
    if not bare:
        return None
    return _("Write each common question as a question, ending with “?”: %(questions)s.") % {
        "questions": "; ".join(f"“{question}”" for question in bare)
    }


def references_out_of_date(entry: EntryText) -> str | None:
    if not entry.fast_moving:
        return None
    old = [
        citation
        for citation in entry.citations
        if citation.year is not None and entry.this_year - citation.year > MAX_REFERENCE_AGE_YEARS
    ]
    if not old:
        return None
    return _(
        "References older than %(years)d years in a fast-moving field: %(titles)s. Cite a "
        "newer source, or check they still hold."
    ) % {
        "years": MAX_REFERENCE_AGE_YEARS,
        "titles": "; ".join(f"“{citation.title}” ({citation.year})" for citation in old),
    }


def no_related_terms(entry: EntryText) -> str | None:
    if entry.related_count:
        return None
    return _("No related terms: pick at least one, so readers can go on to the next idea.")


CHECKS = [
    definition_too_short,
    why_it_matters_names_no_business_value,
    summary_too_long,
    considerations_repeat,
    questions_without_question_mark,
    references_out_of_date,
    no_related_terms,
]


def writing_warnings(entry: EntryText) -> list[str]:
    return [warning for check in CHECKS if (warning := check(entry)) is not None]
