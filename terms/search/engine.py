"""The one search of the site and the API: the published terms a query finds, best first.

The same idea on both databases:

1. The query's words are read as a reader means them. A word the published glossary uses
   (as written, or by its stem: "LLMs" is the plural of the alias "LLM") is kept; a word it
   does not use is split into two it does ("finetuning" → "fine tuning") or corrected to
   the closest word it does ("interpretabilty" → "interpretability", by trigram similarity,
   as PostgreSQL's pg_trgm measures it); a word with nothing close stays as typed.
2. Every word must match (English stop words aside), in the title, an alias, the summary
   or the definition, by stem.
3. An exact title comes first, then the best ranked: title and aliases count most, then the
   summary, then the definition; ties by title.

PostgreSQL: weighted tsvectors and a lexicon kept by triggers (terms/migrations/0008, 0010,
0014), corrections by pg_trgm. SQLite: FTS5 tables kept by triggers (migration 0020), the
lexicon read from FTS5's vocabulary, corrections in Python (``TrigramIndex``). Where the two
may differ (PostgreSQL's query syntax: "quoted phrases", or, -word; how scores break ties)
tests/search/ says so.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from itertools import islice, pairwise, product

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from glossary_project.httpcache.memo import per_content_change_in_process, per_generation

from ..models import Term, TermSearch

WORD = re.compile(r"\w+")
# PostgreSQL's English stop words (share/tsearch_data/english.stop), which its full-text
# search ignores: SQLite's search ignores the same ones.
_STOP_WORDS = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom this that these those am is are was were be been being have has had
    having do does did doing a an the and but if or because as until while of at by for
    with about against between into through during before after above below to from up
    down in out on off over under again further then once here there when where why how
    all any both each few more most other some such no nor not only own same so than too
    very s t can will just don should now
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
# pg_trgm's default similarity_threshold: a word at least this similar may replace a typo.
SIMILARITY_THRESHOLD = 0.3
# The closest words tried for each misspelt word, and the readings of a query tried, for
# one that finds something.
CLOSEST_WORDS = 3
MOST_READINGS = 9
# Parts shorter than this are not words a compound is split into ("a" + "ttention").
SHORTEST_COMPOUND_PART = 3


def fold(text: str) -> str:
    """Lower case without accents, as both databases' search compares words."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words_of(text: str) -> list[str]:
    return WORD.findall(fold(text))


# Reading the query ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReadQuery:
    run: str  # what is searched for
    shown: str  # what the reader is told was searched for: the query, or its corrections


def read_query(query: str, *, correct: bool = True) -> ReadQuery:
    """``query`` with each word the published glossary does not use replaced by what the
    reader most likely meant; the rest as typed.

    Two words the glossary writes as one are joined ("guard rails" → "guardrails"), one it
    writes as two is split ("finetuning" → "fine tuning"), any other is corrected to one of
    the closest words it uses: the closest whose reading of the whole query finds something
    ("sparce autoencoder" is sparse, not space). A hyphenated pair the glossary writes as
    one word is joined when the query finds nothing as typed ("over-fitting"). A plural the
    stemmer leaves alone ("LLMs": PostgreSQL's English stemmer does not stem a word without
    a vowel) is searched for as its singular without being called a correction. With
    ``correct`` off, nothing else is replaced.
    """
    typed = [fold(match.group()) for match in WORD.finditer(query)]
    backend = _backend()
    candidates = list(dict.fromkeys(word for word in typed if word not in STOP_WORDS))
    known = backend.known(candidates) if candidates else set()
    unknown = [word for word in candidates if word not in known]
    singulars = {word: word[:-1] for word in unknown if len(word) > 2 and word.endswith("s")}
    known_singulars = backend.known(list(singulars.values())) if singulars else set()
    silent = {word: one for word, one in singulars.items() if one in known_singulars}
    misspelt = [word for word in unknown if word not in silent]
    if not correct or not (misspelt or _hyphenated(query)):
        return ReadQuery(_rewritten(query, silent, {}), query)
    joins = _joins(typed, set(misspelt), backend)
    joined = {typed[i] for i in joins} | {typed[i + 1] for i in joins}
    misspelt = [word for word in misspelt if word not in joined]
    splits = _compounds(misspelt, backend) if misspelt else {}
    misspelt = [word for word in misspelt if word not in splits]
    closest = backend.closest_words(misspelt) if misspelt else {}

    def reading(corrections: dict[str, str], joins: dict[int, str]) -> ReadQuery:
        return ReadQuery(
            _rewritten(query, silent | corrections, joins), _rewritten(query, corrections, joins)
        )

    corrections = [
        splits | dict(zip(closest, choice, strict=True))
        for choice in islice(product(*closest.values()), MOST_READINGS)
    ]
    readings = [reading(each, joins) for each in corrections]
    # The first (closest) reading that finds something; the closest if none does.
    finding = (i for i, each in enumerate(readings) if backend.count(each.run, None))
    chosen = next(finding, 0) if len(readings) > 1 else 0
    if _hyphenated(query) and not backend.count(readings[chosen].run, None):
        hyphen_joins = _hyphen_joins(query, backend)
        if hyphen_joins:
            return reading(corrections[chosen], joins | hyphen_joins)
    return readings[chosen]


