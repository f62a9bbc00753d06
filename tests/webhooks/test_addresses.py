"""No request to a private or loopback address: refused when the endpoint is saved, and
again when each delivery is sent (a name may point elsewhere by then)."""

import pytest
from django.core.exceptions import ValidationError

from glossary_project import outbound
from webhooks.models import Delivery

from ..factories import EndpointFactory, TermFactory
from ..helpers.tasks import run_worker


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.8.9.10:9000/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://169.254.169.254/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://100.64.0.1/",
        "http://240.0.0.1/",
    ],
)
def test_internal_addresses_are_refused(url, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(outbound.AddressRefused):
        outbound.resolve(url)


def test_a_public_address_is_connected_to_as_checked(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    target = outbound.resolve("https://8.8.8.8:8443/hooks?site=1")
    assert (target.address, target.port, target.path) == ("8.8.8.8", 8443, "/hooks?site=1")


def test_the_setting_lets_the_tests_loopback_server_through(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    assert outbound.resolve("http://localhost:8000/").address in ("127.0.0.1", "::1")


@pytest.mark.django_db
def test_the_model_refuses_an_internal_url_on_the_url_field(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    endpoint = EndpointFactory.build(url="http://127.0.0.1:9/")
    with pytest.raises(ValidationError) as refused:
        endpoint.full_clean()
    assert list(refused.value.message_dict) == ["url"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_delivery_to_an_address_no_longer_allowed_is_refused_at_send_time(receiver, settings):
    EndpointFactory(url=receiver.url, events=["term.published"])  # saved while allowed
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False

    TermFactory()  # published: announced by the change feed
    run_worker()

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert "loopback" in delivery.error
    assert receiver.received == []
