"""The content write API timed in one process: one term written, and a document imported.

    .venv/bin/python -m bench.writes [--terms 1000] [--requests 50]

Imports --terms generated terms (bench/generate.py) into a fresh SQLite file (or the
PostgreSQL database named by BENCH_DATABASE_URL, which it empties first), then through
Django's test client with a content:write key prints p50 and p95 of: reading a record
(GET …/record/), a PATCH of one term's summary with If-Match, a PUT of the whole record;
then the time of POST /api/v1/glossary/ with the whole generated document (re-import:
nothing changes) next to glossary_import of it in the same process, so what HTTP adds
shows (the write itself is the import's: bench/imports.py).
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from bench.desk import configure
from bench.search import timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=50)
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="bench-writes-")
    url = (
        os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder.name) / 'writes.sqlite3'}"
    )
    os.environ.update(API_RESPONSE_CACHE="0", API_KEY_RATE="100000000/minute")
    configure(url, Path(folder.name) / "static")

    from apikeys.services import api_key_create
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from terms.models import Term
    from terms.services import glossary_import

    from bench.generate import generate

    call_command("migrate", verbosity=0)
    if "BENCH_DATABASE_URL" in os.environ:
        call_command("flush", "--noinput", verbosity=0)
    data = generate(options.terms)
    started = time.perf_counter()
    glossary_import(data=data)
    took = time.perf_counter() - started
    print(f"{connection.vendor}: {options.terms} terms imported in {took:.1f} s")

    owner = get_user_model().objects.create_superuser("bench", "bench@example.com", "x" * 20)
    key = api_key_create(name="bench", scopes=["content:write"], created_by=owner)
    client = Client(headers={"Authorization": f"Bearer {key.text}"})
    slug = Term.objects.published().order_by("pk").values_list("slug", flat=True).first()
    path = f"/api/v1/terms/{slug}/"
    summaries = iter(range(10**9))

    def patch():
        etag = client.get(f"{path}record/")["ETag"]
        return client.patch(
            path,
            {"summary": f"Summary {next(summaries)}."},
            content_type="application/json",
            headers={"If-Match": etag},
        )

    record = client.get(f"{path}record/").json()["record"]

    def put():
        record["summary"] = f"Summary {next(summaries)}."
        return client.put(path, record, content_type="application/json")

    print(
        f"GET {path}record/".ljust(60),
        timed(lambda: client.get(f"{path}record/"), options.requests),
    )
    print(f"GET record + PATCH {path} (If-Match)".ljust(60), timed(patch, options.requests))
    print(f"PUT {path} (whole record)".ljust(60), timed(put, options.requests))

    body = json.dumps(data)
    started = time.perf_counter()
    response = client.post("/api/v1/glossary/", body, content_type="application/json")
    over_http = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{response.status_code}: {response.content[:300]}")
    started = time.perf_counter()
    glossary_import(data=json.loads(body))
    direct = time.perf_counter() - started
    print(
        f"re-import of {options.terms} terms ({len(body) / 1e6:.1f} MB): "
        f"POST /api/v1/glossary/ {over_http:.1f} s, glossary_import {direct:.1f} s"
    )


if __name__ == "__main__":
    main()
