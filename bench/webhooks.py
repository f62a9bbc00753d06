"""Webhooks, timed in one process: storing the events of one change (each term event
carries the term's public JSON) and sending them through the worker to a local receiver.

    .venv/bin/python -m bench.webhooks [--terms 1000] [--changed 200] [--endpoints 3]

Builds a glossary of --terms generated terms in a fresh SQLite file (or the PostgreSQL
database named by BENCH_DATABASE_URL, which it empties first); reports --changed terms
updated in one change to --endpoints endpoints, then runs the worker (batch) until every
delivery is made. Prints the time to store the events and the deliveries per second.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.desk import configure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=1000)
    parser.add_argument("--changed", type=int, default=200)
    parser.add_argument("--endpoints", type=int, default=3)
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="bench-webhooks-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder.name) / 'hooks.sqlite3'}"
    os.environ["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"] = "1"
    configure(url, Path(folder.name) / "static")

    from django.core.management import call_command
    from django.utils import timezone
    from terms.changes import ContentChange, TermChange
    from terms.models import Term
    from terms.services import glossary_import
    from tests.helpers.tasks import run_worker
    from tests.helpers.webhook_receiver import webhook_receiver
    from webhooks.models import Delivery, Endpoint
    from webhooks.services import content_change_emit

    from bench.generate import generate

    if "BENCH_DATABASE_URL" in os.environ:
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)
    glossary_import(data=generate(options.terms))
    terms = Term.objects.filter(status=Term.Status.PUBLISHED).select_related("category")
    changed = [
        TermChange(
            id=term.pk,
            slug=term.slug,
            category=term.category.slug,
            category_id=term.category_id,
            previous_slug=None,
        )
        for term in terms[: options.changed]
    ]
    with webhook_receiver() as receiver:
        for number in range(options.endpoints):
            Endpoint.objects.create(
                url=receiver.url, description=f"bench {number}", events=["term.updated"]
            )
        change = ContentChange(
            id=1,
            occurred_at=timezone.now(),
            source="admin",
            published=(),
            updated=tuple(changed),
            unpublished=(),
            categories=(),
            imported=None,
            settings_changed=False,
        )
        started = time.perf_counter()
        content_change_emit(change)
        stored = time.perf_counter() - started
        deliveries = Delivery.objects.count()
        print(
            f"{len(changed)} term.updated events for {options.endpoints} endpoints stored in "
            f"{stored * 1000:.0f} ms ({stored * 1000 / len(changed):.2f} ms an event; "
            f"{url.split(':')[0]})"
        )
        started = time.perf_counter()
        run_worker(verbosity=0)
        sent = time.perf_counter() - started
        delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED).count()
        print(
            f"{delivered}/{deliveries} delivered by one worker in {sent:.1f} s "
            f"({delivered / sent:.0f} deliveries a second; receiver got {len(receiver.received)})"
        )
    folder.cleanup()


if __name__ == "__main__":
    main()
