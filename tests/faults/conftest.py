"""Fault tests: the real processes (gunicorn with two workers, the db_worker, a real SMTP
server), PostgreSQL, and Redis or PostgreSQL reached through a proxy the test refuses,
stalls or cuts. They run on PostgreSQL (CI runs them there) and commit for real."""

import http.client
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from advisory.forms import form_token
from terms.models import SiteSettings

from ..helpers.processes import HOST, gunicorn, server_environment, worker
from ..helpers.smtp import Mailbox, send_through_smtp, smtp_server
from ..helpers.tcpproxy import TcpProxy

TEAM = "advisory-team@example.org"

# What production runs with (the in-process tests check the generation less often).
PRODUCTION_TIMING = {
    "CONTENT_GENERATION_CHECK_SECONDS": "1",
    "CONTENT_GENERATION_MAX_AGE": "5",
}


# Each module: pytestmark = FAULT_TEST
FAULT_TEST = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def redis_proxy(redis_url) -> Iterator[TcpProxy]:
    """The machine's Redis through a proxy; ``proxy.url`` is the CACHE_URL through it."""
    redis = urlsplit(redis_url)
    with TcpProxy(redis.hostname, redis.port) as proxy:
        proxy.url = f"redis://{HOST}:{proxy.port}{redis.path}"
        yield proxy


@pytest.fixture
def mailbox(settings) -> Iterator[Mailbox]:
    """A real SMTP server; this process's mail goes there too."""
    with smtp_server() as box:
        send_through_smtp(settings, box.port)
        settings.ADVISORY_NOTIFY_EMAILS = [TEAM]
        yield box


@pytest.fixture
def site_env(mailbox, static_root):
    """``site_env(cache_url=…, **overrides)``: the environment of a production-like site
    on the test database, its mail going to ``mailbox``."""

    def environment(*, cache_url: str | None, **overrides) -> dict:
        return site_environment(
            cache_url=cache_url, mailbox=mailbox, static_root=static_root, **overrides
        )

    return environment


def site_environment(
    *, cache_url: str | None, mailbox: Mailbox, static_root: str, **overrides
) -> dict:
    values = {
        "STATIC_ROOT": static_root,
        "CACHE_URL": cache_url,
        "API_RESPONSE_CACHE": "1",
        "API_ANON_RATE": "100000/minute",
        "ADVISORY_RATE": "1000/hour",
        "ADVISORY_MIN_SECONDS": "0",
        "ADVISORY_NOTIFY_EMAILS": TEAM,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": HOST,
        "EMAIL_PORT": str(mailbox.port),
        "EMAIL_TIMEOUT": "5",
        "LOG_FORMAT": "json",
        **PRODUCTION_TIMING,
    }
    return server_environment(**{**values, **overrides})


@contextmanager
def site(environment: dict, **options):
    """gunicorn with two workers, and its access log naming the worker that answered."""
    args = ["--access-logfile", "-", "--access-logformat", "access pid=%(p)s status=%(s)s"]
    with gunicorn(environment, args=args, **options) as server:
        yield server


@contextmanager
def background_worker(environment: dict):
    with worker(environment) as process:
        yield process


def post_json(port: int, path: str, body: dict, *, headers=None, timeout: float = 10):
    """POST JSON on a fresh connection; (status, parsed body or None)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(
            "POST",
            path,
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = connection.getresponse()
        payload = response.read()
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = None
        return response.status, parsed
    finally:
        connection.close()


def inquiry_body(number: int = 1) -> dict:
    """A visitor's inquiry as a front end sends it, with a form token of its own."""
    return {
        "name": f"Visitor {number}",
        "email": f"visitor{number}@example.com",
        "company": f"Company {number}",
        "message": "We would like to discuss a pilot for document search.",
        "consent": True,
        "form_token": form_token(now=time.time() - 10),
    }


def answering_pids(server, status: int) -> set[int]:
    """The workers whose access-log lines show ``status``."""
    pids = set()
    for line in server.process.log_text().splitlines():
        if line.startswith("access pid=") and line.endswith(f"status={status}"):
            pids.add(int(line.split()[1].removeprefix("pid=").strip("<>")))
    return pids


def request_log(server) -> list[dict]:
    """The site's JSON request log lines (logger glossary.request)."""
    lines = []
    for line in server.process.log_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event") == "request":
            lines.append(record)
    return lines


@pytest.fixture
def settings_stored():
    SiteSettings.load()  # as after the first page view: reading it inserts nothing
