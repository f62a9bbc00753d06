"""With Redis refused or hung, readers and editors notice nothing but speed: every page and
the API answer from the database, inquiries are stored, the rate limit holds, and once
Redis is back the shared cache is used again, without a restart.

Redis here is the machine's own, reached through a proxy the test refuses or stalls. These
tests commit for real: a response is cached only outside a transaction that changed content.
"""

import logging

import pytest
import redis
from django.db.models import F
from django.urls import reverse

from advisory.models import Inquiry
from glossary_project.httpcache.models import ContentGeneration
from terms.models import SiteSettings, Term

from ..factories import CategoryFactory, TermFactory
from ..helpers.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SLUG = "mechanistic-interpretability"
DETAIL = f"/api/v1/terms/{SLUG}/"
READS = [
    "/api/v1/terms/",
    DETAIL,
    "/api/v1/terms/?search=mechanistic",
    "/api/v1/letters/",
    "/api/v1/categories/",
    "/api/schema/",
    "/glossary/",
    f"/glossary/{SLUG}/",
    f"/advisory/?term={SLUG}",
]
FAILURES = ["refuse", "stall"]


@pytest.fixture
def term():
    SiteSettings.load()  # stored, as after the first page view: reading it inserts nothing
    return TermFactory(
        title="Mechanistic Interpretability", slug=SLUG, category=CategoryFactory(slug="safety")
    )


@pytest.mark.parametrize("failure", FAILURES)
def test_with_redis_down_or_hung_every_page_and_the_api_answer_from_the_database(
    client, redis_proxy, term, failure
):
    getattr(redis_proxy, failure)()

    for path in READS:
        assert client.get(path).status_code == 200, path
    assert client.get(DETAIL).json()["title"] == "Mechanistic Interpretability"
    assert client.get(f"/glossary/{SLUG}/").context["term"].title == term.title


@pytest.mark.parametrize("failure", FAILURES)
def test_with_redis_down_or_hung_an_inquiry_is_accepted_and_stored(
    client, redis_proxy, settings, failure, valid_inquiry_body
):
    getattr(redis_proxy, failure)()

    response = client.post(
        "/api/v1/inquiries/", valid_inquiry_body, content_type="application/json"
    )

    assert response.status_code == 201, response.content
    assert Inquiry.objects.filter(reference=response.json()["reference"]).exists()


def test_while_redis_hangs_requests_do_not_each_wait_for_it(client, redis_proxy, settings, term):
    settings.CACHE_RETRY_SECONDS = 600
    redis_proxy.stall()
    assert client.get(DETAIL).status_code == 200  # this one waits, and gives up on Redis
    asked = redis_proxy.accepted

    for _ in range(20):
        assert client.get(DETAIL).status_code == 200

    assert redis_proxy.accepted == asked, "a request tried Redis again while it was down"


def test_once_redis_is_back_responses_are_cached_in_it_again(client, redis_proxy, redis_url, term):
    redis_proxy.refuse()
    assert client.get(DETAIL).status_code == 200
    stored = redis.Redis.from_url(redis_url)
    assert stored.keys("glossary:1:api:*") == []

    redis_proxy.forward()

    def cached_in_redis():
        assert client.get(DETAIL).status_code == 200
        return stored.keys("glossary:1:api:*")

    wait_until(cached_in_redis, timeout=10, message="the API caching in Redis again")


def test_an_outage_is_logged_once_and_so_is_the_recovery(
    client, redis_proxy, settings, term, caplog
):
    settings.CACHE_RETRY_SECONDS = 0  # every request tries Redis again, and fails again
    caplog.set_level(logging.WARNING, logger="glossary.httpcache")
    redis_proxy.refuse()
    for _ in range(10):
        assert client.get(DETAIL).status_code == 200
    redis_proxy.forward()
    for _ in range(3):
        assert client.get(DETAIL).status_code == 200

    messages = [record.getMessage() for record in caplog.records]
    assert len([message for message in messages if "is unreachable" in message]) == 1, messages
    assert len([message for message in messages if "reachable again" in message]) == 1, messages


def test_while_redis_is_down_the_anonymous_rate_limit_still_holds(
    client, redis_proxy, settings, term
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "5/hour"},
    }
    redis_proxy.refuse()

    statuses = [client.get("/api/v1/terms/").status_code for _ in range(6)]

    assert statuses == [200] * 5 + [429]


@pytest.mark.parametrize("failure", FAILURES)
def test_a_publisher_archiving_while_redis_is_unreachable_gets_no_error_and_readers_a_404(
    client, publisher_client, redis_proxy, term, failure
):
    assert client.get(DETAIL).status_code == 200  # cached
    getattr(redis_proxy, failure)()

    response = publisher_client.post(
        reverse("admin:terms_term_changelist"),
        {"action": "archive_selected", "_selected_action": [term.pk]},
    )

    assert response.status_code == 302
    assert Term.objects.get(pk=term.pk).status == Term.Status.ARCHIVED
    redis_proxy.forward()
    assert client.get(DETAIL).status_code == 404


def test_a_change_another_process_could_not_announce_in_redis_is_found_in_the_database(
    client, redis_proxy, settings, term, django_assert_num_queries
):
    settings.CONTENT_GENERATION_CHECK_SECONDS = 0  # check the database on every request
    assert client.get(DETAIL).status_code == 200
    assert client.get(DETAIL).status_code == 200  # from the cache

    # What another process's archive looks like when its message to Redis was lost: the
    # term and the generation moved together in the database, and nothing else.
    Term.objects.filter(pk=term.pk).update(status=Term.Status.ARCHIVED)
    ContentGeneration.objects.update(value=F("value") + 1)

    assert client.get(DETAIL).status_code == 404
