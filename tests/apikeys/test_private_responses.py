"""Keyed responses are private: never stored in the shared response cache, never served
from it, and `Cache-Control: private, no-store` so that no CDN or browser keeps them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apikeys.models import ApiKeyUse
from apikeys.services import api_key_create
from glossary_project.httpcache.responses import anonymous
from terms.models import Term

from ..factories import TermFactory, UserFactory
from ..helpers.processes import gunicorn, server_environment

TERMS = "/api/v1/terms/"


@pytest.fixture
def response_cache(settings):
    settings.API_RESPONSE_CACHE = True


def directives(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.mark.django_db
@pytest.mark.parametrize("path", [TERMS, "/api/v1/letters/", "/api/v1/categories/"])
def test_a_keyed_response_is_private_and_no_store_where_the_public_one_is_public(
    client, new_key, keyed_client, path, response_cache
):
    TermFactory()
    public = client.get(path)

    keyed = keyed_client(new_key("content:write").text).get(path)

    assert "public" in directives(public)
    assert directives(keyed) == {"private", "no-store"}
    assert "Authorization" in keyed["Vary"]


@pytest.mark.django_db
def test_a_keyed_response_carries_no_cache_tags_for_a_cdn(client, new_key, keyed_client):
    TermFactory(slug="model-card")
    path = f"{TERMS}model-card/"

    public = client.get(path)
    keyed = keyed_client(new_key("content:read-unpublished").text).get(path)

    assert public.has_header("Surrogate-Key")
    assert not keyed.has_header("Surrogate-Key")
    assert not keyed.has_header("Cache-Tag")
    assert "s-maxage" not in keyed["Cache-Control"]


@pytest.mark.django_db
def test_a_refused_key_is_private_too(client):
    response = client.get(TERMS, headers={"Authorization": "Bearer gk_00000000_nope"})

    assert response.status_code == 401
    assert directives(response) == {"private", "no-store"}


@pytest.mark.django_db
def test_the_response_cache_does_not_read_requests_with_authorization(rf):
    assert anonymous(rf.get(TERMS))
    assert not anonymous(rf.get(TERMS, headers={"Authorization": "Bearer gk_x_y"}))


@pytest.mark.django_db
def test_an_anonymous_read_after_a_keyed_read_of_a_draft_does_not_see_it(
    client, new_key, keyed_client, response_cache
):
    TermFactory(slug="draft-idea", status=Term.Status.DRAFT)
    reader = keyed_client(new_key("content:read-unpublished").text)

    assert reader.get(f"{TERMS}draft-idea/").status_code == 200
    assert reader.get(TERMS).json()["count"] == 1

    assert client.get(f"{TERMS}draft-idea/").status_code == 404
    assert client.get(TERMS).json()["count"] == 0


@pytest.mark.django_db
def test_a_keyed_read_is_never_answered_from_the_cache(
    client, new_key, keyed_client, response_cache
):
    TermFactory(slug="model-card")
    path = f"{TERMS}model-card/"
    client.get(path)  # stored for anonymous readers
    reader = keyed_client(new_key("content:write").text)

    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = reader.get(path)
        assert response.status_code == 200
        assert len(queries) > 0  # built by Django, not replayed
    assert ApiKeyUse.objects.count() == 2


# Through a real server: gunicorn (its WSGI fast path answers cache hits) and Redis.

pytestmark_server = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def server(shared_cache, tmp_path_factory):
    environment = server_environment(
        CACHE_URL=shared_cache, API_RESPONSE_CACHE="1", API_ANON_RATE="100000/minute"
    )
    with gunicorn(environment, workers=1, log_dir=tmp_path_factory.mktemp("server")) as site:
        yield site


@pytestmark_server
def test_through_gunicorn_and_redis_keyed_reads_bypass_the_shared_cache(server):
    term = TermFactory(title="Cached Title", slug="cached")
    TermFactory(title="Draft Idea", slug="draft-idea", status=Term.Status.DRAFT)
    text = api_key_create(
        name="Front end", scopes=["content:read-unpublished"], created_by=UserFactory()
    ).text
    keyed = {"Authorization": f"Bearer {text}"}
    path = f"{TERMS}cached/"
    assert server.get(path).json()["title"] == "Cached Title"
    # Behind the cache's back (update() sends no signal): anonymous readers get the copy.
    Term.objects.filter(pk=term.pk).update(title="Changed Quietly")
    assert server.get(path).json()["title"] == "Cached Title"

    fresh = server.get(path, headers=keyed)
    draft = server.get(f"{TERMS}draft-idea/", headers=keyed)

    assert fresh.json()["title"] == "Changed Quietly"
    assert fresh.headers["cache-control"] == "private, no-store"
    assert draft.status == 200
    assert server.get(f"{TERMS}draft-idea/").status == 404
    assert server.get(path).json()["title"] == "Cached Title"
    assert ApiKeyUse.objects.count() == 2
