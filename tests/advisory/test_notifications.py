"""Inquiry notifications as the team and the visitor receive them: email sent by the
background worker (manage.py db_worker) after the inquiry is committed, retried while the
mail server is down.

Every test here runs the real worker, which closes and reopens database connections the
way a long-running process must; that only works outside the per-test transaction, so these
tests commit for real. serialized_rollback: the roles made by data migrations come back
after each flush.
"""

import json
import logging
import signal
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from advisory.models import Inquiry
from advisory.services import inquiries_set_status, inquiry_submit
from terms.models import SiteSettings
from terms.roles import ADVISORY_TEAM, EDITORS

from ..factories import InquiryFactory, TermFactory, UserFactory
from ..helpers.smtp import Mailbox, free_port, send_through_smtp, smtp_server

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TEAM = ["advisory@example.org", "lead@example.org"]
VISITOR_ADDRESS = "203.0.113.7"
WORKER_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]


@pytest.fixture(autouse=True)
def _team_addresses(settings):
    settings.ADVISORY_NOTIFY_EMAILS = TEAM
    settings.SITE_URL = "https://glossary.example.org"


def run_worker(verbosity: int = 1) -> None:
    """Run every task that is due, as `manage.py db_worker --batch` does, then return."""
    handlers = {number: signal.getsignal(number) for number in WORKER_SIGNALS}
    try:
        call_command(
            "db_worker",
            batch=True,
            reload=False,
            startup_delay=False,
            verbosity=verbosity,
            stdout=StringIO(),
        )
    finally:
        # The worker takes over Ctrl-C; give it back to pytest.
        for number, handler in handlers.items():
            signal.signal(number, handler)


def submit(data: dict) -> Inquiry:
    return inquiry_submit(data, client_address=VISITOR_ADDRESS)


def queued_tasks():
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY)


def make_retries_due() -> None:
    queued_tasks().update(run_after=timezone.now())


def test_submitting_sends_nothing_until_the_worker_mails_the_team_and_the_visitor(
    client, valid_inquiry_data
):
    term = TermFactory(title="Retrieval-Augmented Generation")
    response = client.post(
        "/api/v1/inquiries/",
        {**valid_inquiry_data, "consent": True, "term": term.slug},
        content_type="application/json",
    )
    assert response.status_code == 201
    inquiry = Inquiry.objects.get(reference=response.json()["reference"])
    assert mail.outbox == []
    assert inquiry.notification == Inquiry.Notification.PENDING

    run_worker()

    team_email, acknowledgement = mail.outbox
    assert team_email.to == TEAM
    assert team_email.reply_to == ["ada@example.com"]
    assert "Analytical Engines Ltd" in team_email.subject
    assert "Retrieval-Augmented Generation" in team_email.subject
    assert (
        f"https://glossary.example.org/admin/advisory/inquiry/{inquiry.pk}/change/"
        in team_email.body
    )
    assert "We would like to discuss a pilot for document search." in team_email.body

    assert acknowledgement.to == ["ada@example.com"]
    assert str(inquiry.reference) in acknowledgement.body
    assert "discuss a pilot" not in acknowledgement.body

    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.SENT
    assert inquiry.team_notified_at is not None
    assert inquiry.acknowledged_at is not None
    assert inquiry.notification_attempts == 1


def test_an_inquiry_rolled_back_with_its_transaction_leaves_no_task_and_sends_no_mail(
    valid_inquiry_data,
):
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(valid_inquiry_data)
        raise RuntimeError("something later in the same request failed")

    assert not Inquiry.objects.exists()
    assert not DBTaskResult.objects.exists()
    run_worker()
    assert mail.outbox == []


def test_the_environment_setting_decides_who_is_told_before_anything_else(
    valid_inquiry_data,
):
    SiteSettings.objects.update_or_create(
        pk=1, defaults={"inquiry_recipients": "settings-list@example.org"}
    )
    UserFactory(email="member@example.org", roles=[ADVISORY_TEAM])

    submit(valid_inquiry_data)
    run_worker()

    assert mail.outbox[0].to == TEAM