def _hyphenated(query: str) -> list[int]:
    """Positions of the words followed by a hyphen and another word ("over-fitting": 0)."""
    matches = list(WORD.finditer(query))
    return [
        i
        for i, (first, second) in enumerate(pairwise(matches))
        if query[first.end() : second.start()] == "-"
    ]


def _hyphen_joins(query: str, backend) -> dict[int, str]:
    typed = [fold(match.group()) for match in WORD.finditer(query)]
    pairs = {i: typed[i] + typed[i + 1] for i in _hyphenated(query)}
    used = backend.lexicon_words(sorted(set(pairs.values()))) if pairs else set()
    return {i: word for i, word in pairs.items() if word in used}


def _joins(typed: list[str], misspelt: set[str], backend) -> dict[int, str]:
    """Neighbouring words, one of them not the glossary's, that it writes as one word:
    {position of the first: the word}."""
    pairs = {
        i: first + second
        for i, (first, second) in enumerate(pairwise(typed))
        if (first in misspelt or second in misspelt)
        and first not in STOP_WORDS
        and second not in STOP_WORDS
    }
    used = backend.lexicon_words(sorted(set(pairs.values()))) if pairs else set()
    joins = {}
    for i, word in sorted(pairs.items()):
        if word in used and i - 1 not in joins:
            joins[i] = word
    return joins


def _rewritten(query: str, replacements: dict[str, str], joins: dict[int, str]) -> str:
    """``query`` with words replaced (by their folded form) and neighbours joined (by
    position), the rest of it as typed."""
    if not (replacements or joins):
        return query
    parts, position, skip = [], 0, False
    for i, match in enumerate(WORD.finditer(query)):
        if skip:
            position, skip = match.end(), False
            continue
        parts.append(query[position : match.start()])
        if i in joins:
            parts.append(joins[i])
            skip = True
        else:
            parts.append(replacements.get(fold(match.group()), match.group()))
        position = match.end()
    parts.append(query[position:])
    return "".join(parts)


def _compounds(words: list[str], backend) -> dict[str, str]:
    """Words that are two glossary words written as one, split: {"finetuning": "fine tuning"}."""
    splits = {
        word: [
            (word[:cut], word[cut:])
            for cut in range(SHORTEST_COMPOUND_PART, len(word) - SHORTEST_COMPOUND_PART + 1)
        ]
        for word in words
    }
    parts = {part for candidates in splits.values() for pair in candidates for part in pair}
    if not parts:
        return {}
    used = backend.lexicon_words(sorted(parts))
    found = {}
    for word, candidates in splits.items():
        both_used = [pair for pair in candidates if pair[0] in used and pair[1] in used]
        if both_used:
            # The most even split: "finetuning" is fine + tuning, not finet + uning.
            first, second = max(both_used, key=lambda pair: min(map(len, pair)))
            found[word] = f"{first} {second}"
    return found


