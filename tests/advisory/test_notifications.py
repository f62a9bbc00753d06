"""Inquiry notifications as the team and the visitor receive them: email sent by the
background worker (manage.py db_worker) from the inquiry's outbox after the inquiry is
committed, each email on its own, retried while the mail server fails for a while, given
up on when it refuses for good.

Every test here runs the real worker, which closes and reopens database connections the
way a long-running process must; that only works outside the per-test transaction, so these
tests commit for real. serialized_rollback: the roles made by data migrations come back
after each flush. Mail goes to a real SMTP server (tests/helpers/smtp.py) or, where only
the content matters, to Django's test outbox.
"""

import json
import logging
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from advisory.models import Inquiry, LeadRouting, OutgoingEmail
from advisory.services import inquiries_set_status, inquiry_notify, inquiry_submit
from terms.models import SiteSettings
from terms.roles import ADVISORY_TEAM, EDITORS

from ..factories import InquiryFactory, TermFactory, UserFactory
from ..helpers.smtp import Mailbox, free_port, send_through_smtp, smtp_server
from ..helpers.tasks import run_worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TEAM = ["advisory@example.org", "lead@example.org"]
VISITOR = "ada@example.com"
VISITOR_ADDRESS = "203.0.113.7"
TEAM_EMAIL, ACKNOWLEDGEMENT = OutgoingEmail.Kind.TEAM, OutgoingEmail.Kind.ACKNOWLEDGEMENT


@pytest.fixture(autouse=True)
def _team_addresses(settings):
    settings.ADVISORY_NOTIFY_EMAILS = TEAM
    settings.SITE_URL = "https://glossary.example.org"
    settings.DEFAULT_FROM_EMAIL = "AI Advisory <glossary@example.org>"


def submit(data: dict) -> Inquiry:
    return inquiry_submit(data, client_address=VISITOR_ADDRESS).inquiry


def queued_tasks():
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY)


def time_passes(seconds: float) -> None:
    """As if ``seconds`` went by: every stored moment moves that far into the past."""
    back = timedelta(seconds=seconds)
    queued_tasks().filter(run_after__isnull=False).update(run_after=F("run_after") - back)
    OutgoingEmail.objects.update(
        last_attempt_at=F("last_attempt_at") - back,
        next_attempt_at=F("next_attempt_at") - back,
        sent_at=F("sent_at") - back,
        queued_at=F("queued_at") - back,
    )
    Inquiry.objects.update(created_at=F("created_at") - back)


def email_of(inquiry: Inquiry, kind: str) -> OutgoingEmail:
    return OutgoingEmail.objects.get(inquiry=inquiry, kind=kind)


def body(message) -> str:
    return message.get_payload(decode=True).decode()


def message_id(message) -> str:
    # A long Message-ID is folded onto its own header line; the id is the same.
    return message["Message-ID"].strip()


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
    assert set(inquiry.emails.values_list("kind", "status")) == {
        (TEAM_EMAIL, "pending"),
        (ACKNOWLEDGEMENT, "pending"),
    }

    run_worker()

    team_email, acknowledgement = mail.outbox
    assert team_email.to == TEAM
    assert team_email.reply_to == [VISITOR]
    assert "Analytical Engines Ltd" in team_email.subject
    assert "Retrieval-Augmented Generation" in team_email.subject
    assert (
        f"https://glossary.example.org/admin/advisory/inquiry/{inquiry.pk}/change/"
        in team_email.body
    )
    assert "We would like to discuss a pilot for document search." in team_email.body

    assert acknowledgement.to == [VISITOR]
    assert str(inquiry.reference) in acknowledgement.body
    assert "discuss a pilot" not in acknowledgement.body

    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.SENT
    for email in inquiry.emails.all():
        assert (email.status, email.attempts, email.error) == ("sent", 1, "")
        assert email.sent_at is not None


