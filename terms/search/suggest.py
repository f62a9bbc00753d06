"""Suggest-as-you-type: published titles and aliases for what a reader has typed so far.

Names are compared folded (terms.text.folded_words): case, accents and punctuation do
not matter, so "fine tun" finds "Fine-Tuning" and "mec" finds "Mécanique". A name is
suggested in the first of three groups it belongs to, best first:

1. it starts with the typed text ("mech int" → "Mechanistic Interpretability");
2. its words start with the typed words, in order, other words allowed between them
   ("lang mod" and "large model" → "Large Language Model");
3. it contains the typed text, spaces ignored ("chanis" → "Mechanistic …",
   "finetun" → "Fine-Tuning").

Within a group names come in the byte order of their folded words, so a shorter name
comes before the longer ones it starts ("ai" before "ai safety" before "aircraft"). A
term is suggested once, for its first name found; ``matched_alias`` says which alias that
was (None for the title).

The names are TermName's rows (kept by Term.save() for every entry, never for a working
copy), read with the indexes of migration 0020; a name is suggested only while its term
is published (Term.objects.published()).
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, F, Lookup, Value, When
from django.db.models.functions import Collate
from django.db.models.lookups import GreaterThanOrEqual, LessThan

from ..models import Term, normalize_text
from ..text import folded_words

SUGGESTIONS_MAX = 8
FOLDED, COMPACT = "name_keys__folded", "name_keys__compact"
# Above every character: a prefix's names are those from the prefix up to this after it.
_LAST_CHARACTER = chr(0x10FFFF)


@dataclass(frozen=True)
class Suggestion:
    title: str
    slug: str
    matched_alias: str | None  # None: the title matched


class _Like(Lookup):
    """SQL LIKE with the pattern as given: folded text holds no ``%`` or ``_``."""

    lookup_name = "suggest_like"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def suggestions(query: str, *, limit: int = SUGGESTIONS_MAX) -> list[Suggestion]:
    """Up to ``limit`` published terms for ``query``, in the order of the module's
    docstring; none when the query has no letter or digit.

    One query when enough names start with the text (read in index order, however many
    there are), two otherwise: the other groups are small, and sorted together."""
    typed = folded_words(query)
    if not typed or limit < 1:
        return []
    words = typed.split(" ")
    in_order = "% ".join(words) + "%"
    word_starts = _Like(F(FOLDED), Value(in_order)) | _Like(F(FOLDED), Value(f"% {in_order}"))
    containing = _Like(F(COMPACT), Value(f"%{''.join(words)}%"))
    found: dict[int, Suggestion] = {}
    _take(_published_names(_byte_order_range(typed)), found, limit)
    if len(found) < limit:
        rest = _published_names(word_starts | containing, first=word_starts)
        _take(rest.exclude(pk__in=list(found)), found, limit)
    return list(found.values())


def _published_names(condition, *, first=None):
    """Published terms with each of their names meeting ``condition``, one row per name,
    in byte order of the folded names (those meeting ``first`` before the others)."""
    order = [_in_byte_order(FOLDED), "name_keys__id"]
    if first is not None:
        order.insert(0, Case(When(first, then=Value(0)), default=Value(1)))
    return (
        Term.objects.published()
        .filter(condition)
        .order_by(*order)
        .values_list("pk", "name_keys__key", "title", "slug", "aliases")
    )


def _in_byte_order(field: str) -> Collate:
    return Collate(F(field), "C" if connection.vendor == "postgresql" else "BINARY")


def _byte_order_range(prefix: str):
    folded = _in_byte_order(FOLDED)
    return GreaterThanOrEqual(folded, Value(prefix)) & LessThan(
        folded, Value(prefix + _LAST_CHARACTER)
    )


def _take(names, found: dict[int, Suggestion], limit: int) -> None:
    """Add terms from ``names`` (in order) to ``found`` until it holds ``limit``; a term
    with several matching names takes more than one row, so rows are read a batch at
    a time until enough distinct terms are found or there are no more."""
    batch = 2 * (limit - len(found))
    offset = 0
    while len(found) < limit:
        rows = list(names[offset : offset + batch])
        for term_id, key, title, slug, aliases in rows:
            if term_id not in found:
                found[term_id] = Suggestion(title, slug, _alias_named(key, title, aliases))
                if len(found) >= limit:
                    return
        if len(rows) < batch:
            return
        offset += batch


def _alias_named(key: str, title: str, aliases: str) -> str | None:
    """The alias whose key is ``key``, or None when ``key`` is the title's."""
    if normalize_text(title) == key:
        return None
    for line in aliases.splitlines():
        if normalize_text(line) == key:
            return line.strip()
    return None
