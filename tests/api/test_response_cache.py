"""The response cache in one process: repeated anonymous reads cost no SQL, and every
kind of content change shows on the very next request.

These tests commit for real (transaction=True): the content generation moves only when
a transaction commits, and terms.cache.content_changed() registers one move per
transaction. Inside the never-committed transaction of a plain `db` test, the move
registered while creating the test data is still pending when the change under test
runs, so that change registers nothing and django_capture_on_commit_callbacks has
nothing to run: the test would see the stale copy although production would not.
"""

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.throttling import AnonRateThrottle

from terms.models import FAQ, Category, KeyConsideration, Reference, SiteSettings, Term
from terms.services import (
    glossary_export,
    glossary_import,
    term_archive,
    term_mark_reviewed,
    term_publish,
)

from ..factories import (
    CategoryFactory,
    ReferenceFactory,
    TermFactory,
    TermReferenceFactory,
)
from ..helpers.response_cache import cached

# serialized_rollback: the roles made by data migrations (Editors) come back after each
# flush, as in test_cache_across_processes.py; every transactional test must use it, since
# restoring the snapshot after a plain flush collides with the content types it recreates.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PAGE = "/api/v1/terms/model-card/"
LIST = "/api/v1/terms/"


@pytest.fixture(autouse=True)
def response_cache(settings):
    settings.API_RESPONSE_CACHE = True


@dataclass
class Glossary:
    category: Category
    term: Term
    reference: Reference
    draft: Term


@pytest.fixture
def glossary():
    # Stored, as after the first page view: reading it then inserts nothing.
    SiteSettings.load()
    category = CategoryFactory(name="Governance", slug="governance")
    term = TermFactory(title="Model Card", slug="model-card", category=category)
    reference = TermReferenceFactory(term=term, reference=ReferenceFactory(title="Old")).reference
    TermFactory(title="Datasheet", slug="datasheet", category=category)
    draft = TermFactory(
        title="Red Teaming", slug="red-teaming", category=category, status=Term.Status.DRAFT
    )
    return Glossary(category, term, reference, draft)


# Repeated reads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        PAGE,
        LIST,
        f"{LIST}?letter=M&ordering=-updated_at",
        "/api/v1/categories/",
        "/api/v1/categories/governance/",
        "/api/v1/letters/",
    ],
)
def test_a_repeated_anonymous_request_runs_no_sql(
    client, glossary, django_assert_num_queries, path
):
    assert cached(client, path, django_assert_num_queries).status_code == 200


def test_a_conditional_request_answered_from_the_cache_gets_304_without_sql(
    client, glossary, django_assert_num_queries
):
    etag = cached(client, PAGE, django_assert_num_queries)["ETag"]
    with django_assert_num_queries(0):
        response = client.get(PAGE, headers={"if-none-match": etag})
    assert response.status_code == 304


def test_a_different_query_string_is_a_different_cache_entry(client, glossary):
    client.get(LIST)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST, {"letter": "D"})
    assert len(captured) > 0
    assert [item["title"] for item in response.json()["results"]] == ["Datasheet"]


def test_errors_are_not_cached(client, glossary):
    client.get(LIST, {"letter": "Q1"})
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{LIST}?letter=Q1").status_code == 400
        assert client.get("/api/v1/terms/red-teaming/").status_code == 404
        assert client.get("/api/v1/terms/red-teaming/").status_code == 404
    assert len(captured) >= 2  # the 404 was looked up both times


# Every kind of change shows on the next request ----------------------------------------


def rename_term(glossary):
    glossary.term.title = "Model Cards"
    glossary.term.save()


def delete_term(glossary):
    Term.objects.filter(pk=glossary.term.pk).delete()


def add_shared_faq(glossary):
    FAQ.objects.create(category=glossary.category, question="Who writes them?", answer="Teams.")


def rename_reference(glossary):
    glossary.reference.title = "New"
    glossary.reference.save()


def add_key_consideration(glossary):
    KeyConsideration.objects.create(term=glossary.term, text="Keep it current", position=1)


def relate_terms(glossary):
    glossary.term.related.add(Term.objects.get(slug="datasheet"))


def reword_default_call_to_action(glossary):
    settings = SiteSettings.load()
    settings.default_cta_heading = "Questions about {term}?"
    settings.save()


def publish_draft(glossary):
    term_publish(term=glossary.draft)


def archive_term(glossary):
    term_archive(term=glossary.term)


def import_new_summary(glossary):
    exported = glossary_export()
    for record in exported["terms"]:
        if record["slug"] == "model-card":
            record["summary"] = "Imported summary."
    glossary_import(data=exported)


def mark_reviewed(glossary):
    term_mark_reviewed(term=glossary.term)


def titles(response):
    return [item["title"] for item in response.json()["results"]]


