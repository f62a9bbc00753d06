"""No input is a server error: odd addresses, NUL characters anywhere, nested, huge or
broken bodies, the wrong content type. Each is answered with a 4xx (or, where the odd
part is harmless, the page itself): JSON under /api/, the site's own page elsewhere.

Sent to the production WSGI application, as gunicorn hands requests on (the path's bytes
as Latin-1, headers as WSGI keys), so the fast path and every layer in front of Django
are part of it. Runs on SQLite and PostgreSQL, which refuses NUL characters in queries.
"""

import json
import time
from http.cookies import SimpleCookie
from urllib.parse import unquote_to_bytes, urlencode

import pytest

from advisory.forms import form_token
from advisory.models import Inquiry
from glossary_project.wsgi import application
from terms.models import SiteSettings

from ..factories import CategoryFactory, TermFactory
from ..helpers.wsgi import call_wsgi, connections_kept_open, environ_for

pytestmark = pytest.mark.django_db

HOST = "glossary.test"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def site(settings):
    settings.ALLOWED_HOSTS = [HOST]
    SiteSettings.load()
    TermFactory(title="Attention", slug="attention", category=CategoryFactory(slug="basics"))
    with connections_kept_open():
        yield


def send(method, address, *, body=b"", content_type=None, cookies="", **headers):
    """``address`` as a client writes it (percent-encoded), given to the application as
    a WSGI server gives it: the path decoded to bytes, read as Latin-1."""
    path, _, query = address.partition("?")
    environ = environ_for(
        unquote_to_bytes(path).decode("latin-1"), method, query=query, host=HOST, **headers
    )
    environ["wsgi.input"].write(body)
    environ["wsgi.input"].seek(0)
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    if cookies:
        environ["HTTP_COOKIE"] = cookies
    return call_wsgi(application, environ)


@pytest.fixture
def csrf():
    """The CSRF cookie and form token a browser gets with the contact form."""
    _status, headers, body = send("GET", "/advisory/")
    cookie = SimpleCookie(headers["Set-Cookie"])["csrftoken"].value
    token = body.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    return {"cookies": f"csrftoken={cookie}", "csrfmiddlewaretoken": token}


def inquiry(**changes) -> dict:
    return {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "company": "Analytical Engines",
        "message": "A pilot for document search.",
        "consent": True,
        "form_token": form_token(now=time.time() - 10),
        **changes,
    }


def as_json(data) -> bytes:
    return json.dumps(data).encode()


def assert_answered_for_its_audience(address, status, headers, body):
    assert status < 500, (address, status, body[:300])
    if address.startswith("/api/"):
        assert headers["Content-Type"] == JSON, (address, headers)
        json.loads(body)
    elif status != 302:
        assert headers["Content-Type"].startswith("text/html"), (address, headers)


NESTED = b"[" * 30_000 + b"]" * 30_000  # within the 128 KB an inquiry may have

