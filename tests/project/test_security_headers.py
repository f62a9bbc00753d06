"""The headers a browser is given with every kind of response: a Content-Security-Policy
that allows nothing inline and nothing from elsewhere, no framing, no MIME sniffing, a
referrer policy, no powerful browser features, and CORS for the front ends allowed. The
same on a page, an API answer or error, the admin, a health probe, a cached API answer
replayed before Django runs, and the 429 answered there too."""

import uuid
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.utils.datastructures import CaseInsensitiveMapping

from glossary_project.wsgi import application
from terms.models import SiteSettings
from terms.roles import ADVISORY_TEAM, EDITORS

from ..factories import CategoryFactory, InquiryFactory, TermFactory, UserFactory
from ..helpers.wsgi import call_wsgi, connections_kept_open, environ_for

pytestmark = pytest.mark.django_db

FRONT_END = "https://app.example.com"
# What every response says, whatever it is; HSTS is added to those sent over HTTPS.
PROTECTION = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@pytest.fixture(autouse=True)
def site(settings):
    settings.ALLOWED_HOSTS = ["glossary.test", "testserver"]
    settings.CORS_ALLOWED_ORIGINS = [FRONT_END]
    cache.clear()
    yield
    cache.clear()


def policy(headers) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    text = headers.get("Content-Security-Policy", "")
    return {name: sources for name, *sources in (part.split() for part in text.split(";")) if name}


def assert_protected(headers) -> None:
    csp = policy(headers)
    assert csp["default-src"] == ["'self'"], csp
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    sources = {source for values in csp.values() for source in values}
    assert sources <= {"'self'", "'none'", "data:"}, sources  # no host, nothing unsafe
    for name, value in PROTECTION.items():
        assert headers.get(name) == value, name
    features = {part.strip() for part in headers.get("Permissions-Policy", "").split(",")}
    assert {"camera=()", "microphone=()", "geolocation=()", "payment=()"} <= features


