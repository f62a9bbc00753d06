"""Who is told of new inquiries (the lead routing) as the Advisory team changes it: each
change recorded, who, when, before and after; a change of the recipients emailed, by the
worker once it is committed, to the addresses told before it and to those told after it,
so that whoever stops getting the leads hears of it.

The worker closes and reopens database connections, so these tests commit for real
(serialized_rollback: the roles and the lead routing row made by data migrations come
back after each flush). Mail goes to a real SMTP server (tests/helpers/smtp.py).
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from advisory.mail import team_recipients
from advisory.models import LeadRouting, LeadRoutingChange
from advisory.services import lead_routing_change
from terms.roles import ADVISORY_TEAM

from ..factories import InquiryFactory, UserFactory
from ..helpers.smtp import Mailbox, free_port, send_through_smtp, smtp_server
from ..helpers.tasks import run_worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROUTING = reverse("admin:advisory_leadrouting_change", args=[1])
OLD, NEW = "advisory@example.org", "outsider@example.net"
SUBJECT = "Lead routing changed: who is told of new advisory inquiries"


@pytest.fixture(autouse=True)
def _plain_settings(settings):
    settings.ADVISORY_NOTIFY_EMAILS = []
    settings.SITE_URL = "https://glossary.example.org"
    settings.DEFAULT_FROM_EMAIL = "AI Advisory <glossary@example.org>"


@pytest.fixture
def member(db):
    return UserFactory(
        username="avery", is_staff=True, roles=[ADVISORY_TEAM], email="avery@example.org"
    )


@pytest.fixture
def routed_to_old():
    LeadRouting.objects.filter(pk=1).update(inquiry_recipients=OLD)


def save_routing(client, recipients: str, *, acknowledge: bool = True):
    """Fill in the lead routing page in the admin and press Save."""
    data = {"inquiry_recipients": recipients}
    if acknowledge:
        data["send_inquiry_acknowledgement"] = "on"
    return client.post(ROUTING, data)


def body(message) -> str:
    return message.get_payload(decode=True).decode()


def lines(message) -> list[str]:
    return body(message).splitlines()


def test_changing_the_recipients_records_who_when_the_old_and_the_new(
    client, member, routed_to_old
):
    client.force_login(member)
    before = timezone.now()

    response = save_routing(client, f"{NEW}\n")

    assert response.status_code == 302
    assert LeadRouting.load().inquiry_recipient_list() == [NEW]
    (change,) = LeadRoutingChange.objects.all()
    assert (change.field, change.old_value, change.new_value) == ("inquiry_recipients", OLD, NEW)
    assert (change.changed_by, change.changed_by_name) == (member, "avery")
    assert before <= change.changed_at <= timezone.now()
    assert change.notice == LeadRoutingChange.Notice.PENDING


def test_changing_the_recipients_emails_the_old_and_the_new_recipients_once_committed(
    client, settings, member, routed_to_old
):
    inquiry = InquiryFactory(
        name="Grace Hopper", email="grace@example.com", message="A pilot for COBOL search."
    )
    port = free_port()
    send_through_smtp(settings, port)
    client.force_login(member)
    with smtp_server(port) as mailbox:
        save_routing(client, NEW)
        assert mailbox.messages == []  # the worker sends it, after the commit

        run_worker()

    (notice,) = mailbox.sent_to([OLD, NEW])
    assert notice["Subject"] == SUBJECT
    assert notice["To"] == f"{OLD}, {NEW}"
    text = body(notice)
    change = LeadRoutingChange.objects.get()
    assert "Changed by: avery" in lines(notice)
    assert f"When:       {change.changed_at:%Y-%m-%d %H:%M:%S} UTC" in lines(notice)
    assert f"Before: {OLD}" in lines(notice)
    assert f"Now:    {NEW}" in lines(notice)
    assert "https://glossary.example.org/admin/advisory/leadrouting/" in lines(notice)
    for lead_data in (inquiry.name, inquiry.email, inquiry.message, str(inquiry.reference)):
        assert lead_data not in text
    change.refresh_from_db()
    assert change.notice == LeadRoutingChange.Notice.SENT
    assert change.notice_sent_at is not None


def test_when_the_list_was_empty_the_team_members_who_were_told_hear_of_the_change(
    settings, member
):
    UserFactory(roles=[ADVISORY_TEAM], email="zoe@example.org")
    port = free_port()
    send_through_smtp(settings, port)

    lead_routing_change(changed_by=member, inquiry_recipients=NEW)
    with smtp_server(port) as mailbox:
        run_worker()

    (notice,) = mailbox.sent_to(["avery@example.org", "zoe@example.org", NEW])
    assert "Before: nobody listed (every member of the Advisory team was told)" in body(notice)


def test_with_the_environment_setting_its_addresses_hear_of_the_change_too(
    settings, member, routed_to_old
):
    settings.ADVISORY_NOTIFY_EMAILS = ["ops@example.org"]
    port = free_port()
    send_through_smtp(settings, port)

    lead_routing_change(changed_by=member, inquiry_recipients=NEW)
    with smtp_server(port) as mailbox:
        run_worker()

    (notice,) = mailbox.sent_to([OLD, NEW, "ops@example.org"])
    assert "ADVISORY_NOTIFY_EMAILS setting decides who is told (ops@example.org)" in body(notice)


def test_a_change_rolled_back_with_its_transaction_is_neither_recorded_nor_emailed(
    settings, member, routed_to_old
):
    with pytest.raises(RuntimeError), transaction.atomic():
        lead_routing_change(changed_by=member, inquiry_recipients=NEW)
        raise RuntimeError("something later in the same request failed")

    assert LeadRouting.load().inquiry_recipients == OLD
    assert not LeadRoutingChange.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_switching_acknowledgements_off_is_recorded_and_emails_nobody(member):
    (change,) = lead_routing_change(changed_by=member, send_inquiry_acknowledgement=False)

    assert (change.field, change.old_value, change.new_value) == (
        "send_inquiry_acknowledgement",
        "yes",
        "no",
    )
    assert change.notice == LeadRoutingChange.Notice.NOT_SENT
    assert not DBTaskResult.objects.exists()


def test_saving_the_same_addresses_with_other_spacing_records_nothing(
    client, member, routed_to_old
):
    client.force_login(member)
    assert save_routing(client, f"\n  {OLD}  \n\n").status_code == 302
    assert not LeadRoutingChange.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_an_address_that_is_not_one_is_refused_and_nothing_is_recorded(member, routed_to_old):
    with pytest.raises(ValidationError) as error:
        lead_routing_change(changed_by=member, inquiry_recipients="sales at example dot com")

    assert error.value.message_dict["inquiry_recipients"] == [
        "“sales at example dot com” is not an email address. Write one address per line."
    ]
    assert LeadRouting.load().inquiry_recipients == OLD
    assert not LeadRoutingChange.objects.exists()


def test_a_mail_server_refusing_for_now_is_tried_again_later(settings, member, routed_to_old):
    port = free_port()
    send_through_smtp(settings, port)
    lead_routing_change(changed_by=member, inquiry_recipients=NEW)

    with smtp_server(port, Mailbox(refuse={OLD: 451, NEW: 451})) as mailbox:
        run_worker()
        change = LeadRoutingChange.objects.get()
        assert change.notice == LeadRoutingChange.Notice.RETRYING
        assert change.notice_error == "SMTPRecipientsRefused (451)"
        retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
        assert retry.run_after > timezone.now() + timedelta(seconds=30)

        mailbox.refused.clear()
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
        run_worker()

    assert len(mailbox.sent_to([OLD, NEW])) == 1
    change.refresh_from_db()
    assert (change.notice, change.notice_attempts) == (LeadRoutingChange.Notice.SENT, 2)


def test_the_environment_setting_still_decides_who_is_told_of_inquiries(
    settings, member, routed_to_old
):
    settings.ADVISORY_NOTIFY_EMAILS = ["ops@example.org"]
    lead_routing_change(changed_by=member, inquiry_recipients=NEW)

    assert team_recipients() == ["ops@example.org"]
    settings.ADVISORY_NOTIFY_EMAILS = []
    assert team_recipients() == [NEW]
