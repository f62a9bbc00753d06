"""Searches are counted by a real site (gunicorn) with Redis refused: the counts never
needed Redis. The worker writes its buffer in the background once it fills, and what is
left when it stops."""

import pytest
from django.utils import timezone

from terms.models import SearchCount

from ..factories import TermFactory
from ..helpers.processes import wait_until
from .conftest import FAULT_TEST, request_log, site

pytestmark = FAULT_TEST

NOWHERE = "qqxzv blorptastic"


def counts() -> set[tuple[str, int, int]]:
    today = timezone.localdate()
    return set(SearchCount.objects.filter(day=today).values_list("query", "searches", "results"))


@pytest.fixture
def term(settings_stored):
    return TermFactory(title="Mechanistic Interpretability", slug="mechanistic-interpretability")


def test_with_redis_refused_searches_are_counted_in_the_background_and_at_shutdown(
    redis_proxy, term, site_env
):
    redis_proxy.refuse()
    # One worker, so one buffer; half full (2 queries) wakes its writer, and the hour
    # between scheduled writes leaves the last search to the writing at shutdown.
    environment = site_env(
        cache_url=redis_proxy.url,
        SEARCH_COUNT_FLUSH_SECONDS="3600",
        SEARCH_COUNT_BUFFER_SIZE="4",
    )
    with site(environment, workers=1) as server:
        for _ in range(2):
            assert server.get("/api/v1/terms/?search=Mechanistic").status == 200
        assert request_log(server)[-1]["cache"] == "hit"  # from the worker's memory
        assert server.get(f"/glossary/?q={NOWHERE.replace(' ', '+')}").status == 200

        wait_until(
            lambda: counts() == {("mechanistic", 2, 1), (NOWHERE, 1, 0)},
            timeout=10,
            message="the counts written by the worker's writer",
        )
        assert server.get("/api/v1/terms/?search=last+words").status == 200
        assert ("last words", 1, 0) not in counts()

    assert ("last words", 1, 0) in counts()
