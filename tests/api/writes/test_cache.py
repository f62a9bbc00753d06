"""A write through the API shows on the next anonymous read, response cache and all.

Committed for real (transaction=True), as tests/api/test_response_cache.py explains: the
content generation moves only when a transaction commits."""

import pytest

from terms.models import SiteSettings

from ...factories import TermFactory
from ...helpers.response_cache import cached

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PAGE = "/api/v1/terms/evals/"


def test_a_write_is_seen_at_once_by_readers_of_the_response_cache(
    writer, reader, django_assert_num_queries, settings
):
    settings.API_RESPONSE_CACHE = True
    SiteSettings.load()  # stored, as after the first page view
    TermFactory(slug="evals", summary="Before.")
    assert cached(reader, PAGE, django_assert_num_queries).json()["summary"] == "Before."

    response = writer.patch(PAGE, {"summary": "Rewritten."}, content_type="application/json")

    assert response.status_code == 200
    assert reader.get(PAGE).json()["summary"] == "Rewritten."
