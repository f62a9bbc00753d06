"""Keyed requests have their own rate; their audit is kept for the retention only."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apikeys import services
from apikeys.models import ApiKeyUse

pytestmark = pytest.mark.django_db

LETTERS = "/api/v1/letters/"


def test_keyed_requests_are_not_held_to_the_anonymous_rate(client, low_rate, new_key, keyed_client):
    reader = keyed_client(new_key("content:write").text)

    assert [reader.get(LETTERS).status_code for _ in range(4)] == [200] * 4
    # ...and did not use up the anonymous allowance of the same address.
    assert [client.get(LETTERS).status_code for _ in range(3)] == [200, 200, 429]


def test_each_key_has_its_own_rate(settings, new_key, keyed_client):
    settings.API_KEY_RATE = "3/minute"
    first = keyed_client(new_key("content:write").text)
    second = keyed_client(new_key("content:write").text)

    statuses = [first.get(LETTERS).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert first.get(LETTERS)["Retry-After"]
    assert second.get(LETTERS).status_code == 200


def use_at(key, days_ago: float):
    use = ApiKeyUse.objects.create(key=key, method="GET", path="/", status_code=200)
    ApiKeyUse.objects.filter(pk=use.pk).update(at=timezone.now() - timedelta(days=days_ago))
    return use


def test_the_command_deletes_uses_past_the_retention(settings, new_key):
    settings.API_KEY_USE_RETENTION_DAYS = 30
    key = new_key("content:write").key
    kept, old = use_at(key, 29), use_at(key, 31)
    out = StringIO()

    call_command("purge_api_key_uses", "--dry-run", stdout=out)
    assert "Would delete 1 API key uses older than 30 days." in out.getvalue()
    assert ApiKeyUse.objects.count() == 2

    call_command("purge_api_key_uses", stdout=out)
    assert list(ApiKeyUse.objects.all()) == [kept]
    assert not ApiKeyUse.objects.filter(pk=old.pk).exists()


def test_the_command_refuses_a_retention_under_a_day():
    with pytest.raises(CommandError, match="1 day or more"):
        call_command("purge_api_key_uses", "--older-than", "0")


def test_the_workers_sweep_purges_once_an_hour(settings, new_key, monkeypatch):
    settings.API_KEY_USE_RETENTION_DAYS = 30
    key = new_key("content:write").key
    monkeypatch.setattr(services, "_last_sweep", 0.0)
    use_at(key, 40)

    services.api_key_uses_sweep()
    assert not ApiKeyUse.objects.exists()
    use_at(key, 40)
    services.api_key_uses_sweep()  # within the hour: left for the next purge
    assert ApiKeyUse.objects.count() == 1
    assert "apikeys.services.api_key_uses_sweep" in settings.WORKER_SWEEPS
