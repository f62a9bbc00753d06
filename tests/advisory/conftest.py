import time

import pytest
from django.core.cache import cache

from advisory.forms import form_token

from ..helpers.smtp import free_port, send_through_smtp, smtp_server


@pytest.fixture(autouse=True)
def _empty_cache():
    """The local-memory cache outlives a test: start each one without cached responses
    or throttle history."""
    cache.clear()


@pytest.fixture
def issued_token():
    """Make a form token as if the form had been shown ``seconds_ago`` seconds ago.

    That time is what the spam check (ADVISORY_MIN_SECONDS) reads. Expiry is checked
    against the signature's own timestamp, which is always now: to test an expired
    token, set ADVISORY_FORM_MAX_AGE = -1 instead.
    """

    def make(seconds_ago: float = 10) -> str:
        return form_token(now=time.time() - seconds_ago)

    return make


@pytest.fixture
def valid_inquiry_data(issued_token):
    """What a person sends through the form: every field filled sensibly, consent given,
    a token from ten seconds ago, no term. Values are strings, as in a form POST."""
    return {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "company": "Analytical Engines Ltd",
        "job_title": "Head of Data",
        "country": "United Kingdom",
        "phone": "+44 20 7946 0000",
        "message": "We would like to discuss a pilot for document search.",
        "consent": "on",
        "form_token": issued_token(10),
    }


@pytest.fixture
def mailbox(settings):
    """A real SMTP server on a free port that Django's mail goes to, for this test."""
    port = free_port()
    send_through_smtp(settings, port)
    with smtp_server(port) as box:
        yield box


@pytest.fixture
def another_form(issued_token):
    """``data`` (with ``changes``) as sent from a newly shown form: a form token of its own.
    Each token makes one inquiry; the same token again is the same submission."""

    def make(data: dict, **changes) -> dict:
        return {**data, **changes, "form_token": issued_token(10)}

    return make
