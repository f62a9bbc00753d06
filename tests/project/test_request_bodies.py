"""Request bodies are read with a hard limit however they come: with a Content-Length,
or in chunks (Transfer-Encoding: chunked, which gunicorn passes on without one). A
chunked inquiry is stored like any other, through the API and the site's form; past its
limit, chunked or not, a body is answered 413 and nothing is stored."""

import http.client
import json
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest

from advisory.forms import form_token
from advisory.models import Inquiry
from terms.models import SiteSettings

from ..factories import TermFactory
from ..helpers.processes import HOST, gunicorn, server_environment

INQUIRY_LIMIT = 4096
GLOSSARY_LIMIT = 3_000_000  # above Django's 2.5 MB: a document may be larger than a form
TRANSACTIONAL = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, static_root, tmp_path_factory):
    """gunicorn on the test database, inquiries limited to INQUIRY_LIMIT bytes and glossary
    documents to GLOSSARY_LIMIT."""
    with django_db_blocker.unblock():
        environment = server_environment(
            ADVISORY_MAX_BODY_BYTES=str(INQUIRY_LIMIT),
            API_GLOSSARY_MAX_BYTES=str(GLOSSARY_LIMIT),
            ADVISORY_MIN_SECONDS="0",
            STATIC_ROOT=static_root,
        )
    with gunicorn(environment, log_dir=tmp_path_factory.mktemp("bodies")) as server:
        yield server


@pytest.fixture
def stored_settings(db):
    SiteSettings.load()  # as after the first page view: reading it inserts nothing


def send(site, method, path, body, *, chunk_size=None, headers=None):
    """(status, headers, body); in chunks of ``chunk_size`` bytes when given."""
    connection = http.client.HTTPConnection(HOST, site.port, timeout=30)
    try:
        if chunk_size:
            chunks = (body[at : at + chunk_size] for at in range(0, len(body), chunk_size))
            connection.request(method, path, body=chunks, headers=headers or {})
        else:
            connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def inquiry(site, **changes) -> dict:
    token = json.loads(site.get("/api/v1/inquiries/form/").body)["form_token"]
    return {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "company": "Analytical Engines",
        "message": "We would like to discuss a pilot for document search.",
        "consent": True,
        "form_token": token,
        **changes,
    }


JSON = {"Content-Type": "application/json"}


@TRANSACTIONAL
def test_an_inquiry_sent_in_chunks_is_stored_with_every_field(site, stored_settings):
    body = json.dumps(inquiry(site, job_title="Countess")).encode()

    status, _headers, content = send(
        site, "POST", "/api/v1/inquiries/", body, chunk_size=50, headers=JSON
    )

    assert status == 201, content
    stored = Inquiry.objects.get()
    assert str(stored.reference) == json.loads(content)["reference"]
    assert (stored.name, stored.job_title, stored.company) == (
        "Ada Lovelace",
        "Countess",
        "Analytical Engines",
    )


@TRANSACTIONAL
def test_the_sites_form_sent_in_chunks_is_stored(site, stored_settings):
    form_page = site.get("/advisory/")
    cookie = SimpleCookie(form_page.headers["set-cookie"])["csrftoken"].value
    csrf = form_page.body.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    fields = {**inquiry(site), "consent": "on", "csrfmiddlewaretoken": csrf}
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={cookie}",
    }

    status, answer, content = send(
        site, "POST", "/advisory/", urlencode(fields).encode(), chunk_size=64, headers=headers
    )

    assert status == 302, content[:500]
    assert answer["Location"].startswith("/advisory/thanks/?reference=")
    assert Inquiry.objects.get().name == "Ada Lovelace"


