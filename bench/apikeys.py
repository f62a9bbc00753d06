"""What an API key costs a request, in one process, uncached.

    .venv/bin/python -m bench.apikeys [--terms 1000] [--requests 200]

Builds a glossary of --terms generated terms (bench/generate.py) in a fresh SQLite file
(or the PostgreSQL database named by BENCH_DATABASE_URL, which it empties first), then
prints p50 and p95 of the same reads anonymously and with a key (Django's test client,
response cache off, DEBUG off), and the queries each makes. A keyed request adds the key
lookup and its audit row (and, once a minute, last_used_at).
"""

import argparse
import os
import tempfile
from pathlib import Path

from bench.desk import configure
from bench.search import bulk_load, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="bench-apikeys-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder.name) / 'k.sqlite3'}"
    os.environ.update(
        API_RESPONSE_CACHE="0", API_ANON_RATE="100000000/minute", API_KEY_RATE="100000000/minute"
    )
    configure(url, Path(folder.name) / "static")

    from apikeys.services import api_key_create
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from terms.models import Term

    from bench.generate import generate

    call_command("migrate", verbosity=0)
    if "BENCH_DATABASE_URL" in os.environ:
        call_command("flush", "--noinput", verbosity=0)
    bulk_load(generate(options.terms))
    slug = Term.objects.published().values_list("slug", flat=True).first()
    user = get_user_model().objects.create(username="bench")
    key = api_key_create(name="bench", scopes=["content:read-unpublished"], created_by=user)
    clients = {
        "anonymous": Client(),
        "keyed": Client(headers={"Authorization": f"Bearer {key.text}"}),
    }
    print(f"{connection.vendor}: {options.terms} terms")
    for path in ["/api/v1/letters/", "/api/v1/terms/", f"/api/v1/terms/{slug}/"]:
        for who, client in clients.items():
            with CaptureQueriesContext(connection) as queries:
                client.get(path)
            print(
                f"{who:9} GET {path}".ljust(60)[:60],
                timed(lambda c=client, p=path: c.get(p), options.requests),
                f"  {len(queries)} queries",
            )


if __name__ == "__main__":
    main()
