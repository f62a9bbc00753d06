"""Webhooks as a receiving application sees them: signed POSTs from the background worker
to a real HTTP server started here, retried while it fails for a while, given up on when
it refuses, and an endpoint that keeps failing for a day disabled with the Editors told.

The worker opens and closes database connections of its own, so these tests commit for
real (serialized_rollback: the roles made by data migrations come back after each flush).
Content written here is announced by the real change feed (terms.changes) as it commits;
``report`` announces a change by hand where a test needs one of an exact shape.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from terms import services as content
from terms.changes import ContentChange, TermChange, content_changed
from terms.models import Term
from terms.roles import EDITORS
from webhooks import services
from webhooks.models import Delivery, Endpoint, Event

from ..factories import CategoryFactory, EndpointFactory, TermFactory, UserFactory
from ..helpers.glossary_files import glossary_file, term_record
from ..helpers.smtp import free_port, send_through_smtp, smtp_server
from ..helpers.tasks import run_worker
from ..helpers.webhook_receiver import STALL, Reply
from .conftest import queued_tasks, time_passes

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
Status = Delivery.Status
change_ids = iter(range(1000, 10**6))


def term_change(term: Term, **extra) -> TermChange:
    return TermChange(
        id=term.pk,
        slug=term.slug,
        category=term.category.slug,
        category_id=term.category_id,
        previous_slug=extra.pop("previous_slug", None),
    )


def report(**kinds) -> ContentChange:
    """The change feed telling its receivers what changed, as after a commit."""
    change = ContentChange(
        id=kinds.pop("change_id", None) or next(change_ids),
        occurred_at=timezone.now(),
        source=Term.Source.ADMIN,
        published=tuple(kinds.pop("published", ())),
        updated=tuple(kinds.pop("updated", ())),
        unpublished=tuple(kinds.pop("unpublished", ())),
        categories=tuple(kinds.pop("categories", ())),
        imported=kinds.pop("imported", None),
        settings_changed=False,
    )
    assert not kinds
    content_changed.send(sender=None, change=change)
    return change


def verified(endpoint: Endpoint, received) -> dict:
    """The body, checked by the Standard Webhooks reference verifier (raises if not)."""
    return Webhook(endpoint.secret).verify(received.body, received.headers)


def test_a_published_term_reaches_the_endpoint_signed_with_its_public_json(client, receiver):
    endpoint = EndpointFactory(url=receiver.url, events=["term.published"])
    draft = TermFactory(status=Term.Status.DRAFT)
    run_worker()
    assert receiver.received == []  # a draft is nothing the public sees

    term = content.term_publish(term=draft)
    assert not Event.objects.exists()  # made by the worker, not in the publishing request
    run_worker()

    [received] = receiver.received
    payload = verified(endpoint, received)
    assert received.headers["content-type"] == "application/json"
    assert payload["type"] == "term.published"
    assert payload["id"] == received.headers["webhook-id"]
    assert payload["id"].startswith("evt_")
    stamp = int(received.headers["webhook-timestamp"])
    assert abs(stamp - datetime.now(UTC).timestamp()) < 60
    data = payload["data"]
    assert data["slug"] == term.slug
    assert data["url"] == f"http://testserver/api/v1/terms/{term.slug}/"
    assert data["category"] == term.category.slug
    assert data["term"] == client.get(f"/api/v1/terms/{term.slug}/").json()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 1)
    assert delivery.response_status == 200
    assert delivery.response_body == "ok"
    [attempt] = delivery.log.all()
    assert attempt.response_status == 200


def test_the_signature_is_hmac_sha256_of_id_timestamp_and_body_as_documented(receiver):
    """The README's verification, written out from the Standard Webhooks text."""
    import base64
    import hashlib
    import hmac

    endpoint = EndpointFactory(url=receiver.url, events=["category.changed"])
    category = CategoryFactory()  # created: announced by the change feed
    run_worker()

    [received] = receiver.received
    key = base64.b64decode(endpoint.secret.removeprefix("whsec_"))
    signed = (
        f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode()
        + received.body
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert received.headers["webhook-signature"] == f"v1,{expected}"
    assert json.loads(received.body)["data"] == {
        "slug": category.slug,
        "url": f"http://testserver/api/v1/categories/{category.slug}/",
    }


def test_only_subscribed_active_endpoints_receive_an_event(receiver):
    term = TermFactory()
    wanted = EndpointFactory(url=receiver.url, events=["term.unpublished"])
    EndpointFactory(url=receiver.url, events=["term.published"])
    EndpointFactory(url=receiver.url, events=["term.unpublished"], active=False)

    content.term_archive(term=term)
    run_worker()

    [received] = receiver.received
    payload = verified(wanted, received)
    assert payload["type"] == "term.unpublished"
    assert "term" not in payload["data"]


def test_the_same_change_reported_twice_is_delivered_once(receiver):
    term = TermFactory()
    EndpointFactory(url=receiver.url, events=["term.updated"])
    change = report(updated=[term_change(term)])
    report(change_id=change.id, updated=[term_change(term)])
    run_worker()

    assert len(receiver.received) == 1
    assert Event.objects.count() == 1


def test_an_import_is_one_event_listing_what_changed(receiver):
    """As the importer reports its bulk writes (terms.changes.report with ``imported``)."""
    rag = TermFactory(slug="rag")
    endpoint = EndpointFactory(url=receiver.url, events=["glossary.imported", "term.published"])
    report(
        published=[term_change(rag)],
        imported={"created": ["rag"], "updated": ["llm"], "unpublished": [], "unchanged": 7},
    )
    run_worker()

    [received] = receiver.received
    payload = verified(endpoint, received)
    assert payload["type"] == "glossary.imported"
    assert payload["data"] == {
        "created": [{"slug": "rag", "url": "http://testserver/api/v1/terms/rag/"}],
        "updated": [{"slug": "llm", "url": "http://testserver/api/v1/terms/llm/"}],
        "unpublished": [],
        "unchanged": 7,
    }


def test_a_live_entry_renamed_through_its_working_copy_says_its_previous_slug(
    client, receiver, publisher
):
    entry = TermFactory(slug="rag", title="RAG")
    copy = content.working_copy_start(entry=entry)
    copy.title = "Retrieval-augmented generation"
    copy.slug = "retrieval-augmented-generation"
    copy.save()
    endpoint = EndpointFactory(url=receiver.url, events=["term.updated"])

    content.working_copy_publish(copy=copy, user=publisher)
    run_worker()

    [received] = receiver.received
    data = verified(endpoint, received)["data"]
    assert data["slug"] == "retrieval-augmented-generation"
    assert data["previous_slug"] == "rag"
    assert data["previous_url"] == "http://testserver/api/v1/terms/rag/"
    assert data["term"]["title"] == "Retrieval-augmented generation"
    assert data["term"] == client.get(f"/api/v1/terms/{data['slug']}/").json()


# Failures --------------------------------------------------------------------------


def deliver_one(receiver, *answers) -> Delivery:
    receiver.answer(*answers)
    EndpointFactory(url=receiver.url, events=["term.published"])
    TermFactory()  # published: announced by the change feed
    run_worker()
    return Delivery.objects.get()


def test_a_500_is_retried_later_and_then_delivered_with_the_same_id(receiver):
    delivery = deliver_one(receiver, Reply(500, body=b"database down"))
    assert delivery.status == Status.RETRYING
    assert delivery.response_status == 500
    assert delivery.response_body == "database down"
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=10) <= wait < timedelta(seconds=11)
    run_worker()
    assert len(receiver.received) == 1  # not due yet

    time_passes(11)
    run_worker()

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 2)
    assert [a.response_status for a in delivery.log.all()] == [500, 200]
    assert Endpoint.objects.get().failing_since is None