def trigrams(text: str) -> frozenset[str]:
    """The trigrams pg_trgm extracts: each word padded by two spaces before, one after."""
    grams = set()
    for word in re.findall(r"[^\W_]+", fold(text)):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    shared = len(first & second)
    return shared / (len(first) + len(second) - shared) if shared else 0.0


class TrigramIndex:
    """Words found by trigram similarity, as pg_trgm's ``%`` and ``similarity()`` find them."""

    def __init__(self, words: dict[str, int]):
        self.words = sorted(words, key=lambda word: (-words[word], word))
        self.grams = [trigrams(word) for word in self.words]
        self.postings: dict[str, list[int]] = {}
        for position, grams in enumerate(self.grams):
            for gram in grams:
                self.postings.setdefault(gram, []).append(position)

    def __contains__(self, word: str) -> bool:
        return word in self._members

    @cached_property
    def _members(self) -> frozenset[str]:
        return frozenset(self.words)

    def closest(self, word: str, limit: int) -> list[str]:
        """Up to ``limit`` words at least SIMILARITY_THRESHOLD similar, the most similar
        first (then the more used, then in alphabetical order)."""
        grams = trigrams(word)
        shared = Counter(position for gram in grams for position in self.postings.get(gram, ()))
        scored = [
            (count / (len(grams) + len(self.grams[position]) - count), position)
            for position, count in shared.items()
        ]
        scored = [(-score, position) for score, position in scored if score >= SIMILARITY_THRESHOLD]
        return [self.words[position] for _score, position in sorted(scored)[:limit]]


# Finding and ranking --------------------------------------------------------------------


@dataclass
class SearchResults:
    """The published terms ``query`` finds, as a Paginator reads them (``count()`` and
    slices of Terms, each with ``relevance``), and what the reader is told about the search:
    ``corrected_to`` (the query as run, when words were corrected) and ``closest_titles()``.
    """

    query: str
    within: QuerySet[Term] | None = None
    ordering: list | None = None  # None: relevance
    exact: bool = False

    ordered = True

    def __post_init__(self):
        self.query = " ".join(self.query.split())
        read = read_query(self.query, correct=not self.exact)
        self.run = read.run
        self.corrected_to = read.shown if read.shown != self.query else None
        self.backend = _backend()

    def count(self) -> int:
        if self.ordering is not None:
            return _count_of(self._filtered())
        return self.backend.count(self.run, self.within)

    def __getitem__(self, index: slice) -> list[Term]:
        if not isinstance(index, slice):
            raise TypeError("Search results are read a page (a slice) at a time.")
        if self.ordering is not None:
            return list(self._filtered().order_by(*self.ordering)[index])
        return self.backend.page(self.run, self.within, index)

    def _filtered(self) -> QuerySet[Term]:
        return self.backend.filter(_term_list() if self.within is None else self.within, self.run)

    def closest_titles(self, limit: int = 3) -> list[Term]:
        """Published terms whose title or an alias is most like the query, for a search
        that found nothing."""
        return self.backend.closest_titles(self.query, limit)


def search(query: str, *, within=None, ordering=None, exact=False) -> SearchResults:
    return SearchResults(query, within=within, ordering=ordering, exact=exact)


def _term_list() -> QuerySet[Term]:
    from ..selectors import term_list

    return term_list()


def _count_of(queryset: QuerySet) -> int:
    from ..selectors import count_of

    return count_of(queryset)


def _exact_title_first(query: str):
    return Case(When(title__iexact=query, then=Value(1)), default=Value(0))