def test_each_email_has_a_message_id_from_the_reference_that_stays_the_same_on_a_retry(
    settings, valid_inquiry_data
):
    port = free_port()
    send_through_smtp(settings, port)
    mailbox = Mailbox(refuse={TEAM[0]: 451, TEAM[1]: 451})
    with smtp_server(port, mailbox):
        inquiry = submit(valid_inquiry_data)
        run_worker()
        assert mailbox.sent_to(TEAM) == []  # refused at RCPT, for now
        mailbox.refused.clear()
        time_passes(60)
        run_worker()

    reference = inquiry.reference
    (team_email,) = mailbox.sent_to(TEAM)
    (acknowledgement,) = mailbox.sent_to([VISITOR])
    assert message_id(team_email) == f"<inquiry-{reference}-team@example.org>"
    assert message_id(acknowledgement) == f"<inquiry-{reference}-acknowledgement@example.org>"
    assert email_of(inquiry, TEAM_EMAIL).message_id == message_id(team_email)
    assert email_of(inquiry, TEAM_EMAIL).attempts == 2


def test_an_inquiry_rolled_back_with_its_transaction_leaves_no_task_and_sends_no_mail(
    valid_inquiry_data,
):
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(valid_inquiry_data)
        raise RuntimeError("something later in the same request failed")

    assert not Inquiry.objects.exists()
    assert not OutgoingEmail.objects.exists()
    assert not DBTaskResult.objects.exists()
    run_worker()
    assert mail.outbox == []


def test_the_environment_setting_decides_who_is_told_before_anything_else(
    valid_inquiry_data,
):
    LeadRouting.objects.filter(pk=1).update(inquiry_recipients="routing-list@example.org")
    UserFactory(email="member@example.org", roles=[ADVISORY_TEAM])

    submit(valid_inquiry_data)
    run_worker()

    assert mail.outbox[0].to == TEAM


def test_without_the_environment_setting_the_lead_routing_list_is_told(
    settings, valid_inquiry_data
):
    settings.ADVISORY_NOTIFY_EMAILS = []
    routing = LeadRouting.load()
    routing.inquiry_recipients = "first@example.org\n\n  second@example.org  \n"
    routing.save()
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
    assert [message.to for message in mail.outbox] == [[VISITOR]]
    assert email_of(inquiry, ACKNOWLEDGEMENT).status == "sent"
    team_email = email_of(inquiry, TEAM_EMAIL)
    assert team_email.status == "retrying"
    assert "ADVISORY_NOTIFY_EMAILS" in team_email.error
    assert inquiry.notification == Inquiry.Notification.RETRYING
    assert queued_tasks().count() == 1


def test_with_acknowledgements_switched_off_only_the_team_is_mailed(valid_inquiry_data):
    routing = LeadRouting.load()
    routing.send_inquiry_acknowledgement = False
    routing.save()

    inquiry = submit(valid_inquiry_data)
    run_worker()

    assert [message.to for message in mail.outbox] == [TEAM]
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.SENT
    assert list(inquiry.emails.values_list("kind", flat=True)) == [TEAM_EMAIL]


def test_an_inquiry_stored_as_spam_is_not_notified_at_all(valid_inquiry_data):
    inquiry = submit({**valid_inquiry_data, "website": "https://cheap-pills.example"})

    assert inquiry.status == Inquiry.Status.SPAM
    assert inquiry.notification == Inquiry.Notification.NOT_SENT
    assert set(inquiry.emails.values_list("status", flat=True)) == {"cancelled"}
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


def test_a_team_email_that_cannot_be_composed_fails_at_once_and_the_visitor_is_still_told(
    settings, valid_inquiry_data
):
    settings.ADVISORY_NOTIFY_EMAILS = ["team@example.org\nBcc: everyone@example.net"]

    inquiry = submit(valid_inquiry_data)
    run_worker()

    assert [message.to for message in mail.outbox] == [[VISITOR]]
    team_email = email_of(inquiry, TEAM_EMAIL)
    assert (team_email.status, team_email.error) == ("failed", "BadHeaderError")
    assert not queued_tasks().exists()


