"""A worker killed in the middle of talking to the mail server, and a mail server that
refuses the visitor's address for good: the team still hears of every inquiry, a message
repeats at worst with the same Message-ID, and a permanent refusal is not retried."""

import time
from collections import Counter

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from advisory.models import Inquiry, OutgoingEmail
from advisory.services import inquiry_submit

from ..helpers.processes import wait_until
from .conftest import FAULT_TEST, TEAM, background_worker, inquiry_body

pytestmark = FAULT_TEST

VISITOR = "visitor1@example.com"


def submit() -> Inquiry:
    return inquiry_submit(inquiry_body(), client_address="203.0.113.7").inquiry


def message_ids(mailbox) -> Counter:
    # A long Message-ID may be folded onto a line of its own: its value is the same.
    return Counter(message["Message-ID"].strip() for _to, message in mailbox.messages)


def test_a_worker_killed_mid_send_is_replaced_and_the_emails_arrive_within_two_minutes(
    mailbox, settings_stored, site_env
):
    mailbox.held_for = {TEAM}  # the team's email waits at DATA: the worker is mid-send
    inquiry = submit()
    # The defaults: a worker silent for 30 s is dead; a send is presumed lost after 60 s.
    environment = site_env(cache_url=None)

    with background_worker(environment) as first:
        mailbox.wait_until_holding(timeout=30)
        first.kill()  # kill -9, with the SMTP connection open
        wait_until(lambda: not first.alive(), timeout=10, message="the killed worker gone")
    # The server had the whole message: it takes it now, as one may after a client died.
    mailbox.release()
    killed_at = time.monotonic()

    with background_worker(environment):
        wait_until(
            lambda: (
                set(inquiry.emails.values_list("status", flat=True)) == {OutgoingEmail.Status.SENT}
            ),
            timeout=120,
            message="both emails sent after the worker was replaced",
        )
    took = time.monotonic() - killed_at

    sent = message_ids(mailbox)
    expected = set(inquiry.emails.values_list("message_id", flat=True))
    assert set(sent) == expected, sent  # two messages, each with its stable id
    assert all(copies <= 2 for copies in sent.values()), sent  # at worst one repeat, same id
    assert took < 120


def test_a_permanent_refusal_of_the_visitor_stops_retrying_and_the_team_is_mailed_once(
    mailbox, settings_stored, site_env
):
    mailbox.refused[VISITOR] = 550
    inquiry = submit()
    environment = site_env(cache_url=None)

    with background_worker(environment):
        acknowledgement = inquiry.emails.get(kind=OutgoingEmail.Kind.ACKNOWLEDGEMENT)
        wait_until(
            lambda: (
                OutgoingEmail.objects.get(pk=acknowledgement.pk).status
                == OutgoingEmail.Status.FAILED
            ),
            timeout=30,
            message="the acknowledgement marked failed",
        )
        wait_until(
            lambda: (
                not DBTaskResult.objects.filter(
                    status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
                ).exists()
            ),
            timeout=30,
            message="no task left to run",
        )

    acknowledgement.refresh_from_db()
    assert acknowledgement.attempts == 1
    assert "550" in acknowledgement.error
    assert VISITOR not in acknowledgement.error
    assert len(mailbox.sent_to([TEAM])) == 1
    assert inquiry.emails.get(kind=OutgoingEmail.Kind.TEAM).status == OutgoingEmail.Status.SENT
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.FAILED