def test_a_timeout_is_retried(receiver):
    delivery = deliver_one(receiver, STALL)
    assert delivery.status == Status.RETRYING
    assert delivery.response_status is None
    assert "Timed out" in delivery.error
    assert 900 <= delivery.duration_ms < 5000
    receiver.release()

    time_passes(11)
    run_worker()

    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert len(receiver.received) == 2


def test_an_answer_that_trickles_in_is_cut_off_at_the_timeout(receiver):
    delivery = deliver_one(receiver, Reply(200, body=b"x" * 50, drip=0.2))
    assert delivery.status == Status.RETRYING
    assert "Timed out" in delivery.error
    assert delivery.duration_ms < 3000  # 1 s allowed; trickling in full would take 10 s


def test_a_connection_refused_is_retried(receiver):
    EndpointFactory(url=f"http://127.0.0.1:{free_port()}/hooks", events=["term.published"])
    TermFactory()
    run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == Status.RETRYING
    assert "ConnectionRefusedError" in delivery.error


def test_a_400_is_not_retried(receiver):
    delivery = deliver_one(receiver, Reply(400, body=b"bad signature"))
    assert delivery.status == Status.FAILED
    assert delivery.error == "HTTP 400"
    assert not queued_tasks().exists()

    time_passes(3600)
    run_worker()
    assert len(receiver.received) == 1


def test_a_redirect_is_not_followed(receiver):
    delivery = deliver_one(receiver, Reply(301, headers={"Location": "http://10.0.0.1/"}))
    assert delivery.status == Status.FAILED
    assert "redirects are not followed" in delivery.error
    assert len(receiver.received) == 1