def test_an_organisation_name_stored_with_a_line_break_still_sends_a_one_line_subject(
    settings, valid_inquiry_data
):
    """Stored before line breaks were refused (validation cannot reach old rows): the
    acknowledgement goes out anyway, its subject on one line, with no extra header."""
    port = free_port()
    send_through_smtp(settings, port)
    SiteSettings.load()
    SiteSettings.objects.filter(pk=1).update(
        organisation_name="AI Advisory\nBcc: everyone@example.net"
    )

    inquiry = submit(valid_inquiry_data)
    with smtp_server(port) as mailbox:
        run_worker()

    (acknowledgement,) = mailbox.sent_to([VISITOR])
    assert acknowledgement["Subject"] == (
        "AI Advisory Bcc: everyone@example.net: we received your inquiry"
    )
    assert acknowledgement["Bcc"] is None
    assert mailbox.sent_to(["everyone@example.net"]) == []
    assert email_of(inquiry, ACKNOWLEDGEMENT).status == "sent"
    assert inquiry.consent_text.startswith(
        "I agree that AI Advisory Bcc: everyone@example.net may store"
    )


def test_an_inquiry_marked_as_spam_while_its_mail_waits_for_a_retry_is_not_sent(
    settings, valid_inquiry_data
):
    port = free_port()
    send_through_smtp(settings, port)
    inquiry = submit(valid_inquiry_data)
    run_worker()
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.RETRYING

    inquiries_set_status(Inquiry.objects.filter(pk=inquiry.pk), Inquiry.Status.SPAM)
    with smtp_server(port) as mailbox:
        time_passes(3600)
        run_worker()

    assert mailbox.messages == []
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.NOT_SENT
    assert set(inquiry.emails.values_list("status", flat=True)) == {"cancelled"}


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
    for email in inquiry.emails.all():
        assert (email.status, email.attempts) == ("retrying", 1)
        assert email.error.startswith("ConnectionRefusedError")
        assert "@" not in email.error
        assert email.sent_at is None
    retries = queued_tasks()
    assert [task.args_kwargs["args"] for task in retries] == [[inquiry.pk], [inquiry.pk]]
    team_email = email_of(inquiry, TEAM_EMAIL)
    assert team_email.next_attempt_at > timezone.now()
    assert team_email.next_attempt_at in {task.run_after for task in retries}

    with smtp_server(port) as mailbox:
        run_worker()  # the retries are not due yet
        assert mailbox.messages == []
        time_passes(60)
        run_worker()

    (team_message,) = mailbox.sent_to(TEAM)
    assert "Analytical Engines Ltd" in team_message["Subject"]
    assert team_message["Reply-To"] == VISITOR
    (acknowledgement,) = mailbox.sent_to([VISITOR])
    assert str(inquiry.reference) in body(acknowledgement)
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.SENT
    for email in inquiry.emails.all():
        assert (email.status, email.attempts, email.error) == ("sent", 2, "")
        assert email.next_attempt_at is None


def test_a_550_for_the_visitor_fails_the_acknowledgement_for_good_and_the_team_is_mailed_once(
    settings, valid_inquiry_data
):
    port = free_port()
    send_through_smtp(settings, port)
    with smtp_server(port, Mailbox(refuse={VISITOR: 550})) as mailbox:
        inquiry = submit(valid_inquiry_data)
        run_worker()

        acknowledgement = email_of(inquiry, ACKNOWLEDGEMENT)
        assert (acknowledgement.status, acknowledgement.attempts) == ("failed", 1)
        assert acknowledgement.error == "SMTPRecipientsRefused (550)"
        assert acknowledgement.next_attempt_at is None
        assert not queued_tasks().exists()
        inquiry.refresh_from_db()
        assert inquiry.notification == Inquiry.Notification.FAILED

        time_passes(7 * 24 * 3600)
        run_worker()

    assert len(mailbox.sent_to(TEAM)) == 1
    assert mailbox.sent_to([VISITOR]) == []
    assert email_of(inquiry, ACKNOWLEDGEMENT).attempts == 1


def test_a_451_for_the_visitor_is_retried_and_the_team_is_not_mailed_again(
    settings, valid_inquiry_data
):
    port = free_port()
    send_through_smtp(settings, port)
    mailbox = Mailbox(refuse={VISITOR: 451})
    with smtp_server(port, mailbox):
        inquiry = submit(valid_inquiry_data)
        run_worker()

        acknowledgement = email_of(inquiry, ACKNOWLEDGEMENT)
        assert acknowledgement.status == "retrying"
        assert acknowledgement.error == "SMTPRecipientsRefused (451)"
        (retry,) = queued_tasks()
        assert retry.run_after == acknowledgement.next_attempt_at
        waited = acknowledgement.next_attempt_at - acknowledgement.last_attempt_at
        assert timedelta(minutes=1) <= waited < timedelta(minutes=2)  # the first step

        mailbox.refused.clear()
        time_passes(60)
        run_worker()

    assert len(mailbox.sent_to(TEAM)) == 1
    assert len(mailbox.sent_to([VISITOR])) == 1
    assert email_of(inquiry, ACKNOWLEDGEMENT).attempts == 2
    assert email_of(inquiry, TEAM_EMAIL).attempts == 1


