"""What a load balancer or an orchestrator reads from /health/live and /health/ready: JSON,
never cached, ready while the database answers and the migrations are applied, and
"degraded" (still ready) while Redis, the worker or the notifications lag behind."""

from datetime import timedelta

import pytest
from django.utils import timezone

from advisory.models import Inquiry
from glossary_project.worker.models import WorkerHeartbeat

from ..factories import InquiryFactory
from ..helpers.processes import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production_like(settings):
    # Probes come by plain HTTP to the container's address: neither may stop them.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["glossary.example.com"]


def probe(client, path):
    response = client.get(path, HTTP_HOST="10.0.0.7:8000")
    assert response["Cache-Control"] == "no-store"
    return response


def test_live_answers_ok_over_plain_http_whatever_the_host(client):
    response = probe(client, "/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_every_check_and_is_ok_when_all_are(client):
    WorkerHeartbeat.objects.create(
        worker_id="w1", hostname="h", pid=1, started_at=timezone.now(), seen_at=timezone.now()
    )

    response = probe(client, "/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok", body
    assert set(body["checks"]) == {
        "database",
        "migrations",
        "cache",
        "worker",
        "notifications",
    }
    assert body["checks"]["worker"]["alive"] == 1


def test_without_a_live_worker_the_site_is_ready_but_degraded(client):
    WorkerHeartbeat.objects.create(
        worker_id="w1",
        hostname="h",
        pid=1,
        started_at=timezone.now() - timedelta(hours=1),
        seen_at=timezone.now() - timedelta(minutes=10),
    )

    response = probe(client, "/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["worker"]["status"] == "degraded"
    assert body["checks"]["worker"]["last_seen_seconds"] >= 600


def test_an_inquiry_waiting_too_long_for_its_emails_shows_as_degraded(client):
    InquiryFactory()
    Inquiry.objects.update(created_at=timezone.now() - timedelta(minutes=20))  # auto_now_add

    notifications = probe(client, "/health/ready").json()["checks"]["notifications"]

    assert notifications["status"] == "degraded"
    assert notifications["waiting"] == 1
    assert notifications["overdue"] == 1
    assert notifications["oldest_waiting_seconds"] >= 1200


def test_with_redis_unreachable_the_site_is_ready_but_degraded(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "glossary_project.httpcache.backends.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25},
        }
    }

    response = probe(client, "/health/ready")

    assert response.status_code == 200
    cache = response.json()["checks"]["cache"]
    assert cache["status"] == "degraded"
    assert "redis://" not in response.content.decode()


def test_the_probes_answer_only_get(client):
    response = client.post("/health/ready", HTTP_HOST="10.0.0.7:8000")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
