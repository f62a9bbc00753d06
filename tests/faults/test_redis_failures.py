"""Redis refused, Redis hung, and a writer that cannot reach Redis: the site keeps
answering from PostgreSQL, leads keep arriving, the cache comes back by itself, and an
archived term is gone from every worker within five seconds."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.urls import reverse

from advisory.models import Inquiry
from terms.models import Term

from ..factories import CategoryFactory, TermFactory
from ..helpers.processes import GiveUp, free_port, wait_until
from ..httpcache.conftest import resilient_cache
from .conftest import (
    FAULT_TEST,
    answering_pids,
    inquiry_body,
    post_json,
    request_log,
    site,
)

pytestmark = FAULT_TEST

SLUG = "mechanistic-interpretability"
DETAIL = f"/api/v1/terms/{SLUG}/"
PAGES = [
    "/api/v1/terms/",
    DETAIL,
    "/api/v1/terms/?search=mechanstic%20interpretabilty",
    "/glossary/",
    f"/glossary/{SLUG}/",
    f"/advisory/?term={SLUG}",
]
DEADLINE = 2  # seconds each answer may take while Redis is down


@pytest.fixture
def term(settings_stored):
    return TermFactory(
        title="Mechanistic Interpretability", slug=SLUG, category=CategoryFactory(slug="safety")
    )


@pytest.mark.parametrize("failure", ["refuse", "stall"])
def test_with_redis_refused_or_hung_the_site_answers_in_time_and_recovers_by_itself(
    failure, redis_proxy, redis_url, mailbox, term, site_env
):
    environment = site_env(cache_url=redis_proxy.url)
    with site(environment) as server:
        getattr(redis_proxy, failure)()

        for _round in range(3):  # both workers, and each more than once
            for path in PAGES:
                response = server.get(path, timeout=DEADLINE)
                assert response.status == 200, (path, response.body[:300])
        status, body = post_json(
            server.port, "/api/v1/inquiries/", inquiry_body(), timeout=DEADLINE
        )
        assert status == 201, body
        assert Inquiry.objects.filter(reference=body["reference"]).exists()
        assert {"cache"} <= set(request_log(server)[-1]["degraded"])

        redis_proxy.forward()
        stored = redis.Redis.from_url(redis_url)

        def answered_from_redis():
            server.get(DETAIL, timeout=DEADLINE)
            last = request_log(server)[-1]
            return last["cache"] == "hit" and not last["degraded"] and stored.keys("glossary:*")

        wait_until(answered_from_redis, timeout=20, message="a cache hit with Redis back")


def test_a_term_archived_by_a_process_that_cannot_reach_redis_is_gone_from_both_workers(
    redis_proxy, mailbox, term, publisher_client, settings, site_env
):
    environment = site_env(cache_url=redis_proxy.url)
    with site(environment) as server, ThreadPoolExecutor(max_workers=4) as pool:

        def answers() -> list[int]:
            # Four at once, so that both workers answer.
            return [reply.status for reply in pool.map(lambda _: server.get(DETAIL), range(8))]

        def both_workers_have_it():
            if answers() != [200] * 8:
                raise GiveUp("the published term is not answered")
            return len(answering_pids(server, 200)) == 2

        wait_until(both_workers_have_it, timeout=30, message="both workers caching the term")
        # This process (the editor's) cannot reach Redis: nothing tells it the term changed.
        settings.CACHES = resilient_cache(f"redis://127.0.0.1:{free_port()}/0")

        response = publisher_client.post(
            reverse("admin:terms_term_changelist"),
            {"action": "archive_selected", "_selected_action": [term.pk]},
        )

        assert response.status_code == 302
        assert Term.objects.get(pk=term.pk).status == Term.Status.ARCHIVED
        wait_until(
            lambda: answers() == [404] * 8,
            timeout=5,
            message="every worker answering 404 for the archived term",
        )

        # From then on no worker may show it: ask until each worker has answered (which
        # one takes a request is the kernel's choice), every answer a 404.
        def both_workers_answered_404():
            if answers() != [404] * 8:
                raise GiveUp("a worker showed the archived term after the deadline")
            return len(answering_pids(server, 404)) == 2

        wait_until(both_workers_answered_404, timeout=30, message="both workers answering")