@pytest.mark.parametrize(("code", "status"), [(550, "failed"), (451, "retrying")])
def test_a_team_address_refused_neither_holds_up_nor_repeats_the_acknowledgement(
    settings, valid_inquiry_data, code, status
):
    port = free_port()
    send_through_smtp(settings, port)
    mailbox = Mailbox(refuse=dict.fromkeys(TEAM, code))
    with smtp_server(port, mailbox):
        inquiry = submit(valid_inquiry_data)
        run_worker()
        assert len(mailbox.sent_to([VISITOR])) == 1
        assert email_of(inquiry, TEAM_EMAIL).status == status
        assert email_of(inquiry, TEAM_EMAIL).error == f"SMTPRecipientsRefused ({code})"

        mailbox.refused.clear()
        time_passes(3600)
        run_worker()

    assert len(mailbox.sent_to([VISITOR])) == 1
    assert len(mailbox.sent_to(TEAM)) == (1 if code == 451 else 0)


def test_retries_stop_after_the_give_up_period_and_say_how_many_attempts_were_made(
    settings, valid_inquiry_data
):
    settings.ADVISORY_NOTIFY_GIVE_UP_AFTER = 3600
    send_through_smtp(settings, free_port())  # down, and stays down
    inquiry = submit(valid_inquiry_data)
    run_worker()
    time_passes(1800)
    run_worker()
    assert email_of(inquiry, TEAM_EMAIL).status == "retrying"

    time_passes(1800)
    run_worker()

    for email in inquiry.emails.all():
        assert email.status == "failed"
        assert email.attempts == 3
        assert email.error.startswith("Gave up after 3 attempts; last: ConnectionRefusedError")
    assert not queued_tasks().exists()
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.FAILED


def test_two_runs_at_once_for_one_inquiry_send_each_email_once(settings, valid_inquiry_data):
    settings.ADVISORY_NOTIFY_LEASE_SECONDS = 60
    port = free_port()
    send_through_smtp(settings, port)
    mailbox = Mailbox(hold=TEAM)  # the team's email waits at DATA until released

    def notify_elsewhere(inquiry_id: int) -> str:
        try:
            return inquiry_notify(inquiry_id)
        finally:
            connection.close()  # this thread's own connection

    with smtp_server(port, mailbox), ThreadPoolExecutor(max_workers=1) as pool:
        inquiry = submit(valid_inquiry_data)
        first = pool.submit(notify_elsewhere, inquiry.pk)
        mailbox.wait_until_holding()

        inquiry_notify(inquiry.pk)  # meanwhile, a second run: the team's email is in flight

        assert mailbox.sent_to(TEAM) == []
        assert len(mailbox.sent_to([VISITOR])) == 1
        team_email = email_of(inquiry, TEAM_EMAIL)
        assert team_email.status == "sending"
        lease_ends = team_email.last_attempt_at + timedelta(seconds=60)
        assert lease_ends in set(queued_tasks().values_list("run_after", flat=True))
        mailbox.release()
        first.result(timeout=30)

        time_passes(3600)
        run_worker()  # the task from the submission and the one for the lease's end

    assert len(mailbox.sent_to(TEAM)) == 1
    assert len(mailbox.sent_to([VISITOR])) == 1
    assert set(inquiry.emails.values_list("status", "attempts")) == {("sent", 1)}


