"""HTTP the way browsers and CDNs expect: validators, 304, Cache-Control, CORS, 429."""

import pytest

from ..factories import TermFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/v1/terms/",
    "/api/v1/terms/attention/",
    "/api/v1/categories/",
    "/api/v1/categories/architectures/",
    "/api/v1/letters/",
]


@pytest.fixture(autouse=True)
def term():
    return TermFactory(title="Attention", slug="attention", category__slug="architectures")


@pytest.fixture(params=[False, True], ids=["uncached", "response-cache"])
def response_cache(request, settings):
    settings.API_RESPONSE_CACHE = request.param
    return request.param


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_public_response_carries_etag_last_modified_and_cache_control(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith(" GMT")
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "max-age=60"} <= directives  # and the shared caches' (tests/cdn)


def test_max_age_follows_the_setting(client, settings):
    settings.API_CACHE_MAX_AGE = 300
    assert "max-age=300" in client.get("/api/v1/letters/")["Cache-Control"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_repeated_request_with_if_none_match_gets_304(client, response_cache, path):
    first = client.get(path)
    again = client.get(path, headers={"if-none-match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_a_repeated_request_with_if_modified_since_gets_304(client, response_cache):
    first = client.get("/api/v1/terms/attention/")
    again = client.get(
        "/api/v1/terms/attention/", headers={"if-modified-since": first["Last-Modified"]}
    )
    assert again.status_code == 304


def test_a_stale_etag_gets_the_new_content(client, term):
    first = client.get("/api/v1/terms/attention/")
    term.summary = "Weighing every token against every other."
    term.save()

    again = client.get("/api/v1/terms/attention/", headers={"if-none-match": first["ETag"]})

    assert again.status_code == 200
    assert again.json()["summary"] == "Weighing every token against every other."
    assert again["ETag"] != first["ETag"]


def test_different_queries_have_different_etags(client):
    TermFactory(title="Embedding")
    everything = client.get("/api/v1/terms/")
    some = client.get("/api/v1/terms/", {"letter": "E"})
    assert everything["ETag"] != some["ETag"]


def test_an_error_is_not_marked_as_publicly_cacheable(client):
    response = client.get("/api/v1/terms/", {"letter": "Q1"})
    assert response.status_code == 400
    assert "public" not in response.get("Cache-Control", "")


def test_head_answers_without_a_body(client):
    response = client.head("/api/v1/terms/attention/")
    assert response.status_code == 200
    assert response.content == b""
    assert response.has_header("Last-Modified")


# CORS ----------------------------------------------------------------------------------


@pytest.fixture
def front_end(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://front.example"]


def test_the_front_end_origin_may_read_the_api(client, front_end, response_cache):
    for _ in range(2):  # the second may come from the response cache
        response = client.get("/api/v1/terms/", headers={"origin": "https://front.example"})
        assert response["Access-Control-Allow-Origin"] == "https://front.example"


def test_another_origin_gets_no_cors_header(client, front_end, response_cache):
    client.get("/api/v1/terms/", headers={"origin": "https://front.example"})
    response = client.get("/api/v1/terms/", headers={"origin": "https://evil.example"})
    assert response.status_code == 200
    assert not response.has_header("Access-Control-Allow-Origin")


def test_the_front_end_passes_a_preflight_request(client, front_end):
    response = client.options(
        "/api/v1/terms/",
        headers={"origin": "https://front.example", "access-control-request-method": "GET"},
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://front.example"
    assert "GET" in response["Access-Control-Allow-Methods"]


def test_without_configured_origins_no_origin_gets_a_cors_header(client, settings):
    settings.CORS_ALLOWED_ORIGINS = []
    response = client.get("/api/v1/terms/", headers={"origin": "https://front.example"})
    assert not response.has_header("Access-Control-Allow-Origin")


# Throttling ----------------------------------------------------------------------------


def test_an_anonymous_client_over_the_rate_gets_429_with_retry_after(
    client, low_rate, response_cache
):
    assert [client.get("/api/v1/letters/").status_code for _ in range(2)] == [200, 200]

    response = client.get("/api/v1/letters/")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    seconds = int(response["Retry-After"])
    assert 0 < seconds <= 60
    assert response.json() == {
        "detail": f"Request was throttled. Expected available in {seconds} seconds."
    }


def test_the_rate_counts_every_endpoint_together(client, low_rate):
    client.get("/api/v1/letters/")
    client.get("/api/v1/categories/")
    assert client.get("/api/v1/terms/").status_code == 429


def test_another_client_address_has_its_own_allowance(client, low_rate):
    for _ in range(3):
        client.get("/api/v1/letters/")
    response = client.get("/api/v1/letters/", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "disguise",
    [{"HTTP_COOKIE": "sessionid=made-up"}, {"HTTP_AUTHORIZATION": "Bearer made-up"}],
    ids=["made-up-session-cookie", "made-up-authorization"],
)
def test_a_made_up_credential_does_not_escape_the_anonymous_rate(
    client, low_rate, response_cache, disguise
):
    statuses = [client.get("/api/v1/letters/", **disguise).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_logged_in_editor_is_not_throttled(client, low_rate, editor):
    client.force_login(editor)
    statuses = {client.get("/api/v1/letters/").status_code for _ in range(4)}
    assert statuses == {200}
