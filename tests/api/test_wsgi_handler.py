"""The production WSGI application answers response-cache hits itself, before Django's
request machinery; everything else still goes through Django as usual."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from glossary_project.wsgi import application
from terms.models import SiteSettings

from ..factories import TermFactory, UserFactory
from ..helpers.wsgi import call_wsgi, connections_kept_open, environ_for

# Committed for real: a response built inside a transaction that changed content (as the
# test's own would be) is never stored, since that transaction could still roll back.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PAGE = "/api/v1/terms/model-card/"


@pytest.fixture(autouse=True)
def response_cache(settings):
    settings.API_RESPONSE_CACHE = True
    settings.ALLOWED_HOSTS = ["glossary.test"]
    SiteSettings.load()  # stored, as after the first page view: reading it inserts nothing
    TermFactory(title="Model Card", slug="model-card")
    with connections_kept_open():
        yield


def call(path=PAGE, method="GET", host="glossary.test", **headers):
    return call_wsgi(application, environ_for(path, method, host=host, **headers))


def test_a_repeated_read_is_answered_without_the_database_and_with_the_same_bytes():
    first = call()
    with CaptureQueriesContext(connection) as queries:
        again = call()

    assert first[0] == again[0] == 200
    assert again[2] == first[2]
    assert json.loads(again[2])["slug"] == "model-card"
    assert again[1]["ETag"] == first[1]["ETag"]
    assert len(queries) == 0


def test_a_conditional_repeat_gets_304_without_a_body():
    _status, headers, _body = call()

    status, _headers, body = call(HTTP_IF_NONE_MATCH=headers["ETag"])

    assert (status, body) == (304, b"")


def test_a_head_request_served_from_the_cache_has_headers_but_no_body():
    call()

    status, headers, body = call(method="HEAD")

    assert status == 200
    assert body == b""
    assert int(headers["Content-Length"]) > 0


def test_a_host_the_site_does_not_serve_is_refused_by_django_not_served_from_the_cache():
    call()

    status, _headers, _body = call(host="attacker.example")

    assert status == 400


def test_a_logged_in_reader_is_answered_by_django_not_from_the_anonymous_copy(client):
    call()
    client.force_login(UserFactory())
    session_cookie = f"sessionid={client.cookies['sessionid'].value}"

    with CaptureQueriesContext(connection) as queries:
        status, _headers, _body = call(HTTP_COOKIE=session_cookie)

    assert status == 200
    assert len(queries) > 0  # the session and the term were read: not a replay


def test_an_address_that_is_not_ascii_is_a_json_404_not_a_server_error():
    # As gunicorn hands it on: the bytes of /api/v1/terms/€/, read as Latin-1.
    path = "/api/v1/terms/€/".encode().decode("latin-1")

    status, headers, body = call(path)

    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"detail": "No Term matches the given query."}
