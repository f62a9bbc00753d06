"""Related terms suggested to editors: the published entries whose text is most like a
term's, by TF-IDF and cosine similarity.

Pure Python over the published glossary, so both databases suggest exactly the same
terms. Every published entry's words (title and aliases count three times, the summary
twice, the definition and "why it matters" once; English stop words left out, plurals
folded: "embeddings" is "embedding") become a vector of TF-IDF weights of length one.
Those vectors are built once per content generation and shared by every process
(``per_generation_read_only``), as an inverted index: for each word, the terms that use
it and its weight in each. A term's suggestions are then the entries whose vectors point the most
the same way as its own text's, scored by cosine similarity (0 to 1).
"""

import math
import re
from array import array
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from glossary_project.httpcache.memo import per_generation_read_only
from terms.models import Term

SUGGESTIONS = 5
# Below this cosine similarity two entries share little more than general vocabulary:
# no suggestion rather than noise. On the demo glossary, 0.1 keeps 46 of the 78 pairs of
# terms its editors related, and 14 of the 474 pairs they did not.
MIN_SCORE = 0.1
# One word in common, however rare, is a coincidence more often than a relation (short
# texts score high on one word).
MIN_SHARED_WORDS = 2
SHARED_WORDS_SHOWN = 3
# _says_nothing: words used by more than this share of a glossary of at least this size.
COMMON_WORD_SHARE = 0.5
COMMON_WORDS_FROM = 20
# How much more a word counts in each part of the text than in the definition.
FIELD_WEIGHTS = {"title": 3, "aliases": 3, "summary": 2, "definition": 1, "why_it_matters": 1}

_ENGLISH_STOP_WORDS = """
a about above after again against all almost also although always am among an and
another any anyone anything are aren around as at be became because become becomes been
before being below between both but by can cannot could couldn did didn do does doesn
doing don done down during each either else enough etc even ever every few for from
further get gets getting give given gives go goes had hadn has hasn have haven having he
her here hers herself him himself his how however i if in into is isn it its itself just
least less let like made make makes making many may me might mine more most mostly much
must my myself neither no nor not now of off often on once one ones only onto or other
others otherwise our ours ourselves out over own per perhaps quite rather really same
say says see seen shall she should shouldn since so some something sometimes still such
than that the their theirs them themselves then there therefore these they thing things
this those though through thus to too toward towards under until up upon us use used
uses using usually very via was wasn way ways we well were weren what whatever when
where whether which while who whole whom whose why will with within without won would
wouldn yet you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_ENGLISH_STOP_WORDS.split())
# Link targets of the Markdown ("](https://…)", "](term:12)") and bare addresses: not text.
_NOT_TEXT = re.compile(r"\]\([^)]*\)|https?://\S+")
_WORD = re.compile(r"[a-z0-9]+")
# Words ending in these keep their final s ("class", "corpus", "analysis", "bias").
_KEEPS_S = ("ss", "us", "is", "ias")


@lru_cache(maxsize=100_000)
def normalised(word: str) -> str:
    """``word`` (lower case) with a plural s taken off: "embeddings" and "embedding" are one
    word, so are "queries" and "query". A light stemmer: nothing else is folded."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_KEEPS_S):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "iases")):
        return word[:-2]
    return word[:-1]


@lru_cache(maxsize=100_000)
def _meaningful(word: str) -> str | None:
    """``word`` as compared (normalised), or None for a stop word, a number or a letter."""
    if word in STOP_WORDS or word.isdigit() or len(word) < 2:
        return None
    return normalised(word)


def words_of(text: str) -> list[str]:
    """The words of ``text`` that say what it is about: lower case, plurals folded, stop
    words, numbers and link targets left out."""
    words = (_meaningful(word) for word in _WORD.findall(_NOT_TEXT.sub(" ", text.lower())))
    return [word for word in words if word]


def _counts(parts: dict[str, str]) -> Counter:
    """Each word of a term's parts, counted as often as its part weighs (FIELD_WEIGHTS)."""
    weighted = "\n".join(
        text
        for field, weight in FIELD_WEIGHTS.items()
        for text in [parts.get(field) or ""] * weight
    )
    counts = Counter()
    for word, times in Counter(_WORD.findall(_NOT_TEXT.sub(" ", weighted.lower()))).items():
        meaningful = _meaningful(word)
        if meaningful:
            counts[meaningful] += times
    return counts


def _unit_vector(counts: Counter, idf) -> dict[str, float]:
    """TF-IDF weights (sublinear term frequency) scaled to length one."""
    weights = {word: (1 + math.log(count)) * idf(word) for word, count in counts.items()}
    weights = {word: weight for word, weight in weights.items() if weight > 0}
    length = math.sqrt(sum(weight * weight for weight in weights.values()))
    return {word: weight / length for word, weight in weights.items()} if length else {}


