"""What counting a search costs: ``record_search`` on the request path (a dictionary
update under a lock), and the background write of a full buffer (one upsert per 500
queries), in one process.

    .venv/bin/python -m bench.search_counting [--searches 100000] [--queries 2000]

A fresh SQLite file, or the PostgreSQL database named by BENCH_DATABASE_URL (emptied
first). Prints p50 and p99 of one ``record_search`` (µs) and the time to write
--queries distinct queries, new and then again (the upsert's conflict path).
"""

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="bench-counting-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder.name) / 'c.sqlite3'}"
    os.environ.update(
        DATABASE_URL=url,
        DEBUG="0",
        SECRET_KEY="bench-only-not-secret",  # noqa: S106 - never a real site
        SEARCH_COUNT_FLUSH_SECONDS="0",  # written here, timed, not by the thread
        SEARCH_COUNT_BUFFER_SIZE=str(options.queries),
        LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glossary_project.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from terms.search import counting

    if "BENCH_DATABASE_URL" in os.environ:
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)

    queries = [f"Query Number {number}  " for number in range(options.queries)]
    chosen = random.Random(14).choices(queries, k=options.searches)  # noqa: S311
    times = []
    for query in chosen:
        start = time.perf_counter_ns()
        counting.record_search(query, 3)
        times.append(time.perf_counter_ns() - start)
    times.sort()
    print(
        f"record_search ({options.searches} searches of {options.queries} queries): "
        f"p50 {statistics.median(times) / 1000:.2f} µs   "
        f"p99 {times[int(len(times) * 0.99)] / 1000:.2f} µs"
    )
    for round_name in ("new rows", "existing rows"):
        for query in queries:
            counting.record_search(query, 1)
        start = time.perf_counter()
        counting.flush()
        took = (time.perf_counter() - start) * 1000
        database = url.split(":")[0]
        print(f"flush of {options.queries} queries ({round_name}): {took:.1f} ms ({database})")
    folder.cleanup()


if __name__ == "__main__":
    main()