# (what it is, method, address, keyword arguments for send, the status expected)
ODD_REQUESTS = [
    # Addresses: not ASCII, not UTF-8, a NUL character.
    ("euro sign in a term slug", "GET", "/api/v1/terms/%E2%82%AC/", {}, 404),
    ("astral characters in a slug", "GET", "/api/v1/categories/%C2%86%F2%81%B8%92/", {}, 404),
    ("not UTF-8 in a slug", "GET", "/api/v1/terms/%C3%28%FF/", {}, 404),
    ("NUL in a slug", "GET", "/api/v1/terms/atten%00tion/", {}, 404),
    ("euro sign in an inquiry reference", "GET", "/api/v1/inquiries/%E2%82%AC/", {}, 404),
    ("euro sign in the letters address", "GET", "/api/v1/letters%E2%82%AC/", {}, 404),
    ("euro sign in a term page", "GET", "/glossary/%E2%82%AC/", {}, 404),
    ("NUL in a category page", "GET", "/glossary/category/a%00b/", {}, 404),
    ("not UTF-8 in a page address", "GET", "/glossary/%FF/", {}, 404),
    # Query strings: a NUL character, an empty parameter, bytes that are not UTF-8.
    ("NUL in a search", "GET", "/api/v1/terms/?search=%00", {}, 400),
    ("NUL in a category filter", "GET", "/api/v1/terms/?category=%00", {}, 400),
    ("NUL as a parameter name", "GET", "/api/v1/letters/?%00=1", {}, 400),
    ("not UTF-8 as a parameter name", "GET", "/api/v1/categories/?%FF=1", {}, 400),
    ("an empty updated_since", "GET", "/api/v1/terms/?updated_since=", {}, 400),
    ("NUL in a preview token", "GET", "/api/v1/terms/nothing/?preview=%00", {}, 404),
    ("NUL in a site search", "GET", "/glossary/?q=%00", {}, 400),
    ("NUL in the form's term", "GET", "/advisory/?term=%00", {}, 200),
    ("NUL in a thank-you reference", "GET", "/advisory/thanks/?reference=%00", {}, 302),
    ("NUL in a sitemap page", "GET", "/sitemap.xml?p=%00", {}, 404),
    ("NUL in the schema's format", "GET", "/api/schema/?format=%00", {}, 404),
    ("euro sign after the docs", "GET", "/api/docs/%E2%82%AC/", {}, 404),
    ("NUL after a health probe", "GET", "/health/live%00", {}, 404),
    ("NUL in the admin login's next", "GET", "/admin/login/?next=%00", {}, 200),
    # Headers.
    ("a host the site does not serve (API)", "GET", "/api/v1/letters/", {"HTTP_HOST": "x"}, 400),
    ("a host the site does not serve (site)", "GET", "/glossary/", {"HTTP_HOST": "x"}, 400),
    ("NUL in the Host header", "GET", "/api/v1/letters/", {"HTTP_HOST": "a\x00b"}, 400),
    ("an Accept with no JSON", "GET", "/api/v1/letters/", {"HTTP_ACCEPT": "text/x-nope"}, 406),
    ("NUL in the Accept header", "GET", "/api/v1/letters/", {"HTTP_ACCEPT": "a\x00/b"}, 406),
    ("NUL in X-Request-ID", "GET", "/api/v1/letters/", {"HTTP_X_REQUEST_ID": "a\x00"}, 200),
    ("NUL in the Referer", "GET", "/advisory/", {"HTTP_REFERER": "/glossary/\x00"}, 200),
    ("NUL in a cookie", "GET", "/api/v1/letters/", {"cookies": "sessionid=a\x00b"}, 200),
    # Bodies to the inquiry API.
    ("NUL in a JSON string", "POST", "/api/v1/inquiries/", {"body": "nul-name"}, 400),
    (
        "NUL as the term (a query on PostgreSQL)",
        "POST",
        "/api/v1/inquiries/",
        {"body": "nul-term"},
        400,
    ),
    ("NUL in the Idempotency-Key", "POST", "/api/v1/inquiries/", {"body": "key"}, 400),
    ("JSON nested 30,000 deep", "POST", "/api/v1/inquiries/", {"body": NESTED}, 400),
    ("JSON larger than an inquiry may be", "POST", "/api/v1/inquiries/", {"body": "huge"}, 413),
    ("a body that is not UTF-8", "POST", "/api/v1/inquiries/", {"body": b'{"name": "\xff"}'}, 400),
    ("a lone surrogate in a value", "POST", "/api/v1/inquiries/", {"body": "surrogate"}, 400),
    ("a lone surrogate as a key", "POST", "/api/v1/inquiries/", {"body": b'{"\\udfff": 1}'}, 400),
    ("NaN", "POST", "/api/v1/inquiries/", {"body": b'{"name": NaN}'}, 400),
    (
        "a number of 5,000 digits",
        "POST",
        "/api/v1/inquiries/",
        {"body": b'{"name": 1' + b"0" * 4999 + b"}"},
        400,
    ),
    ("a JSON string, not an object", "POST", "/api/v1/inquiries/", {"body": b'"\\u0000"'}, 400),
    (
        "a text/plain body",
        "POST",
        "/api/v1/inquiries/",
        {"body": b"hi", "content_type": "text/plain"},
        415,
    ),
    (
        "a form-encoded body",
        "POST",
        "/api/v1/inquiries/",
        {"body": b"name=x", "content_type": FORM},
        415,
    ),
    (
        "a multipart body",
        "POST",
        "/api/v1/inquiries/",
        {"body": b"--x--", "content_type": "multipart/form-data; boundary=x"},
        415,
    ),
    (
        "JSON in an unknown charset",
        "POST",
        "/api/v1/inquiries/",
        {"body": b"{}", "content_type": "application/json; charset=rot13"},
        400,
    ),
    (
        "a Content-Length that is not a number",
        "POST",
        "/api/v1/inquiries/",
        {"CONTENT_LENGTH": "ten"},
        400,
    ),
    ("a body to a read-only address", "POST", "/api/v1/letters/", {"body": b"{}"}, 405),
    # Bodies to the site's form.
    ("NUL in a form field", "POST", "/advisory/", {"form": {"name": "\x00"}}, 400),
    ("NUL as the form's term", "POST", "/advisory/", {"form": {"term": "\x00"}}, 400),
    ("NUL in the hidden page address", "POST", "/advisory/", {"form": {"source_url": "\x00"}}, 302),
    ("a form larger than allowed", "POST", "/advisory/", {"form": {"message": "x" * 140_000}}, 413),
    # Not UTF-8: Django reads the byte as U+FFFD, and a name is a name.
    ("a form that is not UTF-8", "POST", "/advisory/", {"form": {}, "raw": b"&name=%FF"}, 302),
]
BODIES = {
    "nul-name": as_json(inquiry(name="Ada\x00")),
    "nul-term": as_json(inquiry(term="\x00")),
    "huge": as_json(inquiry(message="x" * 140_000)),
    "surrogate": b'{"name": "\\ud800"}',
}