@dataclass(frozen=True)
class _Index:
    """The published glossary's vectors, word by word. Terms are numbered 0 to n - 1
    (``ids`` holds their primary keys); ``postings`` holds, for each word, the numbers of
    the terms that use it (ascending) and its weight in each term's unit vector."""

    ids: array
    postings: dict[str, tuple[array, array]]

    def numbers_of(self, pks) -> list[int]:
        positions = ((bisect_left(self.ids, pk), pk) for pk in pks if pk is not None)
        return [at for at, pk in positions if at < len(self.ids) and self.ids[at] == pk]

    def idf(self, word: str) -> float:
        found = self.postings.get(word)
        return 0.0 if found is None else _idf(len(self.ids), len(found[0]))


def _idf(terms: int, used_by: int) -> float:
    """Inverse document frequency, smoothed: a word every term uses still counts a little."""
    return math.log((1 + terms) / (1 + used_by)) + 1


def _says_nothing(used_by: int, terms: int) -> bool:
    """A word that most of a large enough glossary uses tells no entry from another, and
    would make every suggestion cost a pass over most of the glossary: it is left out, as
    a stop word is."""
    return terms >= COMMON_WORDS_FROM and used_by > terms * COMMON_WORD_SHARE


def _build_index() -> _Index:
    rows = Term.objects.published().order_by("pk").values_list("pk", *FIELD_WEIGHTS)
    counted = [(row[0], _counts(dict(zip(FIELD_WEIGHTS, row[1:], strict=True)))) for row in rows]
    terms = len(counted)
    used_by = Counter(word for _pk, counts in counted for word in counts)
    idf = {
        word: 0.0 if _says_nothing(count, terms) else _idf(terms, count)
        for word, count in used_by.items()
    }
    postings: dict[str, tuple[array, array]] = {}
    for number, (_pk, counts) in enumerate(counted):
        for word, weight in _unit_vector(counts, idf.__getitem__).items():
            numbers, weights = postings.get(word) or postings.setdefault(
                word, (array("i"), array("f"))
            )
            numbers.append(number)
            weights.append(weight)
    return _Index(ids=array("q", (pk for pk, _counts in counted)), postings=postings)


def _index() -> _Index:
    return per_generation_read_only("related-terms-index", _build_index)


@dataclass(frozen=True)
class RelatedSuggestion:
    term: Term  # id, slug and title only
    score: float  # cosine similarity, MIN_SCORE to 1
    shared_words: tuple[str, ...]  # the words that weigh most in the score, heaviest first


def related_suggestions(term: Term, *, limit: int = SUGGESTIONS) -> list[RelatedSuggestion]:
    """The published entries most like ``term``'s saved text, best first: at most
    ``limit``, each at least MIN_SCORE alike and sharing at least MIN_SHARED_WORDS words
    (none rather than noise).

    Never the term itself, its live entry or working copy, a term it already lists as
    related, or an unpublished term. Two queries once the glossary's index is built for
    the current content (the terms it already relates to, the suggested terms' titles).
    """
    index = _index()
    parts = {field: getattr(term, field) for field in FIELD_WEIGHTS}
    query = _unit_vector(_counts(parts), index.idf)
    if not query:
        return []
    excluded = {term.pk, term.draft_of_id}
    if term.pk is not None:
        excluded |= set(term.related.values_list("pk", flat=True))
    scores = _scores(index, query)
    for number in index.numbers_of(excluded):
        scores[number] = 0.0
    alike = sorted(
        (number for number, score in enumerate(scores) if score >= MIN_SCORE),
        key=lambda number: (-scores[number], number),
    )
    best = []
    for number in alike:
        shared = _shared_words(index, query, number)
        if len(shared) >= MIN_SHARED_WORDS:
            best.append((number, shared[:SHARED_WORDS_SHOWN]))
            if len(best) == limit:
                break
    found = (
        Term.objects.published()
        .only("pk", "slug", "title")
        .in_bulk([index.ids[number] for number, _shared in best])
    )
    return [
        RelatedSuggestion(found[index.ids[number]], scores[number], shared)
        for number, shared in best
        if index.ids[number] in found  # not unpublished in this transaction, since the index
    ]


def _scores(index: _Index, query: dict[str, float]) -> list[float]:
    """The cosine similarity of ``query`` to each term of the index, by its number."""
    scores = [0.0] * len(index.ids)
    for word, weight in query.items():
        numbers, weights = index.postings[word]
        for number, other in zip(numbers, weights, strict=True):
            scores[number] += weight * other
    return scores


def _shared_words(index: _Index, query: dict[str, float], number: int) -> tuple[str, ...]:
    """The words of ``query`` that the term numbered ``number`` uses, heaviest in the
    score first."""
    contributions = []
    for word, weight in query.items():
        numbers, weights = index.postings[word]
        position = bisect_left(numbers, number)
        if position < len(numbers) and numbers[position] == number:
            contributions.append((weight * weights[position], word))
    contributions.sort(reverse=True)
    return tuple(word for _weight, word in contributions)
