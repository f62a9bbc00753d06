"""The response cache seen from outside: a server in other processes (gunicorn, two
workers) shares Redis with this test process, which changes content the way editors do.
Every change must show on the very next request to every worker."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from terms.models import FAQ, Term
from terms.services import glossary_export, term_publish

from ..factories import CategoryFactory, ReferenceFactory, TermFactory, TermReferenceFactory

REDIS_URL = "redis://127.0.0.1:6379/3"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
REQUESTS_PER_CHECK = 6  # sequential requests, so both workers answer some

# serialized_rollback: the roles made by data migrations come back after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    database = connection.settings_dict
    if connection.vendor == "postgresql":
        host = database["HOST"] or "127.0.0.1"
        port = database["PORT"] or 5432
        return f"postgres://{database['USER']}@{host}:{port}/{database['NAME']}"
    return f"sqlite:///{database['NAME']}"


@pytest.fixture
def shared_cache(settings):
    if not redis_available():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running on 127.0.0.1:6379; CI needs it.")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "glossary",  # as settings.py configures it from CACHE_URL
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def server(shared_cache):
    port = free_port()
    environment = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "tests-only-not-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url(),
        "CACHE_URL": REDIS_URL,
        "API_RESPONSE_CACHE": "1",
        "API_ANON_RATE": "100000/minute",
    }
    process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [sys.executable, "-m", "gunicorn", "glossary_project.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=PROJECT_ROOT,
        env=environment,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/v1/letters/", timeout=2)  # noqa: S310
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    else:
        process.terminate()
        pytest.fail("the server did not start")
    yield base
    process.terminate()
    process.wait(timeout=10)


def fetch(base: str, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base + path, timeout=5) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, {}


def every_worker_sees(base: str, path: str, check) -> None:
    for _ in range(REQUESTS_PER_CHECK):
        status, body = fetch(base, path)
        assert check(status, body), (status, body)


def title_is(expected):
    return lambda status, body: status == 200 and body["title"] == expected


def test_repeated_reads_come_from_the_cache_not_the_database(server):
    term = TermFactory(title="Cached Title", slug="cached")
    path = "/api/v1/terms/cached/"
    every_worker_sees(server, path, title_is("Cached Title"))
    # Behind the cache's back (update() sends no signal): the server keeps the cached copy.
    Term.objects.filter(pk=term.pk).update(title="Changed Quietly")
    every_worker_sees(server, path, title_is("Cached Title"))


def test_every_kind_of_change_shows_on_the_next_request_to_every_worker(server, client, editor):
    category = CategoryFactory(slug="governance")
    term = TermFactory(title="Model Card", slug="model-card", category=category)
    reference = TermReferenceFactory(term=term, reference=ReferenceFactory(title="Old")).reference
    path = "/api/v1/terms/model-card/"
    every_worker_sees(server, path, title_is("Model Card"))

    # A save through the ORM (what services and imports do).
    term.title = "Model Cards"
    term.save()
    every_worker_sees(server, path, title_is("Model Cards"))

    # A shared FAQ added to the category, and a cited reference renamed.
    FAQ.objects.create(category=category, question="Who writes them?", answer="Teams.")
    every_worker_sees(
        server,
        path,
        lambda s, body: [faq["question"] for faq in body["faqs"]] == ["Who writes them?"],
    )
    reference.title = "New"
    reference.save()
    every_worker_sees(server, path, lambda s, body: body["references"][0]["title"] == "New")

    # A save in the admin by a member of Editors.
    client.force_login(editor)
    change_url = reverse("admin:terms_term_change", args=[term.pk])
    form = client.get(change_url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data |= {"title": "Model Card (admin)", "related": [], "in_development": ""}
    for prefix in ("key_considerations", "faqs", "citations"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    data |= {"citations-TOTAL_FORMS": "1", "citations-INITIAL_FORMS": "1"}
    citation = term.citations.get()
    data |= {"citations-0-id": str(citation.pk), "citations-0-term": str(term.pk)}
    data |= {"citations-0-reference": str(reference.pk), "citations-0-position": "1"}
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    every_worker_sees(server, path, title_is("Model Card (admin)"))

    # An import that changes the summary.
    exported = glossary_export()
    exported["terms"][0]["summary"] = "Imported summary."
    import_file = PROJECT_ROOT / ".test-import.json"
    import_file.write_text(json.dumps(exported), encoding="utf-8")
    try:
        call_command("import_glossary", str(import_file), verbosity=0)
    finally:
        import_file.unlink()
    every_worker_sees(server, path, lambda s, body: body["summary"] == "Imported summary.")

    # Deleting the term.
    Term.objects.filter(pk=term.pk).delete()
    every_worker_sees(server, path, lambda status, body: status == 404)


def test_publishing_a_draft_shows_it_in_the_list_on_the_next_request(server):
    draft = TermFactory(title="Red Teaming", status=Term.Status.DRAFT)
    list_path = "/api/v1/terms/"
    every_worker_sees(server, list_path, lambda s, body: body["count"] == 0)
    term_publish(term=draft)
    every_worker_sees(
        server, list_path, lambda s, body: [t["title"] for t in body["results"]] == ["Red Teaming"]
    )