def test_a_429_is_retried_when_its_retry_after_says(receiver):
    delivery = deliver_one(receiver, Reply(429, headers={"Retry-After": "120"}))
    assert delivery.status == Status.RETRYING
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=120) <= wait < timedelta(seconds=121)

    time_passes(60)
    run_worker()
    assert len(receiver.received) == 1
    time_passes(61)
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED


def test_retries_stop_after_a_day(receiver, settings):
    settings.WEBHOOKS_RETRY_SCHEDULE = [3600]
    delivery = deliver_one(receiver, *[500] * 30)
    for _hour in range(30):
        time_passes(3601)
        run_worker()
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.error.startswith("Gave up after 24 attempts")
    assert len(receiver.received) == 24


@pytest.fixture
def mailbox(settings):
    port = free_port()
    send_through_smtp(settings, port)
    with smtp_server(port) as box:
        yield box


def test_an_endpoint_failing_for_a_day_is_disabled_and_the_editors_told(receiver, mailbox):
    UserFactory(email="ed@example.org", roles=[EDITORS])
    creator = UserFactory(email="maker@example.org")
    endpoint = EndpointFactory(url=receiver.url, events=["term.published"], created_by=creator)
    receiver.answer(*[503] * 50)
    TermFactory()
    run_worker()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.active

    time_passes(23 * 3600)
    TermFactory()  # fails too: still under a day
    run_worker()
    assert Endpoint.objects.get().active

    time_passes(3601)
    run_worker()  # the retries come due, fail, past a day of failing

    endpoint.refresh_from_db()
    assert not endpoint.active
    assert "HTTP 503" in endpoint.disabled_reason
    assert set(Delivery.objects.values_list("status", flat=True)) == {Status.FAILED}
    [message] = mailbox.sent_to(["ed@example.org", "maker@example.org"])
    assert endpoint.url in message["Subject"] or endpoint.description in message["Subject"]
    assert "re-enable" in message.get_content()

    # A new event no longer goes to it.
    calls = len(receiver.received)
    TermFactory()
    run_worker()
    assert len(receiver.received) == calls


def test_a_delivery_whose_task_was_lost_is_sent_by_the_sweep(receiver):
    endpoint = EndpointFactory(url=receiver.url, events=["term.published"])
    services.endpoint_send_test(endpoint)
    queued_tasks().delete()  # as if the task row never made it
    run_worker()
    assert receiver.received == []

    time_passes(services.SWEEP_GRACE.total_seconds() + 1)
    run_worker()  # each worker sweeps as it starts

    assert len(receiver.received) == 1
    assert Delivery.objects.get().status == Status.DELIVERED


def test_a_delivery_left_sending_by_a_dead_worker_is_sent_again_after_its_lease(receiver):
    endpoint = EndpointFactory(url=receiver.url, events=["term.published"])
    services.endpoint_send_test(endpoint)
    queued_tasks().delete()
    Delivery.objects.update(
        status=Status.SENDING, attempts=1, last_attempt_at=timezone.now()
    )  # as a killed worker leaves it
    time_passes(services.SWEEP_GRACE.total_seconds() - 1)
    run_worker()
    assert receiver.received == []  # within its lease: perhaps in flight

    time_passes(services.lease().total_seconds() + 2)
    run_worker()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 2)
    assert len(receiver.received) == 1


def test_events_are_deleted_after_the_keeping_period_once_nothing_waits(receiver, settings):
    settings.WEBHOOKS_KEEP_DAYS = 30
    EndpointFactory(url=receiver.url, events=["term.published"])
    receiver.answer(200, 500)
    TermFactory()
    TermFactory()
    run_worker()  # one delivered, one retrying
    Event.objects.update(created_at=timezone.now() - timedelta(days=31))

    assert services.events_purge() == 1

    assert Delivery.objects.get().status == Status.RETRYING


def test_a_real_import_is_one_glossary_imported_event(receiver):
    endpoint = EndpointFactory(
        url=receiver.url, events=["glossary.imported", "term.published", "category.changed"]
    )
    published = {"status": "published", "summary": "A summary.", "definition": "Text."}
    content.glossary_import(
        data=glossary_file(
            term_record("rag", "RAG", **published), term_record("llm", "LLM", **published)
        )
    )
    run_worker()

    [received] = receiver.received
    payload = verified(endpoint, received)
    assert payload["type"] == "glossary.imported"
    assert sorted(item["slug"] for item in payload["data"]["created"]) == ["llm", "rag"]
    assert payload["data"]["created"][0]["url"].startswith("http://testserver/api/v1/terms/")
