"""A worker killed while an endpoint is answering: the delivery, left "sending", is made
again by another worker once its lease is over, with the same webhook-id."""

from webhooks.models import Delivery
from webhooks.services import endpoint_send_test

from ..factories import EndpointFactory
from ..helpers.processes import server_environment, wait_until, worker
from ..helpers.webhook_receiver import STALL, webhook_receiver
from .conftest import FAULT_TEST

pytestmark = FAULT_TEST


def test_a_delivery_cut_short_by_a_killed_worker_is_made_again_by_another():
    environment = server_environment(
        WEBHOOKS_ALLOW_PRIVATE_ADDRESSES="1",
        WEBHOOKS_TIMEOUT="3",  # lease: 2 × 3 + 10 s
        WORKER_HEARTBEAT_SECONDS="0.5",
        WORKER_DEAD_AFTER_SECONDS="2",
    )
    with webhook_receiver() as receiver:
        receiver.answer(STALL)
        endpoint = EndpointFactory(url=receiver.url)
        endpoint_send_test(endpoint)

        with worker(environment) as first:
            assert receiver.arrived.wait(30), first.output()
            first.kill()  # SIGKILL while the endpoint has not answered
            wait_until(lambda: not first.alive(), timeout=10, message="the worker dying")
        assert Delivery.objects.get().status == Delivery.Status.SENDING
        receiver.release()

        with worker(environment) as second:
            delivery = second.wait_until(
                lambda: Delivery.objects.filter(status=Delivery.Status.DELIVERED).first(),
                timeout=60,
                message="the delivery made again after its lease",
            )

        assert delivery.attempts == 2
        first_try, second_try = receiver.received
        assert first_try.headers["webhook-id"] == second_try.headers["webhook-id"]