def test_an_email_a_killed_worker_left_sending_is_sent_again_after_its_lease_with_the_same_id(
    settings, valid_inquiry_data
):
    settings.ADVISORY_NOTIFY_LEASE_SECONDS = 60
    port = free_port()
    send_through_smtp(settings, port)
    with smtp_server(port) as mailbox:
        inquiry = submit(valid_inquiry_data)
        run_worker()
        # What a worker killed after the server took the team's email, before it could
        # record that, leaves behind: the attempt begun, nothing recorded after it; and
        # its task put back to run again (the worker reaper's job).
        OutgoingEmail.objects.filter(inquiry=inquiry, kind=TEAM_EMAIL).update(
            status="sending", sent_at=None, last_attempt_at=timezone.now()
        )
        DBTaskResult.objects.update(status=TaskResultStatus.READY)

        run_worker()  # within the lease: in flight, as far as anyone can tell
        assert len(mailbox.sent_to(TEAM)) == 1
        assert email_of(inquiry, TEAM_EMAIL).status == "sending"

        time_passes(61)
        run_worker()

    first, again = mailbox.sent_to(TEAM)
    assert message_id(first) == message_id(again) == email_of(inquiry, TEAM_EMAIL).message_id
    assert len(mailbox.sent_to([VISITOR])) == 1
    team_email = email_of(inquiry, TEAM_EMAIL)
    assert (team_email.status, team_email.attempts) == ("sent", 2)


def test_resend_requeues_a_failed_email_once_mended_but_never_a_sent_one(
    settings, valid_inquiry_data
):
    port = free_port()
    send_through_smtp(settings, port)
    mailbox = Mailbox(refuse={VISITOR: 550})
    with smtp_server(port, mailbox):
        inquiry = submit(valid_inquiry_data)
        done = InquiryFactory(emails="sent")
        run_worker()
        assert email_of(inquiry, ACKNOWLEDGEMENT).status == "failed"

        mailbox.refused.clear()  # the visitor's mailbox is mended
        out = StringIO()
        call_command("resend_notifications", stdout=out)
        assert out.getvalue() == "Queued notifications for 1 inquiries.\n"
        assert [task.args_kwargs["args"] for task in queued_tasks()] == [[inquiry.pk]]
        run_worker()

    assert len(mailbox.sent_to(TEAM)) == 1
    assert len(mailbox.sent_to([VISITOR])) == 1
    acknowledgement = email_of(inquiry, ACKNOWLEDGEMENT)
    assert (acknowledgement.status, acknowledgement.attempts) == ("sent", 1)
    inquiry.refresh_from_db()
    assert inquiry.notification == Inquiry.Notification.SENT
    assert set(done.emails.values_list("status", flat=True)) == {"sent"}


def test_resend_notifications_queues_only_inquiries_still_waiting_and_reports_how_many():
    waiting = InquiryFactory(company="Waiting Co", emails="pending")
    retrying = InquiryFactory(company="Retrying Co", emails="retrying")
    failed = InquiryFactory(
        company="Failed Co", emails={"team": "failed", "acknowledgement": "sent"}
    )
    InquiryFactory(company="Done Co", emails="sent")
    InquiryFactory(company="Spam Co", status=Inquiry.Status.SPAM)

    out = StringIO()
    call_command("resend_notifications", stdout=out)

    assert out.getvalue() == "Queued notifications for 3 inquiries.\n"
    queued = sorted(task.args_kwargs["args"][0] for task in queued_tasks())
    assert queued == sorted([waiting.pk, retrying.pk, failed.pk])
    run_worker()
    told_about = sorted(
        message.subject.split(" about ")[0] for message in mail.outbox if message.to == TEAM
    )
    assert told_about == [
        "New advisory inquiry from Failed Co",
        "New advisory inquiry from Retrying Co",
        "New advisory inquiry from Waiting Co",
    ]
    assert len(mail.outbox) == 5  # and the two acknowledgements not sent before


def test_resend_notifications_dry_run_only_counts():
    InquiryFactory(emails="pending")
    InquiryFactory(emails="failed")
    InquiryFactory(emails="sent")

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
    with smtp_server(port) as mailbox:
        time_passes(60)
        run_worker(verbosity=2)
    assert len(mailbox.messages) == 2

    # "mail.log" is the test's SMTP server, which shows what it receives.
    ours = [record for record in caplog.records if not record.name.startswith("mail.log")]
    failures = sorted(record.getMessage() for record in ours if record.levelno == logging.WARNING)
    pk = Inquiry.objects.get().pk
    assert [message.split(" (")[0] for message in failures] == [
        f"The acknowledgement email for inquiry {pk} failed",
        f"The team email for inquiry {pk} failed",
    ]
    assert all("failed (ConnectionRefusedError" in message for message in failures)
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
    for email in inquiry.emails.all():
        assert email.status == "retrying"
        assert email.error.startswith("ModuleNotFoundError")
    assert queued_tasks().count() == 2
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists()