CHANGES = [
    pytest.param(
        rename_term, PAGE, lambda r: r.json()["title"], "Model Card", "Model Cards", id="orm-save"
    ),
    pytest.param(
        rename_term,
        LIST,
        titles,
        ["Datasheet", "Model Card"],
        ["Datasheet", "Model Cards"],
        id="orm-save-list",
    ),
    pytest.param(delete_term, PAGE, lambda r: r.status_code, 200, 404, id="delete"),
    pytest.param(delete_term, LIST, lambda r: r.json()["count"], 2, 1, id="delete-count"),
    pytest.param(
        add_shared_faq,
        PAGE,
        lambda r: [faq["question"] for faq in r.json()["faqs"]],
        [],
        ["Who writes them?"],
        id="shared-faq",
    ),
    pytest.param(
        add_shared_faq,
        "/api/v1/categories/governance/",
        lambda r: len(r.json()["json_ld"]["@graph"]),
        1,
        2,
        id="shared-faq-category",
    ),
    pytest.param(
        rename_reference,
        PAGE,
        lambda r: r.json()["references"][0]["title"],
        "Old",
        "New",
        id="reference-title",
    ),
    pytest.param(
        add_key_consideration,
        PAGE,
        lambda r: r.json()["key_considerations"],
        [],
        ["Keep it current"],
        id="key-consideration",
    ),
    pytest.param(
        relate_terms,
        PAGE,
        lambda r: [item["slug"] for item in r.json()["related"]],
        [],
        ["datasheet"],
        id="related-terms",
    ),
    pytest.param(
        reword_default_call_to_action,
        PAGE,
        lambda r: r.json()["cta"]["heading"],
        "Need help implementing Model Card?",
        "Questions about Model Card?",
        id="site-settings",
    ),
    pytest.param(
        publish_draft,
        LIST,
        titles,
        ["Datasheet", "Model Card"],
        ["Datasheet", "Model Card", "Red Teaming"],
        id="publish-list",
    ),
    pytest.param(
        publish_draft,
        "/api/v1/letters/",
        lambda r: {row["letter"]: row["count"] for row in r.json()}["R"],
        0,
        1,
        id="publish-letters",
    ),
    pytest.param(
        publish_draft,
        "/api/v1/categories/",
        lambda r: r.json()[0]["term_count"],
        2,
        3,
        id="publish-category-count",
    ),
    pytest.param(archive_term, PAGE, lambda r: r.status_code, 200, 404, id="archive"),
    pytest.param(
        import_new_summary,
        PAGE,
        lambda r: r.json()["summary"],
        "A short summary.",
        "Imported summary.",
        id="import",
    ),
    pytest.param(
        mark_reviewed,
        PAGE,
        lambda r: r.json()["reviewed_at"] is not None,
        False,
        True,
        id="mark-reviewed",
    ),
    pytest.param(
        mark_reviewed,
        LIST,
        lambda r: [item["reviewed_at"] is not None for item in r.json()["results"]],
        [False, False],
        [False, True],
        id="mark-reviewed-list",
    ),
]


@pytest.mark.parametrize(("change", "path", "read", "before", "after"), CHANGES)
def test_a_content_change_shows_on_the_very_next_request(
    client, glossary, django_assert_num_queries, change, path, read, before, after
):
    assert read(cached(client, path, django_assert_num_queries)) == before

    change(glossary)

    assert read(client.get(path)) == after


def test_a_working_copy_published_in_the_admin_shows_on_the_very_next_request(
    publisher_client, reader, glossary, django_assert_num_queries
):
    assert cached(reader, PAGE, django_assert_num_queries).json()["title"] == "Model Card"
    change_url = publisher_client.get(reverse("admin:terms_term_change", args=[glossary.term.pk]))[
        "Location"
    ]
    term = Term.objects.get(draft_of=glossary.term)
    citation = term.citations.get()
    data = {
        "title": "Model Card (admin)",
        "slug": "model-card",
        "aliases": "",
        "category": str(glossary.category.pk),
        "status": "published",
        "summary": term.summary,
        "definition": term.definition,
        "why_it_matters": term.why_it_matters,
        "cta_heading": "",
        "cta_body": "",
    }
    for prefix in ("key_considerations", "faqs"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    data |= {"citations-TOTAL_FORMS": "1", "citations-INITIAL_FORMS": "1"}
    data |= {
        "citations-0-id": str(citation.pk),
        "citations-0-term": str(term.pk),
        "citations-0-reference": str(glossary.reference.pk),
        "citations-0-position": "1",
    }

    response = publisher_client.post(change_url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert reader.get(PAGE).json()["title"] == "Model Card (admin)"


# Sessions ------------------------------------------------------------------------------


def test_a_logged_in_session_is_never_served_the_cached_anonymous_copy(
    client, reader, editor, glossary, django_assert_num_queries
):
    cached(reader, PAGE, django_assert_num_queries)
    # Behind the cache's back (update() sends no signal): the anonymous copy stays.
    Term.objects.filter(pk=glossary.term.pk).update(title="Changed Quietly")
    client.force_login(editor)

    with CaptureQueriesContext(connection) as captured:
        logged_in = client.get(PAGE)

    assert len(captured) > 0
    assert logged_in.json()["title"] == "Changed Quietly"
    assert reader.get(PAGE).json()["title"] == "Model Card"


def test_a_logged_in_response_is_never_stored_for_anonymous_readers(
    client, reader, editor, glossary
):
    client.force_login(editor)
    client.get(PAGE)

    with CaptureQueriesContext(connection) as captured:
        anonymous = reader.get(PAGE)

    assert len(captured) > 0
    assert anonymous.status_code == 200


# The cached copy must still be the right answer for the request ------------------------


def test_cache_hits_still_count_against_the_anonymous_rate(client, glossary, monkeypatch, settings):
    rates = {"anon": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)

    statuses = [client.get(PAGE).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_a_copy_cached_for_http_is_not_served_to_https(client, glossary):
    client.get(PAGE)

    secure = client.get(PAGE, secure=True).json()

    assert secure["url"] == "https://testserver/api/v1/terms/model-card/"
    assert secure["cta"]["inquiry_url"] == "https://testserver/advisory/?term=model-card"
