"""Related-term suggestions (terms.search.related), timed at several glossary sizes:
building the published glossary's index (once per content change) and one term's
suggestions from it (each change form that shows the panel).

    .venv/bin/python -m bench.related [--terms 1000 5000] [--suggestions 200]

For each size, a fresh SQLite file (or the PostgreSQL database named by
BENCH_DATABASE_URL, emptied first) gets that many generated terms (bench/generate.py).
The terms are written with bulk_create, not the importer (53 s per 1,000 terms): the
suggestions read only the text of published terms, which the generator gives in full.
One process, the local-memory cache, DEBUG off.
"""

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.desk import configure


def timed(call, arguments) -> tuple[str, list]:
    """p50 and p95 wall time of ``call`` on each of ``arguments``, and the median CPU time
    of this process (what the machine's other work does not inflate), with the results."""
    walls, cpus, results = [], [], []
    for argument in arguments:
        wall, cpu = time.perf_counter(), time.process_time()
        results.append(call(argument))
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    walls.sort()
    p95 = walls[min(len(walls) - 1, int(len(walls) * 0.95))]
    cpu = statistics.median(cpus)
    return f"{statistics.median(walls):8.2f} | {p95:8.2f} | {cpu:8.2f}", results


def fill(count: int) -> None:
    from django.core.management import call_command

    from bench.generate import generate
    from bench.search import bulk_load

    call_command("flush", "--noinput", verbosity=0)
    bulk_load(generate(count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--suggestions", type=int, default=200)
    parser.add_argument("--builds", type=int, default=3)
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="bench-related-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder.name) / 'r.sqlite3'}"
    configure(url, Path(folder.name) / "static")

    from django.core.management import call_command
    from glossary_project.httpcache.generation import content_changed
    from terms.models import Term
    from terms.search.related import related_suggestions

    call_command("migrate", verbosity=0)
    print(f"{url.split(':')[0]}: ms (wall p50 | wall p95 | CPU p50 of this process)")
    print("| terms (published) | what | p50 | p95 | CPU | suggested per term |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")

    def build_then_suggest(term):
        content_changed()  # what any edit does: the index is built anew
        return related_suggestions(term)

    for count in options.terms:
        fill(count)
        size = f"{count:,} ({Term.objects.published().count():,})"
        terms = list(Term.objects.all())
        rng = random.Random(1)  # noqa: S311 - a reproducible sample, not a secret
        first = rng.sample(terms, options.builds)
        numbers, _ = timed(build_then_suggest, first)
        print(f"| {size} | index built, then one term's suggestions | {numbers} | |")
        sample = rng.sample(terms, min(options.suggestions, len(terms)))
        numbers, results = timed(related_suggestions, sample)
        shown = sum(map(len, results)) / len(sample)
        print(f"| {size} | one term's suggestions | {numbers} | {shown:.1f} |")
    folder.cleanup()


if __name__ == "__main__":
    main()