class InlineCode(HTMLParser):
    """What a page holds that the policy would block: inline scripts (a JSON-LD block is
    data, not script), <style> elements, style attributes and event handler attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        data = attributes.get("type") == "application/ld+json"
        if tag == "script" and "src" not in attributes and not data:
            self.found.append(f"<script> at line {self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> at line {self.getpos()[0]}")
        for name in attributes:
            if name == "style" or name.startswith("on"):
                self.found.append(f"{tag} {name}= at line {self.getpos()[0]}")


def assert_page_protected(response) -> None:
    assert_protected(response)
    assert InlineCode(response.content.decode()).found == []


# Pages, the API, the admin


def test_every_page_of_the_site_forbids_inline_code_outside_sources_and_framing(client):
    term = TermFactory(title="Attention", slug="attention", category__slug="architectures")
    pages = [
        "/glossary/",
        "/glossary/?q=attention",
        term.get_absolute_url(),
        term.category.get_absolute_url(),
        "/advisory/",
        f"/advisory/?term={term.slug}",
        f"/advisory/thanks/?reference={uuid.uuid4()}",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_page_protected(response)


def test_a_page_that_is_not_there_is_protected_too(client):
    response = client.get("/glossary/no-such-term/")

    assert response.status_code == 404
    assert_page_protected(response)


def test_api_answers_and_api_errors_carry_the_same_protection(client):
    TermFactory(title="Attention", slug="attention")
    answers = {
        "/api/v1/terms/": 200,
        "/api/v1/terms/attention/": 200,
        "/api/v1/terms/no-such-term/": 404,
        "/api/v1/terms/?letter=bad": 400,
        "/api/v1/inquiries/": 401,  # no credentials: the session or an API key
        "/api/schema/": 200,
    }
    for path, status in answers.items():
        response = client.get(path)
        assert response.status_code == status, path
        assert_protected(response)


def test_the_swagger_ui_page_needs_no_inline_script_or_style(client):
    page = client.get("/api/docs/")

    assert page.status_code == 200
    assert_page_protected(page)
    script = client.get("/api/docs/?script=")  # what the page loads to start Swagger UI
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content


def test_the_old_redoc_address_leads_to_the_swagger_ui_docs(client):
    response = client.get("/api/redoc/")

    assert response.status_code == 301
    assert response["Location"] == "/api/docs/"


def test_the_admin_login_page_and_an_editors_term_form_carry_no_inline_code(client):
    login = client.get("/admin/login/")
    assert login.status_code == 200
    assert_page_protected(login)

    term = TermFactory()  # published: its page is its working copy's, with the review box
    client.force_login(UserFactory(is_staff=True, roles=[EDITORS]))
    for path in [
        "/admin/",
        f"/admin/terms/term/{term.pk}/change/",
        f"/admin/terms/term/{term.pk}/history/",
        "/admin/terms/term/add/",
    ]:
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        assert_page_protected(response)


def test_the_advisory_teams_inbox_carries_no_inline_code(client):
    inquiry = InquiryFactory()
    client.force_login(UserFactory(is_staff=True, roles=[ADVISORY_TEAM]))
    pages = [
        "/admin/advisory/inquiry/",
        f"/admin/advisory/inquiry/{inquiry.pk}/change/",
        "/admin/advisory/inquiry/leads/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_page_protected(response)


def test_health_probes_are_protected_and_still_answered_over_plain_http_to_any_host(
    client, settings
):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["glossary.example.com"]

    for path in ["/health/live", "/health/ready"]:
        response = client.get(path, HTTP_HOST="10.0.0.7:8000")
        assert response.status_code == 200, path
        assert_protected(response)

    # The rest of the site still moves plain HTTP to HTTPS.
    assert client.get("/glossary/", HTTP_HOST="glossary.example.com").status_code == 301


def test_an_allowed_front_end_may_read_an_api_answer_and_its_retry_after(client):
    response = client.get("/api/v1/letters/", HTTP_ORIGIN=FRONT_END)

    assert response["Access-Control-Allow-Origin"] == FRONT_END
    exposed = {
        name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")
    }
    assert "retry-after" in exposed
    other = client.get("/api/v1/letters/", HTTP_ORIGIN="https://elsewhere.example")
    assert "Access-Control-Allow-Origin" not in other


def test_a_front_ends_cors_preflight_is_answered_with_the_same_protection(client):
    response = client.options(
        "/api/v1/inquiries/",
        HTTP_ORIGIN=FRONT_END,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, idempotency-key",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONT_END
    assert "idempotency-key" in response["Access-Control-Allow-Headers"]
    assert_protected(response)


# The 429 answered before Django's middleware (the response cache's rate count)


def test_a_throttled_front_end_gets_the_429_with_the_same_protection_and_cors_headers(
    client, low_rate
):
    statuses = [client.get("/api/v1/letters/", HTTP_ORIGIN=FRONT_END).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    throttled = client.get("/api/v1/letters/", HTTP_ORIGIN=FRONT_END)
    assert throttled.status_code == 429
    assert_protected(throttled)
    assert throttled["Access-Control-Allow-Origin"] == FRONT_END
    assert "retry-after" in throttled["Access-Control-Expose-Headers"].lower()
    assert int(throttled["Retry-After"]) > 0


# The production WSGI application: cache hits and 429s answered before Django runs.
# Committed for real: nothing is stored from inside a transaction that changed content.


@pytest.fixture
def wsgi_site(settings, transactional_db):
    settings.API_RESPONSE_CACHE = True
    SiteSettings.load()  # stored, as after the first page view: reading it inserts nothing
    CategoryFactory(slug="architectures")
    with connections_kept_open():
        yield


def call(path="/api/v1/letters/", **environ) -> tuple[int, CaseInsensitiveMapping, bytes]:
    status, headers, body = call_wsgi(
        application, environ_for(path, host="glossary.test", **environ)
    )
    return status, CaseInsensitiveMapping(headers), body


def same_header(name, one, other) -> bool:
    """Whether two responses say the same in header ``name`` (the CSP's directives may
    come in any order)."""
    if name == "Content-Security-Policy":
        return policy(one) == policy(other) != {}
    return one.get(name) == other.get(name) is not None


OVER_HTTPS = {"wsgi.url_scheme": "https", "SERVER_PORT": "443"}
SENT_BY_THE_STACK = [
    "Content-Security-Policy",
    "Permissions-Policy",
    "Strict-Transport-Security",
    "Cross-Origin-Opener-Policy",
    "Access-Control-Allow-Origin",
    "Access-Control-Expose-Headers",
    "Vary",
    *PROTECTION,
]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_cached_api_answer_replayed_before_django_has_the_headers_django_gave_it(wsgi_site):
    first = call(HTTP_ORIGIN=FRONT_END, **OVER_HTTPS)
    replayed = call(HTTP_ORIGIN=FRONT_END, **OVER_HTTPS)

    assert first[0] == replayed[0] == 200
    assert replayed[2] == first[2]
    for name in SENT_BY_THE_STACK:
        assert same_header(name, replayed[1], first[1]), name
    assert_protected(replayed[1])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_429_answered_before_django_has_the_headers_a_django_answer_has(wsgi_site, low_rate):
    answered = call(HTTP_ORIGIN=FRONT_END, **OVER_HTTPS)
    call(HTTP_ORIGIN=FRONT_END, **OVER_HTTPS)

    status, headers, body = call(HTTP_ORIGIN=FRONT_END, **OVER_HTTPS)

    assert status == 429, body
    assert int(headers["Retry-After"]) > 0
    assert_protected(headers)
    for name in SENT_BY_THE_STACK:
        if name != "Vary":  # what the answer varies by differs (Accept, Cookie)
            assert same_header(name, headers, answered[1]), name
    assert "origin" in headers["Vary"].lower()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_429_answered_before_django_gives_no_cors_headers_to_an_unknown_origin(
    wsgi_site, low_rate
):
    for _ in range(2):
        call(HTTP_ORIGIN="https://elsewhere.example")

    status, headers, _body = call(HTTP_ORIGIN="https://elsewhere.example")

    assert status == 429
    assert_protected(headers)
    assert "Access-Control-Allow-Origin" not in headers
