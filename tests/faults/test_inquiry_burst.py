"""Two hundred visitors send an inquiry at once while a gunicorn worker is killed mid-way:
every inquiry answered 201 is stored exactly once (a client whose connection dropped
resends with the same Idempotency-Key), and every stored one reaches the team."""

import http.client
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from advisory.models import Inquiry, OutgoingEmail

from ..helpers.processes import wait_until
from .conftest import (
    FAULT_TEST,
    TEAM,
    background_worker,
    inquiry_body,
    post_json,
    site,
)

pytestmark = FAULT_TEST

VISITORS = 200
KILL_AFTER = 50  # answers


def test_a_burst_of_inquiries_through_a_worker_crash_is_stored_once_each_and_all_notified(
    redis_proxy, mailbox, settings_stored, site_env
):
    environment = site_env(cache_url=redis_proxy.url, NUM_PROXIES="1")
    keys = [uuid.uuid4().hex for _ in range(VISITORS)]
    bodies = [inquiry_body(number) for number in range(VISITORS)]
    answered = threading.Semaphore(0)
    resent = []

    with site(environment) as server, background_worker(environment):

        def send(number: int) -> str:
            headers = {
                "Idempotency-Key": keys[number],
                # A visitor each: the rate limit counts per network address.
                "X-Forwarded-For": f"198.51.{number // 200}.{number % 200 + 1}",
            }
            for attempt in range(30):
                try:
                    status, answer = post_json(
                        server.port, "/api/v1/inquiries/", bodies[number], headers=headers
                    )
                except (OSError, http.client.HTTPException):  # its worker died mid-request
                    resent.append(number)
                    time.sleep(0.2)
                    continue
                if status == 201:
                    answered.release()
                    return answer["reference"]
                assert status in (502, 503), (status, answer, attempt)
                time.sleep(0.2)
            raise AssertionError(f"inquiry {number} never answered 201")

        with ThreadPoolExecutor(max_workers=20) as pool:
            futures = [pool.submit(send, number) for number in range(VISITORS)]
            for _ in range(KILL_AFTER):
                assert answered.acquire(timeout=60), "the burst stalled"
            server.kill_worker()
            references = [future.result(timeout=120) for future in futures]

        print(f"{len(resent)} requests resent after their connection dropped")
        assert len(set(references)) == VISITORS
        stored = set(Inquiry.objects.values_list("reference", flat=True))
        assert {str(reference) for reference in stored} == set(references)

        # A client that never saw its answer sends again, same key: the first answer.
        status, answer = post_json(
            server.port,
            "/api/v1/inquiries/",
            bodies[0],
            headers={"Idempotency-Key": keys[0], "X-Forwarded-For": "198.51.0.1"},
        )
        assert (status, answer["reference"]) == (201, references[0])
        assert Inquiry.objects.count() == VISITORS

        team_emails = OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.TEAM)
        wait_until(
            lambda: team_emails.filter(status=OutgoingEmail.Status.SENT).count() == VISITORS,
            timeout=120,
            message="the team told of every inquiry",
        )
    delivered = {message["Message-ID"].strip() for message in mailbox.sent_to([TEAM])}
    assert delivered == set(team_emails.values_list("message_id", flat=True))