class PostgresSearch:
    """Weighted full text on terms_term_search (one narrow row per published term, kept by
    triggers), ranked there before the page's terms are loaded: a broad query matches most
    of the glossary, and ranking on the wide term rows costs three times as much."""

    @staticmethod
    def tsquery(query: str) -> SearchQuery:
        return SearchQuery(query, config="english", search_type="websearch")

    def matches(self, query: str) -> QuerySet[TermSearch]:
        search = self.tsquery(query)
        return TermSearch.objects.filter(Q(head=search) | Q(body=search))

    def narrowed(self, query: str, within) -> QuerySet[TermSearch]:
        matches = self.matches(query)
        if within is not None:
            matches = matches.filter(term__in=within.order_by().values("pk"))
        return matches

    def count(self, query: str, within) -> int:
        return _count_of(self.narrowed(query, within))

    def page(self, query: str, within, index: slice) -> list[Term]:
        search = self.tsquery(query)
        exact = Case(When(sort_title=query.lower(), then=Value(1)), default=Value(0))
        ranked = (
            self.narrowed(query, within)
            .annotate(exact=exact, rank=SearchRank(F("head"), search))
            .order_by("-exact", "-rank", "sort_title")
        )
        page_ids = ranked.values("term_id")[index]
        return list(
            _term_list()
            .filter(pk__in=page_ids)
            .annotate(
                exact=_exact_title_first(query), relevance=SearchRank(F("search__head"), search)
            )
            .order_by("-exact", "-relevance", "search__sort_title")
        )

    def filter(self, queryset: QuerySet[Term], query: str) -> QuerySet[Term]:
        search = self.tsquery(query)
        return queryset.filter(Q(search__head=search) | Q(search__body=search)).annotate(
            relevance=SearchRank(F("search__head"), search)
        )

    def known(self, words: list[str]) -> set[str]:
        """Words the published glossary uses as written, or by their English stem."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT typed FROM unnest(%s::text[]) AS typed"
                " WHERE EXISTS (SELECT 1 FROM terms_search_word WHERE word = typed)"
                " OR EXISTS (SELECT 1 FROM terms_term_search"
                "  WHERE head @@ plainto_tsquery('english', typed)"
                "  OR body @@ plainto_tsquery('english', typed))",
                [words],
            )
            return {typed for (typed,) in cursor.fetchall()}

    def lexicon_words(self, words: list[str]) -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT word FROM terms_search_word WHERE word = ANY(%s)", [words])
            return {word for (word,) in cursor.fetchall()}

    def closest_words(self, words: list[str]) -> dict[str, list[str]]:
        """Up to CLOSEST_WORDS lexicon words like each of ``words``, the closest first."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT typed, ARRAY(SELECT word FROM terms_search_word WHERE word %% typed"
                "  ORDER BY similarity(word, typed) DESC, terms DESC, word LIMIT %s)"
                " FROM unnest(%s::text[]) AS typed",
                [CLOSEST_WORDS, words],
            )
            return {typed: found for typed, found in cursor.fetchall() if found}

    def closest_titles(self, query: str, limit: int) -> list[Term]:
        folded = " ".join(words_of(query))
        if not folded:
            return []
        likeness = RawSQL(
            "greatest(similarity(lower(terms_term.title), %s),"
            " similarity(lower(terms_term.aliases), %s))",
            [folded, folded],
        )
        return list(
            _term_list()
            .annotate(likeness=likeness)
            .filter(likeness__gte=SIMILARITY_THRESHOLD / 1.5)
            .order_by("-likeness", Lower("title"))[:limit]
        )


