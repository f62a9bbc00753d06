"""Webhook endpoints and deliveries in the admin, as an editor and the Advisory team use
them: the secret shown once, refused addresses next to the field, a test event and a
redelivery reaching a real receiver, and inquiry.created kept to the Advisory team."""

import re

import pytest
from django.urls import reverse
from standardwebhooks import Webhook

from terms.roles import ADVISORY_TEAM, EDITORS
from webhooks.models import Delivery, Endpoint, Event

from ..factories import EndpointFactory, InquiryFactory, UserFactory
from ..helpers.tasks import run_worker

ENDPOINTS = reverse("admin:webhooks_endpoint_changelist")
ADD = reverse("admin:webhooks_endpoint_add")
DELIVERIES = reverse("admin:webhooks_delivery_changelist")
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


def change_url(endpoint) -> str:
    return reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])


def add_form(url: str, events=("term.published",), **extra) -> dict:
    return {"url": url, "description": "Front end", "events": list(events), "active": "on", **extra}


@pytest.fixture
def editor_client(client):
    client.force_login(UserFactory(is_staff=True, roles=[EDITORS]))
    return client


@pytest.fixture
def team_client(client):
    client.force_login(UserFactory(is_staff=True, roles=[ADVISORY_TEAM]))
    return client


@pytest.mark.django_db
class TestPages:
    def test_an_editor_opens_every_webhook_page(self, editor_client):
        endpoint = EndpointFactory()
        event = Event.objects.create(id="evt_x", type="term.published", payload={"id": "evt_x"})
        delivery = Delivery.objects.create(endpoint=endpoint, event=event)
        for url in (
            ENDPOINTS,
            f"{ENDPOINTS}?q=example",
            f"{ENDPOINTS}?active__exact=1",
            ADD,
            change_url(endpoint),
            DELIVERIES,
            f"{DELIVERIES}?status=failed",
            f"{DELIVERIES}?q=evt_x",
            reverse("admin:webhooks_delivery_change", args=[delivery.pk]),
        ):
            assert editor_client.get(url).status_code == 200, url

    def test_adding_an_endpoint_shows_its_secret_once(self, editor_client):
        response = editor_client.post(ADD, add_form("https://8.8.8.8/hooks"), follow=True)

        assert response.status_code == 200
        [shown] = SECRET.findall(response.content.decode())
        [(shown_at, _status)] = response.redirect_chain
        assert SECRET.findall(editor_client.get(shown_at).content.decode()) == []
        endpoint = Endpoint.objects.get()
        assert shown == endpoint.secret
        assert endpoint.created_by.groups.filter(name=EDITORS).exists()
        assert "no-store" in response["Cache-Control"]
        page = editor_client.get(change_url(endpoint)).content.decode()
        assert endpoint.secret not in page
        assert endpoint.secret[:10] in page

    @pytest.mark.parametrize(
        ("url", "why"),
        [
            ("http://127.0.0.1:8000/hooks", "loopback"),
            ("http://localhost/hooks", "loopback"),
            ("http://10.1.2.3/hooks", "private"),
            ("http://192.168.0.10/hooks", "private"),
            ("http://169.254.169.254/latest/meta-data/", "link-local"),
            ("http://[::1]/hooks", "loopback"),
            ("http://0.0.0.0/hooks", "unspecified"),
            ("http://224.0.0.1/hooks", "multicast"),
        ],
    )
    def test_an_internal_address_is_refused_next_to_the_url_field(
        self, editor_client, settings, url, why
    ):
        settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False

        response = editor_client.post(ADD, add_form(url))

        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert list(errors) == ["url"]
        assert why in errors["url"][0]
        assert not Endpoint.objects.exists()

    def test_only_http_and_https_addresses_are_taken(self, editor_client):
        response = editor_client.post(ADD, add_form("ftp://8.8.8.8/hooks"))
        assert "url" in response.context["adminform"].form.errors
        assert not Endpoint.objects.exists()

    def test_an_editor_may_not_subscribe_to_inquiries(self, editor_client):
        page = editor_client.get(ADD).content.decode()
        assert 'value="inquiry.created"' not in page
        assert 'value="term.published"' in page

        response = editor_client.post(
            ADD, add_form("https://8.8.8.8/crm", events=["inquiry.created"])
        )

        assert "events" in response.context["adminform"].form.errors
        assert not Endpoint.objects.exists()

    def test_the_advisory_team_subscribes_its_crm_to_inquiries(self, team_client):
        assert 'value="inquiry.created"' in team_client.get(ADD).content.decode()
        team_client.post(ADD, add_form("https://8.8.8.8/crm", events=["inquiry.created"]))
        assert Endpoint.objects.get().events == ["inquiry.created"]

    def test_an_editor_cannot_change_or_delete_the_crm_endpoint(self, editor_client):
        crm = EndpointFactory(url="https://8.8.8.8/crm", events=["inquiry.created"])

        response = editor_client.post(
            change_url(crm), add_form("https://attacker.example/", events=[])
        )
        assert response.status_code == 403
        crm.refresh_from_db()
        assert crm.url == "https://8.8.8.8/crm"
        delete = reverse("admin:webhooks_endpoint_delete", args=[crm.pk])
        assert editor_client.post(delete, {"post": "yes"}).status_code == 403
        assert Endpoint.objects.filter(pk=crm.pk).exists()

    def test_an_editor_sees_no_delivery_of_an_inquiry(self, editor_client):
        crm = EndpointFactory(url="https://8.8.8.8/crm", events=["inquiry.created"])
        inquiry = InquiryFactory(name="Ada Lovelace")
        event = Event.objects.create(
            id="evt_inq", type="inquiry.created", payload={"data": {"name": "Ada Lovelace"}},
            inquiry=inquiry,
        )  # fmt: skip
        delivery = Delivery.objects.create(endpoint=crm, event=event)
        detail = reverse("admin:webhooks_delivery_change", args=[delivery.pk])

        listing = editor_client.get(DELIVERIES).content.decode()
        assert "evt_inq" not in listing
        assert editor_client.get(detail).status_code == 302  # "does not exist"
        assert "Ada Lovelace" not in editor_client.get(detail, follow=True).content.decode()