def test_without_the_environment_setting_the_site_settings_list_is_told(
    settings, valid_inquiry_data
):
    settings.ADVISORY_NOTIFY_EMAILS = []
    site = SiteSettings.load()
    site.inquiry_recipients = "first@example.org\n\n  second@example.org  \n"
    site.save()
    UserFactory(email="member@example.org", roles=[ADVISORY_TEAM])

    submit(valid_inquiry_data)
    run_worker()

    assert mail.outbox[0].to == ["first@example.org", "second@example.org"]


def test_without_any_list_the_active_advisory_team_members_with_an_email_are_told(
    settings, valid_inquiry_data
):
    settings.ADVISORY_NOTIFY_EMAILS = []
    UserFactory(email="zoe@example.org", roles=[ADVISORY_TEAM])
    UserFactory(email="ann@example.org", roles=[ADVISORY_TEAM])
    UserFactory(email="", roles=[ADVISORY_TEAM])
    UserFactory(email="gone@example.org", roles=[ADVISORY_TEAM], is_active=False)
    UserFactory(email="editor@example.org", roles=[EDITORS])

    submit(valid_inquiry_data)
    run_worker()

    assert mail.outbox[0].to == ["ann@example.org", "zoe@example.org"]


def test_with_nobody_to_tell_the_team_mail_waits_and_says_what_to_configure(
    settings, valid_inquiry_data
):
    settings.ADVISORY_NOTIFY_EMAILS = []

    inquiry = submit(valid_inquiry_data)
    run_worker()

    inquiry.refresh_from_db()
    # The visitor is still told that the inquiry arrived; only the team's mail waits.
    assert [message.to for message in mail.outbox] == [[valid_inquiry_data["email"]]]
    assert inquiry.acknowledged_at is not None
    assert inquiry.team_notified_at is None
    assert inquiry.notification == Inquiry.Notification.RETRYING
    assert "ADVISORY_NOTIFY_EMAILS" in inquiry.notification_error
    assert queued_tasks().count() == 1


def test_with_acknowledgements_switched_off_only_the_team_is_mailed(valid_inquiry_data):
    site = SiteSettings.load()
    site.send_inquiry_acknowledgement = False
    site.save()

    inquiry = submit(valid_inquiry_data)
    run_worker()

    assert [message.to for message in mail.outbox] == [TEAM]
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.SENT
    assert inquiry.acknowledged_at is None


def test_an_inquiry_stored_as_spam_is_not_notified_at_all(valid_inquiry_data):
    inquiry = submit({**valid_inquiry_data, "website": "https://cheap-pills.example"})

    assert inquiry.status == Inquiry.Status.SPAM
    assert inquiry.notification == Inquiry.Notification.NOT_SENT
    assert not DBTaskResult.objects.exists()
    run_worker()
    assert mail.outbox == []


def test_a_line_break_in_the_company_name_does_not_stop_the_team_email(valid_inquiry_data):
    inquiry = submit({**valid_inquiry_data, "company": "Acme\nBcc: someone@example.net"})

    run_worker()

    team_email = mail.outbox[0]
    assert (
        team_email.subject
        == "New advisory inquiry from Acme Bcc: someone@example.net about the glossary"
    )
    assert team_email.to == TEAM
    assert team_email.bcc == []
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.SENT


def test_an_inquiry_marked_as_spam_while_its_mail_waits_for_a_retry_is_not_sent(
    settings, valid_inquiry_data
):
    send_through_smtp(settings, free_port())
    inquiry = submit(valid_inquiry_data)
    run_worker()
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.RETRYING

    inquiries_set_status(Inquiry.objects.filter(pk=inquiry.pk), Inquiry.Status.SPAM)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_retries_due()
    run_worker()

    assert mail.outbox == []
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.NOT_SENT
    assert inquiry.team_notified_at is None


