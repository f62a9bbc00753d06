"""Personal data in inquiries: kept only as long as needed, handed over or erased on
request, and never shown to anyone outside the advisory team."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from advisory.models import IdempotencyRecord, Inquiry, OutgoingEmail
from advisory.services import inquiry_submit

from ..factories import InquiryFactory
from ..helpers.tasks import run_worker

pytestmark = pytest.mark.django_db


def received_days_ago(inquiry: Inquiry, days: int) -> None:
    Inquiry.objects.filter(pk=inquiry.pk).update(created_at=timezone.now() - timedelta(days=days))


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_purge_deletes_only_inquiries_older_than_the_retention_period():
    old = InquiryFactory(company="Old Co")
    recent = InquiryFactory(company="Recent Co")
    today = InquiryFactory(company="Today Co")
    received_days_ago(old, 400)
    received_days_ago(recent, 300)

    output = run("purge_inquiries", "--older-than", "365")

    assert output == "Deleted 1 inquiries received more than 365 days ago.\n"
    assert set(Inquiry.objects.values_list("pk", flat=True)) == {recent.pk, today.pk}
    assert not Inquiry.objects.filter(pk=old.pk).exists()


def test_purge_dry_run_deletes_nothing_and_reports_how_many_it_would():
    for days in (400, 500, 10):
        received_days_ago(InquiryFactory(), days)

    output = run("purge_inquiries", "--older-than", "365", "--dry-run")

    assert output == "Would delete 2 inquiries received more than 365 days ago.\n"
    assert Inquiry.objects.count() == 3


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param(["--older-than", "0"], id="zero days"),
        pytest.param(["--older-than", "-30"], id="negative"),
        pytest.param(["--older-than", "a year"], id="not a number"),
        pytest.param([], id="missing"),
    ],
)
def test_purge_refuses_a_bad_retention_period_and_deletes_nothing(arguments):
    received_days_ago(InquiryFactory(), 400)
    InquiryFactory()

    with pytest.raises(CommandError):
        run("purge_inquiries", *arguments)

    assert Inquiry.objects.count() == 2


def test_export_prints_every_inquiry_of_that_address_ignoring_case_and_nobody_elses():
    first = InquiryFactory(name="Ada Lovelace", email="Ada@Example.com", phone="+44 20 7946 0000")
    second = InquiryFactory(name="Ada Lovelace", email="ada@example.com", company="Second Co")
    InquiryFactory(name="Grace Hopper", email="grace@example.com", message="Compilers, naturally.")

    output = run("export_personal_data", "ADA@example.COM")

    export = json.loads(output)
    assert export["email"] == "ADA@example.COM"
    assert export["held_by"] == "AI Advisory"
    assert [item["reference"] for item in export["inquiries"]] == [
        str(first.reference),
        str(second.reference),
    ]
    assert export["inquiries"][0]["phone"] == "+44 20 7946 0000"
    assert export["inquiries"][0]["message"] == first.message
    assert export["inquiries"][0]["consent_text"] == first.consent_text
    assert "Grace" not in output
    assert "grace@example.com" not in output
    assert "Compilers" not in output


def test_export_of_an_address_with_no_inquiries_is_an_empty_list():
    InquiryFactory(email="grace@example.com")

    export = json.loads(run("export_personal_data", "nobody@example.com"))

    assert export["inquiries"] == []


def test_export_output_option_writes_the_json_to_a_file(tmp_path):
    inquiry = InquiryFactory(email="ada@example.com", name="Ada Lovelace")
    target = tmp_path / "ada.json"

    output = run("export_personal_data", "ada@example.com", "--output", str(target))

    assert output == ""
    export = json.loads(target.read_text(encoding="utf-8"))
    assert [item["reference"] for item in export["inquiries"]] == [str(inquiry.reference)]
    assert export["inquiries"][0]["name"] == "Ada Lovelace"


def test_erase_deletes_exactly_that_persons_inquiries():
    InquiryFactory(email="ada@example.com")
    InquiryFactory(email="ADA@example.com")
    grace = InquiryFactory(email="grace@example.com")
    similar = InquiryFactory(email="ada@example.com.au")

    output = run("erase_personal_data", "Ada@Example.com")

    assert output == "Deleted 2 inquiries sent with that address.\n"
    assert set(Inquiry.objects.values_list("pk", flat=True)) == {grace.pk, similar.pk}


def test_erase_dry_run_keeps_the_inquiries_and_says_how_many_it_would_delete():
    InquiryFactory(email="ada@example.com")
    InquiryFactory(email="ada@example.com")

    output = run("erase_personal_data", "ada@example.com", "--dry-run")

    assert output == "Would delete 2 inquiries sent with that address.\n"
    assert Inquiry.objects.filter(email="ada@example.com").count() == 2


def test_erase_deletes_the_emails_and_the_used_keys_of_that_persons_inquiries_too(
    valid_inquiry_data, another_form
):
    inquiry_submit(valid_inquiry_data, client_address="203.0.113.7", idempotency_key="k-1")
    other = inquiry_submit(
        another_form(valid_inquiry_data, email="grace@example.com"),
        client_address="203.0.113.8",
        idempotency_key="k-2",
    ).inquiry

    output = run("erase_personal_data", "ada@example.com")

    assert output == "Deleted 1 inquiries sent with that address.\n"
    assert set(OutgoingEmail.objects.values_list("inquiry", flat=True)) == {other.pk}
    assert set(IdempotencyRecord.objects.values_list("inquiry", flat=True)) == {other.pk}


def test_export_lists_the_emails_each_inquiry_sent_without_the_used_keys(valid_inquiry_data):
    inquiry = inquiry_submit(
        valid_inquiry_data, client_address="203.0.113.7", idempotency_key="k-1"
    ).inquiry
    inquiry.emails.filter(kind="acknowledgement").update(
        status="failed", attempts=1, error="SMTPRecipientsRefused (550)"
    )

    export = json.loads(run("export_personal_data", "ada@example.com"))

    (exported,) = export["inquiries"]
    emails = {email["kind"]: email for email in exported["emails"]}
    assert set(emails) == {"team", "acknowledgement"}
    assert emails["acknowledgement"]["status"] == "failed"
    assert emails["acknowledgement"]["error"] == "SMTPRecipientsRefused (550)"
    assert emails["team"]["message_id"] == f"<inquiry-{inquiry.reference}-team@localhost>"
    assert "key_hash" not in json.dumps(export)


def test_purge_forgets_used_keys_past_their_retention_and_keeps_recent_ones(
    settings, valid_inquiry_data, another_form
):
    settings.ADVISORY_FORM_MAX_AGE = 3 * 24 * 3600  # kept 3 days, being longer than a day
    old = inquiry_submit(valid_inquiry_data, client_address="203.0.113.7").inquiry
    recent = inquiry_submit(another_form(valid_inquiry_data), client_address="203.0.113.8").inquiry
    IdempotencyRecord.objects.filter(inquiry=old).update(
        created_at=timezone.now() - timedelta(days=3, minutes=1)
    )
    IdempotencyRecord.objects.filter(inquiry=recent).update(
        created_at=timezone.now() - timedelta(days=2, hours=23)
    )

    run("purge_inquiries", "--older-than", "365")

    assert set(IdempotencyRecord.objects.values_list("inquiry", flat=True)) == {recent.pk}
    assert Inquiry.objects.count() == 2


@pytest.mark.parametrize("command", ["export_personal_data", "erase_personal_data"])
@pytest.mark.parametrize("address", ["ada", "ada@", "", "ada@example.com, grace@example.com"])
def test_an_invalid_email_address_is_refused_and_nothing_is_touched(command, address):
    InquiryFactory(email="ada@example.com")

    with pytest.raises(CommandError, match="Not an email address"):
        run(command, address)

    assert Inquiry.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_inquiry_erased_before_its_notification_went_out_is_never_mailed(
    settings, valid_inquiry_data
):
    settings.ADVISORY_NOTIFY_EMAILS = ["advisory@example.org"]
    inquiry_submit(valid_inquiry_data, client_address="203.0.113.7")

    run("erase_personal_data", "ada@example.com")
    run_worker()

    assert mail.outbox == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/inquiries/",
        "/api/v1/inquiries/{reference}/",
        "/admin/advisory/inquiry/",
        "/admin/advisory/inquiry/{pk}/change/",
        "/admin/advisory/inquiry/?q=ada",
    ],
)
def test_anonymous_visitors_cannot_read_inquiries(client, path):
    inquiry = InquiryFactory(name="Ada Lovelace", email="ada@example.com")

    response = client.get(path.format(reference=inquiry.reference, pk=inquiry.pk))

    assert response.status_code in (302, 401, 403)
    if response.status_code == 302:
        assert response.url.startswith("/admin/login/")
    assert b"ada@example.com" not in response.content
    assert b"Lovelace" not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/inquiries/",
        "/api/v1/inquiries/{reference}/",
        "/admin/advisory/inquiry/",
        "/admin/advisory/inquiry/{pk}/change/",
    ],
)
def test_editors_outside_the_advisory_team_cannot_read_inquiries(editor_client, path):
    inquiry = InquiryFactory(name="Ada Lovelace", email="ada@example.com")

    response = editor_client.get(path.format(reference=inquiry.reference, pk=inquiry.pk))

    assert response.status_code == 403
    assert b"ada@example.com" not in response.content


def test_an_inquiry_list_read_by_the_team_is_not_replayed_to_anonymous_visitors(
    client, settings, advisory_member
):
    settings.API_RESPONSE_CACHE = True
    InquiryFactory(email="ada@example.com")
    client.force_login(advisory_member)
    assert b"ada@example.com" in client.get("/api/v1/inquiries/").content

    client.logout()
    client.cookies.clear()
    response = client.get("/api/v1/inquiries/")

    assert response.status_code == 401  # credentials needed: the session or an API key
    assert b"ada@example.com" not in response.content
