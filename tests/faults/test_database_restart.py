"""PostgreSQL goes away under traffic and comes back: the site and the worker carry on by
themselves, without a restart, and no inquiry that was answered 201 is missing.

"proxy": every connection of the site and the worker is cut and refused for a few seconds
(what a restart or a failover looks like from the application), everywhere. "restart": the
machine's PostgreSQL is really restarted; only where FAULTS_MAY_RESTART_POSTGRES=1 (CI's
own run sets it, since nothing else may be using the server then)."""

import http.client
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection, connections

from advisory.models import Inquiry, OutgoingEmail

from ..helpers.processes import HOST, database_url, wait_until
from ..helpers.tcpproxy import TcpProxy
from .conftest import (
    FAULT_TEST,
    background_worker,
    inquiry_body,
    post_json,
    site,
)

pytestmark = FAULT_TEST

OUTAGE_SECONDS = 3


def restart_postgres() -> None:
    version = sorted(path.name for path in Path("/etc/postgresql").iterdir())[0]
    subprocess.run(  # noqa: S603 - fixed arguments
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],  # noqa: S607
        check=True,
        timeout=120,
    )


class Traffic:
    """Readers and senders running until stopped; every inquiry is resent with its
    Idempotency-Key until it is answered 201, as a careful client does."""

    def __init__(self, port: int):
        self.port = port
        self.stopping = threading.Event()
        self.references: list[str] = []
        self.failures: list[int | str] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.read, daemon=True)] + [
            threading.Thread(target=self.send, args=(sender,), daemon=True) for sender in range(3)
        ]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def read(self):
        while not self.stopping.is_set():
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
                connection.request("GET", "/api/v1/terms/")
                status = connection.getresponse().status
                connection.close()
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
            if status != 200:
                with self.lock:
                    self.failures.append(status)
            time.sleep(0.05)

    def send(self, sender: int):
        number = 0
        while not self.stopping.is_set():
            number += 1
            key = uuid.uuid4().hex
            body = inquiry_body(sender * 10_000 + number)
            headers = {"Idempotency-Key": key, "X-Forwarded-For": f"198.51.100.{sender + 1}"}
            while True:  # this inquiry until it is answered, even after stopping
                try:
                    status, answer = post_json(
                        self.port, "/api/v1/inquiries/", body, headers=headers
                    )
                except (OSError, http.client.HTTPException):
                    status, answer = None, None
                if status == 201:
                    with self.lock:
                        self.references.append(answer["reference"])
                    break
                time.sleep(0.2)
            time.sleep(0.1)


@pytest.mark.parametrize("outage", ["proxy", "restart"])
def test_the_site_and_the_worker_ride_out_a_database_outage_without_losing_an_inquiry(
    outage, redis_proxy, mailbox, settings_stored, site_env
):
    if outage == "restart" and os.environ.get("FAULTS_MAY_RESTART_POSTGRES") != "1":
        pytest.skip("restarts the machine's PostgreSQL: CI only (FAULTS_MAY_RESTART_POSTGRES=1)")
    direct = urlsplit(database_url())
    with TcpProxy(direct.hostname, direct.port) as database:
        through_proxy = urlunsplit(direct._replace(netloc=f"{HOST}:{database.port}"))
        environment = site_env(
            cache_url=redis_proxy.url,
            DATABASE_URL=through_proxy,
            ADVISORY_RATE="100000/hour",
            # An email in flight when the database went is sent again after its lease.
            ADVISORY_NOTIFY_LEASE_SECONDS="30",
        )
        with site(environment) as server, background_worker(environment):
            with Traffic(server.port) as traffic:
                wait_until(
                    lambda: len(traffic.references) >= 5, timeout=30, message="inquiries flowing"
                )
                if outage == "proxy":
                    database.refuse()
                    wait_until(
                        lambda: server.get("/health/ready").status == 503,
                        timeout=10,
                        message="readiness failing while the database is away",
                    )
                    time.sleep(OUTAGE_SECONDS)  # the outage itself
                    database.forward()
                else:
                    restart_postgres()
                    connections.close_all()  # this process's own connections died with it
                before = len(traffic.references)
                wait_until(
                    lambda: len(traffic.references) >= before + 5,
                    timeout=30,
                    message="inquiries flowing again, nothing restarted",
                )
                assert server.get("/health/ready").status == 200
                assert server.get("/api/v1/terms/").status == 200

            connection.close()
            answered = set(traffic.references)
            assert len(answered) == len(traffic.references), "an inquiry was answered 201 twice"
            stored = {str(value) for value in Inquiry.objects.values_list("reference", flat=True)}
            assert answered <= stored, f"answered 201 but not stored: {answered - stored}"
            wait_until(
                lambda: (
                    not OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.SENT).exists()
                ),
                timeout=60,
                message="every inquiry's emails sent, by the worker that lived through it",
            )
