"""The inquiry rate limit holds under real concurrency: forty visitors' requests from one
network address at the same moment, to gunicorn with sixteen threads in two processes,
get exactly ADVISORY_RATE answers 201 and 429 for the rest, and only those are stored."""

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from advisory.forms import form_token
from advisory.models import Inquiry
from terms.models import SiteSettings

from ..helpers.processes import HOST, gunicorn, server_environment

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LIMIT = 5
SENDERS = 40


def inquiry(number: int) -> bytes:
    return json.dumps(
        {
            "name": f"Visitor {number}",
            "email": f"visitor{number}@example.com",
            "company": "Acme",
            "message": "We would like to discuss a pilot.",
            "consent": True,
            "form_token": form_token(now=time.time() - 10),
        }
    ).encode()


def test_requests_sent_at_once_from_one_address_get_exactly_the_limit_of_201s(tmp_path):
    SiteSettings.load()  # stored, as after the first page view
    environment = server_environment(ADVISORY_RATE=f"{LIMIT}/hour", API_ANON_RATE="100000/minute")
    bodies = [inquiry(number) for number in range(SENDERS)]
    start = threading.Barrier(SENDERS, timeout=60)

    with gunicorn(environment, workers=2, args=["--threads", "8"], log_dir=tmp_path) as site:
        connections = [http.client.HTTPConnection(HOST, site.port, timeout=60) for _ in bodies]
        for connection in connections:
            connection.connect()  # before the barrier: the requests leave together

        def send(number: int) -> int:
            connection = connections[number]
            try:
                start.wait()
                connection.request(
                    "POST",
                    "/api/v1/inquiries/",
                    body=bodies[number],
                    headers={"Content-Type": "application/json"},
                )
                response = connection.getresponse()
                response.read()
                return response.status
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=SENDERS) as pool:
            statuses = list(pool.map(send, range(SENDERS), timeout=120))

    assert sorted(statuses) == [201] * LIMIT + [429] * (SENDERS - LIMIT), statuses
    assert Inquiry.objects.count() == LIMIT
