"""A receiver's developer learns the webhooks from /api/docs/ alone: every event, its body
schema and a verification snippet that works on a real delivery."""

import re

import pytest

from webhooks.services import endpoint_send_test

from ..factories import EndpointFactory
from ..helpers.tasks import run_worker

EVENTS = {
    "term.published": "TermPublishedEvent",
    "term.updated": "TermUpdatedEvent",
    "term.unpublished": "TermUnpublishedEvent",
    "category.changed": "CategoryChangedEvent",
    "glossary.imported": "GlossaryImportedEvent",
    "inquiry.created": "InquiryCreatedEvent",
    "webhook.test": "WebhookTestEvent",
}


def schema(client) -> dict:
    return client.get("/api/schema/", {"format": "json"}).json()


@pytest.mark.django_db
def test_every_event_is_documented_with_its_body(client):
    documented = schema(client)
    assert set(documented["x-webhooks"]) == set(EVENTS)
    components = documented["components"]["schemas"]
    for event, body in EVENTS.items():
        operation = documented["x-webhooks"][event]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{body}"
        assert components[body]["properties"]["type"]["enum"] == [event]
        assert f"`{event}` ({body})" in documented["info"]["description"]
    term = components["TermEventData"]["properties"]["term"]
    assert "TermDetail" in str(term)
    assert "personal_data" in components["InquiryData"]["properties"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_documented_verification_accepts_a_real_delivery_and_refuses_a_forgery(
    client, receiver
):
    [snippet] = re.findall(r"```python\n(.*?)```", schema(client)["info"]["description"], re.S)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - the documentation's own code, under test
    verify = namespace["verify"]
    endpoint = EndpointFactory(url=receiver.url)
    endpoint_send_test(endpoint)
    run_worker()

    [received] = receiver.received
    assert verify(endpoint.secret, received.headers, received.body)
    assert not verify(endpoint.secret, received.headers, received.body + b" ")
    other = EndpointFactory(url=receiver.url)
    assert not verify(other.secret, received.headers, received.body)
