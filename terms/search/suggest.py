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
was (None for the title, and when the title matches as well).

The names are TermName's rows (kept by Term.save() for every entry, never for a working
copy), read with the indexes of migration 0022; a name is suggested only while its term
is published (Term.objects.published()).
"""

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Exists, F, Lookup, OuterRef, Q, Value, When
from django.db.models.functions import Collate
from django.db.models.lookups import GreaterThanOrEqual, LessThan

from ..models import Term, TermName, normalize_text
from ..text import folded_words

SUGGESTIONS_MAX = 8
FOLDED, COMPACT = "folded", "compact"
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
    texts = {
        "prefix": typed,
        "after_prefix": typed + _LAST_CHARACTER,
        "in_order": in_order,
        "in_order_later": f"% {in_order}",
        "inside": f"%{''.join(words)}%",
    }
    found: dict[int, Suggestion] = {}
    for shape in (_starting, _otherwise):
        if len(found) < limit:
            _take(shape, texts, found, limit)
    # An alias is named only when it matched better than the title: "mec" is the start
    # of the title Mechanistic Interpretability as much as of its alias "mech interp".
    return [
        Suggestion(each.title, each.slug, None)
        if each.matched_alias and _group(each.title, typed) <= _group(each.matched_alias, typed)
        else each
        for each in found.values()
    ]


def _group(name: str, typed: str) -> int:
    """Which of the module docstring's groups ``name`` is in for ``typed`` (4: none)."""
    folded = folded_words(name)
    if folded.startswith(typed):
        return 1
    words = [re.escape(word) for word in typed.split(" ")]
    if re.match(r"(.* )?" + r".* ".join(words), folded):
        return 2
    return 3 if typed.replace(" ", "") in folded.replace(" ", "") else 4


def _starting(text):
    """Names that start with the typed text."""
    folded = _in_byte_order(FOLDED)
    starts = GreaterThanOrEqual(folded, text("prefix")) & LessThan(folded, text("after_prefix"))
    return _published_names(starts)


def _otherwise(text):
    """Names whose words start with the typed words in order, then those that contain
    them, without those that start with the typed text (already read)."""
    word_starts = _Like(F(FOLDED), text("in_order")) | _Like(F(FOLDED), text("in_order_later"))
    containing = _Like(F(COMPACT), text("inside"))
    folded = _in_byte_order(FOLDED)
    starting = GreaterThanOrEqual(folded, text("prefix")) & LessThan(folded, text("after_prefix"))
    return _published_names((word_starts | containing) & ~Q(starting), first=word_starts)


def _published_names(condition, *, first=None):
    """The names meeting ``condition`` of published terms, with their terms, in byte
    order of the folded names (those meeting ``first`` before the others).

    "Published" is a correlated EXISTS, so that both databases read the names first (in
    index order: the first few suffice) and look each term up by its key."""
    order = [_in_byte_order(FOLDED), "pk"]
    if first is not None:
        order.insert(0, Case(When(first, then=Value(0)), default=Value(1)))
    published = Exists(Term.objects.published().filter(pk=OuterRef("term_id")))
    return (
        TermName.objects.filter(condition, published)
        .order_by(*order)
        .values_list("term_id", "key", "term__title", "term__slug", "term__aliases")
    )


def _in_byte_order(field: str) -> Collate:
    return Collate(F(field), "C" if connection.vendor == "postgresql" else "BINARY")


def _take(shape, texts: dict[str, str], found: dict[int, Suggestion], limit: int) -> None:
    """Add terms from the names ``shape`` finds (in order) to ``found`` until it holds
    ``limit``; a term with several matching names takes more than one row, so rows are
    read a batch at a time until enough distinct terms are found or there are no more."""
    batch = 2 * limit
    offset = 0
    while len(found) < limit:
        sql, parameters = _sql(shape, offset, offset + batch)
        with connection.cursor() as cursor:
            cursor.execute(sql, [texts[name] if typed else name for typed, name in parameters])
            rows = cursor.fetchall()
        for term_id, key, title, slug, aliases in rows:
            if term_id not in found:
                found[term_id] = Suggestion(title, slug, _alias_named(key, title, aliases))
                if len(found) >= limit:
                    return
        if len(rows) < batch:
            return
        offset += batch


# The ORM writes each query's SQL once per process: writing it costs more than running
# it. The typed texts are its only parameters, put where the placeholders stand.
_written: dict[tuple, tuple[str, list[tuple[bool, object]]]] = {}


def _sql(shape, start: int, stop: int) -> tuple[str, list[tuple[bool, object]]]:
    """The SQL of ``shape`` for rows start..stop, and its parameters, each (True, the
    name of a typed text in ``suggestions``) or (False, a constant the ORM put in)."""
    key = (shape, connection.vendor, start, stop)
    if key not in _written:
        placeholders = {}

        def text(name: str) -> Value:
            placeholders[f"\x00{name}\x00"] = name
            return Value(f"\x00{name}\x00")

        sql, parameters = shape(text)[start:stop].query.sql_with_params()
        _written[key] = (
            sql,
            [(each in placeholders, placeholders.get(each, each)) for each in parameters],
        )
    return _written[key]


def _alias_named(key: str, title: str, aliases: str) -> str | None:
    """The alias whose key is ``key``, or None when ``key`` is the title's."""
    if normalize_text(title) == key:
        return None
    for line in aliases.splitlines():
        if normalize_text(line) == key:
            return line.strip()
    return None
