"""inquiry.created: for the Advisory team's CRM, stored in the inquiry's own transaction,
carrying the inquiry and naming its personal data; nobody else's endpoint gets it."""

import pytest
from standardwebhooks import Webhook

from advisory.services import inquiry_submit, personal_data_erase, personal_data_export
from webhooks.models import Delivery, Event

from ..advisory.conftest import issued_token, valid_inquiry_data  # noqa: F401 - fixtures
from ..factories import EndpointFactory
from ..helpers.tasks import run_worker
from .conftest import queued_tasks

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_inquiry_reaches_the_crm_endpoint_only(receiver, valid_inquiry_data):  # noqa: F811
    crm = EndpointFactory(url=receiver.url, events=["inquiry.created"])
    EndpointFactory(url=receiver.url, events=["term.published", "term.updated"])

    inquiry = inquiry_submit(valid_inquiry_data, client_address="203.0.113.7").inquiry
    # Stored with the inquiry, with its task: nothing is lost if the process dies now.
    assert Delivery.objects.get().endpoint == crm
    assert queued_tasks().filter(task_path="webhooks.tasks.deliver_webhook").count() == 1
    run_worker()

    [received] = receiver.received
    payload = Webhook(crm.secret).verify(received.body, received.headers)
    assert payload["type"] == "inquiry.created"
    data = payload["data"]
    assert data["reference"] == str(inquiry.reference)
    assert (data["name"], data["email"], data["company"]) == (
        "Ada Lovelace",
        "ada@example.com",
        "Analytical Engines Ltd",
    )
    assert data["message"] == valid_inquiry_data["message"]
    assert set(data["personal_data"]) >= {"name", "email", "phone", "message"}
    assert set(data["personal_data"]) <= set(data)
    assert data["admin_url"].endswith(f"/admin/advisory/inquiry/{inquiry.pk}/change/")


def test_no_endpoint_wants_inquiries_so_none_is_stored(receiver, valid_inquiry_data):  # noqa: F811
    EndpointFactory(url=receiver.url, events=["term.published"])
    inquiry_submit(valid_inquiry_data, client_address="203.0.113.7")
    run_worker()
    assert not Event.objects.exists()
    assert receiver.received == []


def test_suspected_spam_is_not_sent_to_the_crm(receiver, valid_inquiry_data):  # noqa: F811
    EndpointFactory(url=receiver.url, events=["inquiry.created"])
    inquiry_submit(
        {**valid_inquiry_data, "website": "http://spam.example"}, client_address="1.2.3.4"
    )
    run_worker()
    assert receiver.received == []


def test_erasing_a_persons_data_erases_their_webhook_events(receiver, valid_inquiry_data):  # noqa: F811
    EndpointFactory(url=receiver.url, events=["inquiry.created"])
    inquiry_submit(valid_inquiry_data, client_address="203.0.113.7")
    assert Event.objects.count() == 1

    personal_data_erase("ada@example.com")

    assert not Event.objects.exists()
    assert not Delivery.objects.exists()


def test_a_persons_data_export_lists_what_their_webhook_carried(receiver, valid_inquiry_data):  # noqa: F811
    crm = EndpointFactory(url=receiver.url, events=["inquiry.created"])
    inquiry_submit(valid_inquiry_data, client_address="203.0.113.7")
    run_worker()

    [inquiry] = personal_data_export("ada@example.com")["inquiries"]

    [event] = inquiry["webhook_events"]
    assert event["type"] == "inquiry.created"
    assert event["payload"]["data"]["email"] == "ada@example.com"
    assert event["sent_to"][0]["url"] == crm.url
    assert event["sent_to"][0]["status"] == Delivery.Status.DELIVERED