@pytest.mark.parametrize(
    ("method", "address", "options", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in ODD_REQUESTS],
)
def test_an_odd_request_gets_a_4xx_or_its_page_never_a_server_error(
    csrf, method, address, options, expected
):
    options = dict(options)
    if "form" in options:  # the site's form: a browser's CSRF token, the rest of the form
        fields = {
            **inquiry(consent="on"),
            "csrfmiddlewaretoken": csrf["csrfmiddlewaretoken"],
            **options.pop("form"),
        }
        options = {
            "content_type": FORM,
            "cookies": csrf["cookies"],
            "body": urlencode(fields).encode() + options.pop("raw", b""),
            **options,
        }
    elif method == "POST" and "content_type" not in options:
        options["content_type"] = JSON
    body = options.get("body", b"")
    options["body"] = BODIES.get(body, body) if isinstance(body, str) else body
    if body == "key":
        options["body"] = as_json(inquiry())
        options["HTTP_IDEMPOTENCY_KEY"] = "order\x001"

    status, headers, content = send(method, address, **options)

    assert status == expected, (status, content[:300])
    assert_answered_for_its_audience(address, status, headers, content)
    if method == "POST" and status != 302:
        assert Inquiry.objects.count() == 0


def test_the_json_errors_name_what_is_at_fault():
    def errors(body, **options):
        return json.loads(send("POST", "/api/v1/inquiries/", body=body, **options)[2])

    assert errors(BODIES["nul-name"], content_type=JSON) == {
        "name": ["Null characters are not allowed."]
    }
    assert list(errors(BODIES["nul-term"], content_type=JSON)) == ["term"]
    assert list(errors(as_json(inquiry()), content_type=JSON, HTTP_IDEMPOTENCY_KEY="a\x00")) == [
        "Idempotency-Key"
    ]
    assert errors(NESTED, content_type=JSON) == {"detail": "JSON parse error - nested too deeply."}
    assert errors(b"hi", content_type="text/plain") == {
        "detail": 'Unsupported media type "text/plain" in request. Send application/json.'
    }