class SqliteSearch:
    """FTS5 (migration 0020): terms_term_fts ranks by bm25 with the title and aliases
    weighted most; terms_term_words' vocabulary is the lexicon."""

    # bm25 weights of terms_term_fts's columns: title, aliases, summary, definition.
    RANK = "bm25(terms_term_fts, 10.0, 10.0, 4.0, 1.0)"
    PAGE_SQL = (
        "SELECT terms_term_fts.rowid, -{rank} FROM terms_term_fts"
        " JOIN terms_term ON terms_term.id = terms_term_fts.rowid"
        " WHERE terms_term_fts MATCH %s{narrow}"
        " ORDER BY lower(terms_term.title) = %s DESC, {rank}, lower(terms_term.title),"
        " terms_term.id LIMIT %s OFFSET %s"
    )

    @staticmethod
    def match(query: str) -> str | None:
        """The FTS5 query: every word (a stop word aside) must match; each quoted, so that
        nothing a reader types is FTS5 syntax. None when no word is left to match."""
        words = [word for word in words_of(query) if word not in STOP_WORDS]
        return " ".join(f'"{word}"' for word in words) if words else None

    @staticmethod
    def _within(within) -> tuple[str, list]:
        if within is None:
            return "", []
        sql, params = within.order_by().values("pk").query.sql_with_params()
        return f" AND terms_term_fts.rowid IN ({sql})", list(params)

    def count(self, query: str, within) -> int:
        match = self.match(query)
        if match is None:
            return 0
        narrow, params = self._within(within)
        sql = f"SELECT count(*) FROM terms_term_fts WHERE terms_term_fts MATCH %s{narrow}"  # noqa: S608 - the narrowing is Django's SQL, values as parameters

        def compute():
            with connection.cursor() as cursor:
                cursor.execute(sql, [match, *params])
                return cursor.fetchone()[0]

        return per_generation("search-count", compute, sql, match, *map(str, params))

    def page(self, query: str, within, index: slice) -> list[Term]:
        match = self.match(query)
        if match is None:
            return []
        narrow, params = self._within(within)
        start = index.start or 0
        limit = -1 if index.stop is None else max(index.stop - start, 0)
        sql = self.PAGE_SQL.format(rank=self.RANK, narrow=narrow)
        with connection.cursor() as cursor:
            cursor.execute(sql, [match, *params, query.lower(), limit, start])
            ranked = cursor.fetchall()
        terms = _term_list().in_bulk([term_id for term_id, _ in ranked])
        page = []
        for term_id, relevance in ranked:
            term = terms[term_id]
            term.relevance = relevance
            page.append(term)
        return page

    def filter(self, queryset: QuerySet[Term], query: str) -> QuerySet[Term]:
        match = self.match(query)
        if match is None:
            return queryset.none()
        matching = RawSQL("SELECT rowid FROM terms_term_fts WHERE terms_term_fts MATCH %s", [match])
        return queryset.filter(pk__in=matching).annotate(relevance=Value(0.0))

    def known(self, words: list[str]) -> set[str]:
        lexicon = self.lexicon()
        known = {word for word in words if word in lexicon}
        with connection.cursor() as cursor:
            for word in set(words) - known:
                cursor.execute(
                    "SELECT 1 FROM terms_term_fts WHERE terms_term_fts MATCH %s LIMIT 1",
                    [f'"{word}"'],
                )
                if cursor.fetchone():
                    known.add(word)
        return known

    def lexicon_words(self, words: list[str]) -> set[str]:
        lexicon = self.lexicon()
        return {word for word in words if word in lexicon}

    def closest_words(self, words: list[str]) -> dict[str, list[str]]:
        lexicon = self.lexicon()
        found = {word: lexicon.closest(word, CLOSEST_WORDS) for word in words}
        return {word: closest for word, closest in found.items() if closest}

    def lexicon(self) -> TrigramIndex:
        """Every word a published term uses, with the number of terms using it; built once
        per content change in each process (it is a Python structure, not a cache value)."""

        def read():
            with connection.cursor() as cursor:
                cursor.execute("SELECT term, doc FROM terms_term_words_vocab")
                return TrigramIndex(dict(cursor.fetchall()))

        return per_content_change_in_process("lexicon", read)

    def closest_titles(self, query: str, limit: int) -> list[Term]:
        grams = trigrams(query)
        if not grams:
            return []

        def read():
            rows = Term.objects.published().values_list("pk", "title", "aliases")
            return [
                (pk, trigrams(name))
                for pk, title, aliases in rows
                for name in [title, *aliases.splitlines()]
                if name.strip()
            ]

        best: dict[int, float] = {}
        for pk, name_grams in per_content_change_in_process("titles", read):
            score = similarity(grams, name_grams)
            if score >= SIMILARITY_THRESHOLD / 1.5 and score > best.get(pk, 0.0):
                best[pk] = score
        terms = _term_list().in_bulk(list(best))
        ranked = sorted(best, key=lambda pk: (-best[pk], terms[pk].title.lower()))
        return [terms[pk] for pk in ranked[:limit]]


def _backend():
    return PostgresSearch() if connection.vendor == "postgresql" else SqliteSearch()
