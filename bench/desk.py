"""The editors' desk, timed in one process: the admin index with its dashboard, the term
list, the Markdown editor's preview and its ``[[`` term suggestions, as an editor.

    .venv/bin/python -m bench.desk [--terms 1000] [--requests 100]

Builds a glossary of --terms generated terms (bench/generate.py) in a fresh SQLite file
(or the PostgreSQL database named by BENCH_DATABASE_URL, which it empties first), then
prints p50 and p95 per page. Django's test client, so no network and no server: these are
the view's own costs, DEBUG off.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def configure(database_url: str, static_root: Path) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        STATIC_ROOT=str(static_root),
        DEBUG="0",
        SECRET_KEY="bench-only-not-secret",  # noqa: S106 - never a real site
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        LOG_REQUESTS="0",
        LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glossary_project.settings")
    import django

    django.setup()


def timed(request, count: int) -> str:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        response = request()
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{response.status_code} from {response.request['PATH_INFO']}")
    times.sort()
    return f"p50 {statistics.median(times):7.2f} ms   p95 {times[int(len(times) * 0.95)]:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100)
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="bench-desk-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder.name) / 'desk.sqlite3'}"
    configure(url, Path(folder.name) / "static")

    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client
    from terms.models import Term
    from terms.roles import EDITORS
    from terms.services import glossary_import
    from tests.factories import UserFactory

    from bench.generate import generate

    if "BENCH_DATABASE_URL" in os.environ:
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # DEBUG off: hashed names
    started = time.perf_counter()
    glossary_import(data=generate(options.terms))
    took = time.perf_counter() - started
    print(f"{options.terms} terms imported in {took:.1f} s ({url.split(':')[0]})")

    editor = UserFactory(username="bench-editor", is_staff=True)
    editor.groups.set(Group.objects.filter(name=EDITORS))
    client = Client()
    client.force_login(editor)
    text = Term.objects.exclude(definition="").first().definition
    titles = list(Term.objects.order_by("title").values_list("title", flat=True))
    first = titles[len(titles) // 2].split()[0][:3]
    pages = {
        "admin index (dashboard)": lambda: client.get("/admin/"),
        "term list (50 rows)": lambda: client.get("/admin/terms/term/"),
        f"preview POST ({len(text)} chars)": lambda: client.post(
            "/admin/terms/term/markdown-preview/", text, content_type="text/plain"
        ),
        f"[[ suggestions ?q={first}": lambda: client.get(
            "/admin/terms/term/link-suggestions/", {"q": first}
        ),
    }
    for name, request in pages.items():
        print(f"{name:34} {timed(request, options.requests)}")
    folder.cleanup()


if __name__ == "__main__":
    main()
