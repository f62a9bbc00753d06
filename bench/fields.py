"""Field selection timed in one process: what `?fields=` costs or saves, uncached.

    .venv/bin/python -m bench.fields [--terms 500] [--requests 200]

Imports --terms generated terms (bench/generate.py) into a fresh SQLite file (or the
PostgreSQL database named by BENCH_DATABASE_URL, which it empties first), then prints p50
and p95 of the term list (100 a page) and a term page through Django's test client
(response cache off, DEBUG off), whole and with a few field selections.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.desk import configure
from bench.search import timed

LIST_SELECTIONS = [None, "slug,title", "slug,title,summary,url"]
PAGE_SELECTIONS = [None, "slug,title", "definition_html,related", "json_ld"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="bench-fields-")
    url = (
        os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder.name) / 'fields.sqlite3'}"
    )
    os.environ.update(API_RESPONSE_CACHE="0", API_ANON_RATE="100000000/minute")
    configure(url, Path(folder.name) / "static")

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from terms.models import Term
    from terms.services import glossary_import

    from bench.generate import generate

    call_command("migrate", verbosity=0)
    if "BENCH_DATABASE_URL" in os.environ:
        call_command("flush", "--noinput", verbosity=0)
    started = time.perf_counter()
    glossary_import(data=generate(options.terms))
    print(f"{options.terms} terms imported in {time.perf_counter() - started:.1f} s")
    slug = Term.objects.published().order_by("pk").values_list("slug", flat=True).first()
    print(f"{connection.vendor}: {Term.objects.published().count()} published")

    client = Client()
    reads = {
        "GET /api/v1/terms/?page_size=100": ("/api/v1/terms/", {"page_size": 100}, LIST_SELECTIONS),
        f"GET /api/v1/terms/{slug}/": (f"/api/v1/terms/{slug}/", {}, PAGE_SELECTIONS),
    }
    for label, (path, query, selections) in reads.items():
        for selection in selections:
            asked = query if selection is None else {**query, "fields": selection}
            shown = label if selection is None else f"{label} fields={selection}"
            print(
                shown.ljust(70),
                timed(lambda p=path, q=asked: client.get(p, q), options.requests),
            )


if __name__ == "__main__":
    main()
