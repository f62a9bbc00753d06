"""The response cache seen from outside: a server in other processes (gunicorn, two
workers) shares Redis with this test process, which changes content the way editors do.
Every change must show on the very next request to every worker.

Redis database TEST_REDIS_DB (3 unless set) is emptied before and after each test."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from terms.models import FAQ, Term
from terms.services import glossary_export, term_publish

from ..factories import CategoryFactory, ReferenceFactory, TermFactory, TermReferenceFactory
from ..helpers.processes import PROJECT_ROOT, gunicorn, server_environment

REQUESTS_PER_CHECK = 6  # sequential requests, so both workers answer some

# serialized_rollback: the roles made by data migrations come back after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def server(shared_cache, tmp_path_factory):
    environment = server_environment(
        CACHE_URL=shared_cache, API_RESPONSE_CACHE="1", API_ANON_RATE="100000/minute"
    )
    # Not tmp_path: its teardown raises KeyError after a Ctrl-C during setup (pytest 9).
    log_dir = tmp_path_factory.mktemp("server")
    with gunicorn(environment, workers=2, log_dir=log_dir) as site:
        yield site


def fetch(server, path: str) -> tuple[int, dict]:
    response = server.get(path)
    return response.status, response.json() if response.status == 200 else {}


def every_worker_sees(server, path: str, check) -> None:
    for _ in range(REQUESTS_PER_CHECK):
        status, body = fetch(server, path)
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


def test_every_kind_of_change_shows_on_the_next_request_to_every_worker(server, client, publisher):
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

    # The working copy published in the admin by a member of Publishers.
    client.force_login(publisher)
    change_url = client.get(reverse("admin:terms_term_change", args=[term.pk]))["Location"]
    copy = Term.objects.get(draft_of=term)
    form = client.get(change_url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data |= {"title": "Model Card (admin)", "related": [], "in_development": ""}
    data |= {"status": "published"}
    for prefix in ("key_considerations", "faqs", "citations"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    data |= {"citations-TOTAL_FORMS": "1", "citations-INITIAL_FORMS": "1"}
    citation = copy.citations.get()
    data |= {"citations-0-id": str(citation.pk), "citations-0-term": str(copy.pk)}
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