# With the worker ---------------------------------------------------------------------


def action(client, url: str, name: str, objects) -> object:
    return client.post(
        url, {"action": name, "_selected_action": [str(o.pk) for o in objects]}, follow=True
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_send_a_test_event_reaches_the_endpoint_through_the_worker(editor_client, receiver):
    endpoint = EndpointFactory(url=receiver.url, events=["term.published"])

    action(editor_client, ENDPOINTS, "send_test_event", [endpoint])
    run_worker()

    [received] = receiver.received
    assert Webhook(endpoint.secret).verify(received.body, received.headers)["type"] == (
        "webhook.test"
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redeliver_sends_the_same_event_again(editor_client, receiver):
    endpoint = EndpointFactory(url=receiver.url, events=["term.published"])
    receiver.answer(400)
    action(editor_client, ENDPOINTS, "send_test_event", [endpoint])
    run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED

    response = action(editor_client, DELIVERIES, "redeliver", [delivery])
    assert "1 delivery queued" in response.content.decode()
    run_worker()

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert [a.response_status for a in delivery.log.all()] == [400, 200]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rotated_secret_signs_the_next_delivery(editor_client, receiver):
    endpoint = EndpointFactory(url=receiver.url, events=["term.published"])
    old = endpoint.secret

    response = action(editor_client, ENDPOINTS, "rotate_secret", [endpoint])
    [shown] = SECRET.findall(response.content.decode())
    endpoint.refresh_from_db()
    assert shown == endpoint.secret != old

    action(editor_client, ENDPOINTS, "send_test_event", [endpoint])
    run_worker()
    assert Webhook(shown).verify(receiver.received[0].body, receiver.received[0].headers)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_disabled_endpoint_is_enabled_again(editor_client, receiver):
    endpoint = EndpointFactory(
        url=receiver.url, active=False, disabled_reason="Failing since…", events=["term.published"]
    )

    action(editor_client, ENDPOINTS, "enable", [endpoint])

    endpoint.refresh_from_db()
    assert endpoint.active
    assert (endpoint.disabled_reason, endpoint.failing_since) == ("", None)


@pytest.mark.django_db
def test_the_advisory_team_sees_the_deliveries_of_inquiries(team_client):
    crm = EndpointFactory(url="https://8.8.8.8/crm", events=["inquiry.created"])
    event = Event.objects.create(
        id="evt_inq", type="inquiry.created", payload={"data": {"name": "Ada Lovelace"}}
    )
    delivery = Delivery.objects.create(endpoint=crm, event=event)
    assert "evt_inq" in team_client.get(DELIVERIES).content.decode()
    detail = reverse("admin:webhooks_delivery_change", args=[delivery.pk])
    assert "Ada Lovelace" in team_client.get(detail).content.decode()