def test_while_the_mail_server_is_down_the_inquiry_is_kept_and_mailed_once_it_is_back(
    settings, valid_inquiry_data
):
    port = free_port()  # nothing listens here: connections are refused
    send_through_smtp(settings, port)

    inquiry = submit(valid_inquiry_data)
    run_worker()

    inquiry.refresh_from_db()
    assert inquiry.name == "Ada Lovelace"
    assert inquiry.message == valid_inquiry_data["message"]
    assert inquiry.status == Inquiry.Status.NEW
    assert inquiry.notification == Inquiry.Notification.RETRYING
    assert inquiry.notification_attempts == 1
    assert "ConnectionRefusedError" in inquiry.notification_error
    assert "@" not in inquiry.notification_error
    assert inquiry.team_notified_at is None
    (retry,) = queued_tasks()
    assert retry.args_kwargs["args"] == [inquiry.pk]
    assert retry.run_after > timezone.now()
    assert retry.run_after == inquiry.next_notification_at

    with smtp_server(port, Mailbox()) as mailbox:
        run_worker()  # the retry is not due yet
        assert mailbox.messages == []
        make_retries_due()
        run_worker()

    (team_email,) = mailbox.sent_to(TEAM)
    assert "Analytical Engines Ltd" in team_email["Subject"]
    assert team_email["Reply-To"] == "ada@example.com"
    (acknowledgement,) = mailbox.sent_to(["ada@example.com"])
    assert str(inquiry.reference) in acknowledgement.get_payload(decode=True).decode()
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.SENT
    assert inquiry.notification_attempts == 2
    assert inquiry.notification_error == ""
    assert inquiry.next_notification_at is None


def test_when_only_the_acknowledgement_failed_the_retry_does_not_mail_the_team_again(
    settings, valid_inquiry_data
):
    port = free_port()
    send_through_smtp(settings, port)
    mailbox = Mailbox(refuse=("ada@example.com",))

    with smtp_server(port, mailbox):
        inquiry = submit(valid_inquiry_data)
        run_worker()

        inquiry.refresh_from_db()
        assert len(mailbox.sent_to(TEAM)) == 1
        assert inquiry.team_notified_at is not None
        assert inquiry.acknowledged_at is None
        assert inquiry.notification == Inquiry.Notification.RETRYING
        assert inquiry.notification_error == "SMTPRecipientsRefused"

        mailbox.refused.clear()
        call_command("resend_notifications", stdout=StringIO())
        run_worker()

    assert len(mailbox.sent_to(TEAM)) == 1
    assert len(mailbox.sent_to(["ada@example.com"])) == 1
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.SENT
    assert inquiry.acknowledged_at is not None


def test_resend_notifications_queues_only_inquiries_still_waiting_and_reports_how_many():
    waiting = InquiryFactory(company="Waiting Co", notification=Inquiry.Notification.PENDING)
    failed = InquiryFactory(company="Failed Co", notification=Inquiry.Notification.RETRYING)
    InquiryFactory(company="Done Co", notification=Inquiry.Notification.SENT)
    InquiryFactory(company="Spam Co", notification=Inquiry.Notification.NOT_SENT)

    out = StringIO()
    call_command("resend_notifications", stdout=out)

    assert out.getvalue() == "Queued notifications for 2 inquiries.\n"
    queued = sorted(task.args_kwargs["args"][0] for task in queued_tasks())
    assert queued == sorted([waiting.pk, failed.pk])
    run_worker()
    told_about = sorted(
        message.subject.split(" about ")[0] for message in mail.outbox if message.to == TEAM
    )
    assert told_about == [
        "New advisory inquiry from Failed Co",
        "New advisory inquiry from Waiting Co",
    ]


def test_resend_notifications_dry_run_only_counts():
    InquiryFactory(notification=Inquiry.Notification.PENDING)
    InquiryFactory(notification=Inquiry.Notification.RETRYING)
    InquiryFactory(notification=Inquiry.Notification.SENT)

    out = StringIO()
    call_command("resend_notifications", "--dry-run", stdout=out)

    assert out.getvalue() == "2 inquiries have notifications waiting.\n"
    assert not DBTaskResult.objects.exists()