def test_an_inquiry_set_to_spam_in_its_change_form_before_the_worker_ran_is_not_mailed(
    valid_inquiry_data,
):
    inquiry = submit(valid_inquiry_data)
    # What saving any form with status "spam" does without a service: the worker catches up.
    Inquiry.objects.filter(pk=inquiry.pk).update(status=Inquiry.Status.SPAM)

    run_worker()

    inquiry.refresh_from_db()
    assert mail.outbox == []
    assert inquiry.notification == Inquiry.Notification.NOT_SENT
    assert set(inquiry.emails.values_list("status", flat=True)) == {"cancelled"}


def test_a_term_deleted_after_the_inquiry_leaves_its_title_on_the_inquiry(valid_inquiry_data):
    term = TermFactory(title="Prompt Injection")
    inquiry = submit({**valid_inquiry_data, "term": term.slug})

    term.delete()
    run_worker()

    inquiry.refresh_from_db()
    assert inquiry.term is None
    assert inquiry.term_title == "Prompt Injection"
    assert "Prompt Injection" in mail.outbox[0].subject


def test_sending_inside_a_transaction_is_refused_before_anything_is_sent(valid_inquiry_data):
    inquiry = submit(valid_inquiry_data)

    with pytest.raises(RuntimeError, match="outside any transaction"), transaction.atomic():
        inquiry_notify(inquiry.pk)

    assert mail.outbox == []
    assert set(inquiry.emails.values_list("status", "attempts")) == {("pending", 0)}


@pytest.mark.postgres
def test_fifty_visitors_sending_at_once_are_all_stored_and_all_notified(
    live_server, settings, issued_token
):
    settings.ADVISORY_RATE = "1000/hour"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute"},
    }
    tokens = [issued_token(11) for _ in range(50)]

    def send(number: int) -> tuple[int, str]:
        body = {
            "name": f"Visitor {number}",
            "email": f"visitor{number}@example.com",
            "company": f"Company {number}",
            "message": "We would like to discuss a pilot.",
            "consent": True,
            "form_token": tokens[number],
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


# Lost tasks ----------------------------------------------------------------------------


def test_an_email_whose_task_was_lost_is_sent_once_it_is_overdue(valid_inquiry_data):
    inquiry = submit(valid_inquiry_data)
    DBTaskResult.objects.all().delete()  # as if its task had failed on a database error
    run_worker()
    assert mail.outbox == []  # not overdue yet: its task may simply be slow

    OutgoingEmail.objects.update(queued_at=F("queued_at") - timedelta(minutes=3))
    run_worker()

    assert len(mail.outbox) == 2
    assert set(inquiry.emails.values_list("status", flat=True)) == {OutgoingEmail.Status.SENT}


def test_an_email_left_sending_by_a_lost_task_is_sent_again_after_its_lease(valid_inquiry_data):
    inquiry = submit(valid_inquiry_data)
    DBTaskResult.objects.all().delete()
    long_ago = timezone.now() - timedelta(minutes=10)
    inquiry.emails.update(status=OutgoingEmail.Status.SENDING, attempts=1, last_attempt_at=long_ago)

    run_worker()

    assert len(mail.outbox) == 2
    assert set(inquiry.emails.values_list("status", flat=True)) == {OutgoingEmail.Status.SENT}


def test_a_retry_whose_task_was_lost_is_sent_once_overdue(valid_inquiry_data):
    inquiry = submit(valid_inquiry_data)
    DBTaskResult.objects.all().delete()
    inquiry.emails.update(
        status=OutgoingEmail.Status.RETRYING,
        attempts=1,
        next_attempt_at=timezone.now() - timedelta(minutes=5),
    )

    run_worker()

    assert len(mail.outbox) == 2
    assert set(inquiry.emails.values_list("status", flat=True)) == {OutgoingEmail.Status.SENT}
