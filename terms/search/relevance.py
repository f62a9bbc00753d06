"""How well search finds what readers mean, measured on a judged query set.

A judged set (``tests/search/judgements.json``) lists queries as a reader types them, each
with the slug of the term that should come first. Each query goes through the site's one
search (``terms.selectors.search_in_relevance_order``) and the expected term's rank among
the first ``DEPTH`` results is noted; from the ranks come recall@1 (first), recall@5 (in
the first five, a page a reader scans) and the mean reciprocal rank over the first
``DEPTH`` (1 for first, 1/2 for second, …, 0 below ``DEPTH`` or not found).
"""

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from terms.models import Term
from terms.selectors import search_in_relevance_order

DEFAULT_JUDGEMENTS = Path(settings.BASE_DIR) / "tests" / "search" / "judgements.json"
FORMAT = "judgements/1"
DEPTH = 10
SHOWN_UNKNOWN = 5  # judgements with an unknown slug named in the error; an empty
# glossary would otherwise list every one


class JudgementsError(ValueError):
    """A judged set that cannot be scored: unreadable, malformed, or naming a term that
    readers cannot find."""


@dataclass(frozen=True)
class Judgement:
    query: str
    expected: str  # the slug of the term that should come first
    kind: str  # title, alias, misspelling, plural, definition-only, …


@dataclass(frozen=True)
class JudgedSet:
    judgements: list[Judgement]
    floor: dict[str, float]  # per database vendor: the recall@5 that CI holds search to


@dataclass(frozen=True)
class QueryResult:
    judgement: Judgement
    found: list[str]  # slugs of the first DEPTH results, best first

    @property
    def rank(self) -> int | None:
        """Where the expected term came, from 1, or None when it is not in ``found``."""
        try:
            return self.found.index(self.judgement.expected) + 1
        except ValueError:
            return None

    def found_within(self, cutoff: int) -> bool:
        return self.rank is not None and self.rank <= cutoff


@dataclass(frozen=True)
class Evaluation:
    results: list[QueryResult]
    vendor: str

    def recall_at(self, cutoff: int) -> float:
        return self.hits_at(cutoff) / len(self.results)

    def hits_at(self, cutoff: int) -> int:
        return sum(result.found_within(cutoff) for result in self.results)

    @property
    def mean_reciprocal_rank(self) -> float:
        return sum(1 / r.rank for r in self.results if r.rank) / len(self.results)

    @property
    def not_first(self) -> list[QueryResult]:
        return [result for result in self.results if result.rank != 1]

    def hits_at_by_kind(self, cutoff: int) -> dict[str, tuple[int, int]]:
        """Per kind of query, in the order kinds first appear: (found within cutoff, all)."""
        totals = Counter(result.judgement.kind for result in self.results)
        hits = Counter(r.judgement.kind for r in self.results if r.found_within(cutoff))
        return {kind: (hits[kind], total) for kind, total in totals.items()}

    def as_json(self) -> dict:
        return {
            "vendor": self.vendor,
            "queries": len(self.results),
            "depth": DEPTH,
            "recall_at_1": self.recall_at(1),
            "recall_at_5": self.recall_at(5),
            f"mrr_at_{DEPTH}": self.mean_reciprocal_rank,
            "recall_at_5_by_kind": {
                kind: hits / total for kind, (hits, total) in self.hits_at_by_kind(5).items()
            },
            "results": [
                {
                    "query": r.judgement.query,
                    "kind": r.judgement.kind,
                    "expected": r.judgement.expected,
                    "rank": r.rank,
                    "found": r.found,
                }
                for r in self.results
            ],
        }


def load_judgements(path: Path | str) -> JudgedSet:
    """The judged set in the file at ``path``; JudgementsError says what is wrong with it."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as error:
        raise JudgementsError(f"Cannot read {path}: {error.strerror}.") from error
    except UnicodeDecodeError as error:
        raise JudgementsError(f"{path} is not UTF-8 text.") from error
    except json.JSONDecodeError as error:
        raise JudgementsError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})."
        ) from error
    return parse_judgements(data, source=str(path))


def parse_judgements(data, *, source: str) -> JudgedSet:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise JudgementsError(f'{source}: not a judged set (expected "format": "{FORMAT}").')
    entries = data.get("judgements")
    if not isinstance(entries, list) or not entries:
        raise JudgementsError(f'{source}: "judgements" must be a non-empty list.')
    judgements, problems, seen = [], [], set()
    for number, entry in enumerate(entries, start=1):
        fields = entry if isinstance(entry, dict) else {}
        values = [fields.get(name) for name in ("query", "expected", "kind")]
        if not all(isinstance(value, str) and value.strip() for value in values):
            problems.append(
                f"judgement {number}: needs a non-empty query, expected (a slug) and kind"
            )
            continue
        judgement = Judgement(*(value.strip() for value in values))
        folded = " ".join(judgement.query.casefold().split())
        if folded in seen:
            problems.append(f'judgement {number}: the query "{judgement.query}" is judged twice')
        seen.add(folded)
        judgements.append(judgement)
    floor = data.get("floor", {})
    if not isinstance(floor, dict) or not all(
        isinstance(value, int | float) and 0 <= value <= 1 for value in floor.values()
    ):
        problems.append('"floor": each database vendor\'s recall@5 floor, between 0 and 1')
    if problems:
        raise JudgementsError(f"{source}: " + "; ".join(problems) + ".")
    return JudgedSet(judgements=judgements, floor=dict(floor))


def evaluate(judgements: list[Judgement]) -> Evaluation:
    """Every judged query searched as a reader would, on the current database.

    Each expected slug must be a published term: a judgement naming another would count
    as a miss however good search were.
    """
    expected = {judgement.expected for judgement in judgements}
    published = set(
        Term.objects.published().filter(slug__in=expected).values_list("slug", flat=True)
    )
    if unknown := sorted(expected - published):
        queries = [f'"{j.query}" → {j.expected}' for j in judgements if j.expected in unknown]
        shown = "; ".join(queries[:SHOWN_UNKNOWN])
        more = f" and {len(queries) - SHOWN_UNKNOWN} more" if len(queries) > SHOWN_UNKNOWN else ""
        raise JudgementsError(
            f"No published term has the slug {', '.join(unknown[:SHOWN_UNKNOWN])}"
            f"{' …' if len(unknown) > SHOWN_UNKNOWN else ''} (judged for {shown}{more}). "
            "Is the demo glossary loaded (manage.py load_demo)?"
        )
    results = [
        QueryResult(
            judgement,
            [term.slug for term in search_in_relevance_order(judgement.query)[0:DEPTH]],
        )
        for judgement in judgements
    ]
    return Evaluation(results=results, vendor=connection.vendor)