def test_no_email_address_or_message_text_reaches_the_logs(
    client, settings, caplog, valid_inquiry_data
):
    caplog.set_level(logging.DEBUG)
    port = free_port()
    send_through_smtp(settings, port)
    visitor = "quokka.fan@example.net"
    phrase = "our quokka-shaped datacentre"
    data = {
        **valid_inquiry_data,
        "email": visitor,
        "message": f"Please help with {phrase} before the audit.",
        "consent": True,
    }

    response = client.post("/api/v1/inquiries/", data, content_type="application/json")
    assert response.status_code == 201
    run_worker(verbosity=2)  # fails: nothing listens on the port
    with smtp_server(port, Mailbox()) as mailbox:
        make_retries_due()
        run_worker(verbosity=2)
    assert len(mailbox.messages) == 2

    # "mail.log" is the test's SMTP server, which shows what it receives.
    ours = [record for record in caplog.records if not record.name.startswith("mail.log")]
    (failure,) = [record for record in ours if record.levelno == logging.WARNING]
    assert f"inquiry {Inquiry.objects.get().pk} failed (ConnectionRefusedError" in (
        failure.getMessage()
    )
    formatter = logging.Formatter("%(name)s %(message)s")
    for record in ours:
        line = formatter.format(record)
        assert visitor not in line.lower()
        assert phrase not in line.lower()


def test_an_unexpected_error_while_sending_is_recorded_and_retried_like_a_mail_failure(
    settings, valid_inquiry_data
):
    settings.EMAIL_BACKEND = "advisory.no_such_module.EmailBackend"  # a broken deployment

    inquiry = submit(valid_inquiry_data)
    run_worker()

    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.RETRYING
    assert inquiry.notification_error.startswith("ModuleNotFoundError")
    assert queued_tasks().count() == 1
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists()


def test_an_inquiry_set_to_spam_in_its_change_form_before_the_worker_ran_is_not_mailed(
    valid_inquiry_data,
):
    inquiry = submit(valid_inquiry_data)
    # What saving the change form with status "spam" does: no service involved.
    Inquiry.objects.filter(pk=inquiry.pk).update(status=Inquiry.Status.SPAM)

    run_worker()

    inquiry.refresh_from_db()
    assert mail.outbox == []
    assert inquiry.notification == Inquiry.Notification.NOT_SENT


def test_a_term_deleted_after_the_inquiry_leaves_its_title_on_the_inquiry(valid_inquiry_data):
    term = TermFactory(title="Prompt Injection")
    inquiry = submit({**valid_inquiry_data, "term": term.slug})

    term.delete()
    run_worker()

    inquiry.refresh_from_db()
    assert inquiry.term is None
    assert inquiry.term_title == "Prompt Injection"
    assert "Prompt Injection" in mail.outbox[0].subject


@pytest.mark.postgres
def test_fifty_visitors_sending_at_once_are_all_stored_and_all_notified(
    live_server, settings, issued_token
):
    settings.ADVISORY_RATE = "1000/hour"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute"},
    }
    token = issued_token(11)

    def send(number: int) -> tuple[int, str]:
        body = {
            "name": f"Visitor {number}",
            "email": f"visitor{number}@example.com",
            "company": f"Company {number}",
            "message": "We would like to discuss a pilot.",
            "consent": True,
            "form_token": token,
        }
        request = urllib.request.Request(  # noqa: S310 - the test's own server
            f"{live_server.url}/api/v1/inquiries/",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.load(response)["reference"]

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(send, range(50)))

    assert [status for status, _reference in answers] == [201] * 50
    references = {reference for _status, reference in answers}
    assert len(references) == 50
    assert Inquiry.objects.count() == 50

    run_worker()

    team_emails = [message for message in mail.outbox if message.to == TEAM]
    assert len(team_emails) == 50
    mailed = {
        reference
        for message in team_emails
        for reference in references
        if f"Reference:  {reference}" in message.body
    }
    assert mailed == references
    assert set(Inquiry.objects.values_list("notification", flat=True)) == {
        Inquiry.Notification.SENT
    }
