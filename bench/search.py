"""Search timed in one process: suggest-as-you-type and the full search, uncached.

    .venv/bin/python -m bench.search [--terms 20000] [--requests 200] [--reuse]

Builds a glossary of --terms generated terms (bench/generate.py) in a fresh SQLite file
(or the PostgreSQL database named by BENCH_DATABASE_URL, which it empties first; --reuse
keeps it when it already holds that many terms), then prints p50 and p95 of:

- ``suggestions(q)`` (terms.search.suggest) for a few typed prefixes, and the same through
  ``GET /api/v1/suggest/`` with the response cache off (Django's test client: no server,
  no network, DEBUG off);
- ``search_in_relevance_order(q)[0:20]`` and its count for a few queries, with every cache
  emptied before each call, so that it can be rerun as search changes.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.desk import configure

SUGGEST_QUERIES = ["m", "mec", "data pip", "lang mod", "zzzq"]
SEARCH_QUERIES = ["model", "attention", "data pipeline", "retreival", "zzzq"]


def timed(call, count: int) -> str:
    call()  # the first call pays for connections and imports
    times = []
    for _ in range(count):
        start = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - start) * 1000)
        if getattr(answer, "status_code", 200) != 200:
            raise SystemExit(f"{answer.status_code} from {answer.request['PATH_INFO']}")
    times.sort()
    return f"p50 {statistics.median(times):7.2f} ms   p95 {times[int(len(times) * 0.95)]:7.2f} ms"


def bulk_load(data: dict) -> None:
    """The generated glossary's categories, terms and their names, in a few statements."""
    from django.db import transaction
    from django.utils import timezone
    from terms.models import Category, Term, TermName, index_letter, normalize_text
    from terms.services import search_words_batched

    now = timezone.now()
    with transaction.atomic(), search_words_batched():
        categories = {
            record["slug"]: Category.objects.create(
                slug=record["slug"], name=record["name"], description=record["description"]
            )
            for record in data["categories"]
        }
        terms = Term.objects.bulk_create(
            [
                Term(
                    slug=record["slug"],
                    title=record["title"],
                    aliases="\n".join(record["aliases"]),
                    category=categories[record["category"]],
                    status=record["status"],
                    summary=record["summary"],
                    definition=record["definition"],
                    why_it_matters=record["why_it_matters"],
                    letter=index_letter(record["title"]),
                    published_at=now if record["status"] == "published" else None,
                )
                for record in data["terms"]
            ],
            batch_size=500,
        )
        TermName.objects.bulk_create(
            [TermName.of(term, normalize_text(name)) for term in terms for name in term.names()],
            batch_size=1000,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="keep a database of --terms terms")
    parser.add_argument(
        "--bulk",
        action="store_true",
        help="write the terms with bulk inserts instead of the importer (minutes, not an hour, "
        "at 20,000 on a busy machine; terms and names as the importer writes them, without "
        "revisions, references, FAQs or rendered HTML, which neither suggest nor search reads)",
    )
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="bench-search-")
    url = (
        os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder.name) / 'search.sqlite3'}"
    )
    os.environ.update(API_RESPONSE_CACHE="0", API_ANON_RATE="100000000/minute")
    configure(url, Path(folder.name) / "static")

    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from glossary_project.httpcache import memo
    from terms import selectors
    from terms.models import Term
    from terms.search.suggest import suggestions
    from terms.services import glossary_import

    from bench.generate import generate

    call_command("migrate", verbosity=0)
    if not (options.reuse and Term.objects.count() == options.terms):
        if "BENCH_DATABASE_URL" in os.environ:
            call_command("flush", "--noinput", verbosity=0)
        started = time.perf_counter()
        load = bulk_load if options.bulk else lambda data: glossary_import(data=data)
        load(generate(options.terms))
        how = "bulk-inserted" if options.bulk else "imported"
        print(f"{options.terms} terms {how} in {time.perf_counter() - started:.1f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    published = Term.objects.published().count()
    print(f"{connection.vendor}: {options.terms} terms, {published} published")

    client = Client()
    for query in SUGGEST_QUERIES:
        shown = len(suggestions(query))
        print(
            f"suggestions({query!r}) [{shown}]".ljust(40),
            timed(lambda q=query: suggestions(q), options.requests),
        )
    for query in SUGGEST_QUERIES:
        print(
            f"GET /api/v1/suggest/?q={query}".ljust(40),
            timed(lambda q=query: client.get("/api/v1/suggest/", {"q": q}), options.requests),
        )

    def search(query: str) -> None:
        memo._recent.clear()
        cache.clear()
        found = selectors.search_in_relevance_order(query)
        list(found[0:20])
        found.count()

    for query in SEARCH_QUERIES:
        total = selectors.search_in_relevance_order(query).count()
        print(
            f"search({query!r}) [{total}]".ljust(40),
            timed(lambda q=query: search(q), options.requests),
        )
    folder.cleanup()


if __name__ == "__main__":
    main()
