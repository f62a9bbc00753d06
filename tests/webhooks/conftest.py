from datetime import timedelta

import pytest
from django.db.models import F
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from webhooks.models import Delivery, DeliveryAttempt, Endpoint

from ..helpers.webhook_receiver import webhook_receiver


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    # The receiver listens on 127.0.0.1; a second is plenty for it to answer.
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOKS_TIMEOUT = 1
    settings.WEBHOOKS_RETRY_SCHEDULE = [10, 60, 300]
    settings.WEBHOOKS_RETRY_FOR = 24 * 3600
    settings.WEBHOOKS_DISABLE_AFTER = 24 * 3600
    # The address the test client's API answers on, so payloads and GETs agree.
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def receiver():
    with webhook_receiver() as running:
        yield running


def queued_tasks():
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY)


def time_passes(seconds: float) -> None:
    """As if ``seconds`` went by: every stored moment of webhooks moves into the past."""
    back = timedelta(seconds=seconds)
    queued_tasks().filter(run_after__isnull=False).update(run_after=F("run_after") - back)
    Delivery.objects.update(
        queued_at=F("queued_at") - back,
        next_attempt_at=F("next_attempt_at") - back,
        last_attempt_at=F("last_attempt_at") - back,
    )
    DeliveryAttempt.objects.update(started_at=F("started_at") - back)
    Endpoint.objects.update(failing_since=F("failing_since") - back)