@TRANSACTIONAL
@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "with a Content-Length"])
def test_an_inquiry_over_its_limit_is_a_413_and_nothing_is_stored(site, stored_settings, chunked):
    body = json.dumps(inquiry(site, message="x" * INQUIRY_LIMIT)).encode()

    status, _headers, content = send(
        site, "POST", "/api/v1/inquiries/", body, chunk_size=1000 if chunked else None, headers=JSON
    )

    assert status == 413
    assert json.loads(content) == {
        "detail": f"The request body is too large: at most {INQUIRY_LIMIT} bytes."
    }
    assert Inquiry.objects.count() == 0


@TRANSACTIONAL
def test_a_chunked_body_elsewhere_is_held_to_djangos_upload_limit(site, settings):
    body = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    status, _headers, content = send(
        site, "POST", "/api/v1/terms/", body, chunk_size=64 * 1024, headers=JSON
    )

    assert status == 413
    assert json.loads(content) == {
        "detail": f"The request body is too large: at most "
        f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
    }


@TRANSACTIONAL
def test_a_chunked_body_within_djangos_upload_limit_reaches_the_view(site):
    status, _headers, content = send(
        site, "POST", "/api/v1/letters/", b"{}", chunk_size=1, headers=JSON
    )

    assert status == 405  # read, and refused by the view for what it is: a write
    assert json.loads(content) == {"detail": 'Method "POST" not allowed.'}


@TRANSACTIONAL
@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "with a Content-Length"])
def test_a_glossary_document_has_its_own_limit(site, settings, chunked):
    within = b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1000)
    over = b" " * (GLOSSARY_LIMIT + 1)
    chunk_size = 64 * 1024 if chunked else None

    read, _headers, _content = send(
        site, "POST", "/api/v1/glossary/", within, chunk_size=chunk_size, headers=JSON
    )
    refused, _headers, content = send(
        site, "POST", "/api/v1/glossary/", over, chunk_size=chunk_size, headers=JSON
    )

    assert read == 401  # past the size check, at the view: this document needs a key
    assert refused == 413
    assert json.loads(content) == {
        "detail": f"The request body is too large: at most {GLOSSARY_LIMIT} bytes."
    }


# Without a server: the same limits for the test client (and runserver).


@pytest.mark.django_db
def test_a_form_post_over_djangos_upload_limit_is_a_413_page_not_a_400(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post("/glossary/", {"q": "x" * 2000})

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "Too large to send" in response.content.decode()


@pytest.mark.django_db
def test_a_get_with_a_body_is_answered_without_reading_or_refusing_it(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10

    response = client.generic("GET", "/api/v1/letters/", b"x" * 100)

    assert response.status_code == 200


# The limit holds every inquiry a person can send, written in the widest characters.

WIDE = "😀"  # four bytes in UTF-8, twelve once percent-encoded or escaped in JSON


def largest_inquiry(issued_token: str, term: str) -> dict:
    """Every field at the most the form takes, in four-byte characters where text may be."""
    return {
        "name": WIDE * 200,
        "email": f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 53}.example",  # 254 characters
        "company": WIDE * 200,
        "job_title": WIDE * 200,
        "country": WIDE * 100,
        "phone": "+" + "1" * 39,
        "message": WIDE * 5000,
        "term": term,
        "source_url": "/glossary/" + "%F0%9F%98%80" * 40,
        "form_token": issued_token,
    }


@pytest.mark.django_db
def test_the_largest_inquiry_a_person_can_send_fits_the_default_limit(client, settings):
    settings.ADVISORY_RATE = "10/hour"
    term = TermFactory(slug="a" * 200).slug
    fields = largest_inquiry(form_token(), term)

    as_form = client.post(  # as a browser sends a form: percent-encoded
        "/advisory/",
        urlencode({**fields, "consent": "on"}),
        content_type="application/x-www-form-urlencoded",
    )
    as_json = client.post(
        "/api/v1/inquiries/",
        json.dumps({**fields, "consent": True, "form_token": form_token()}),  # ASCII-escaped
        content_type="application/json",
    )

    assert (as_form.status_code, as_json.status_code) == (302, 201)
    assert Inquiry.objects.count() == 2
