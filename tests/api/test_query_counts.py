"""A list page and a term page each run a fixed, small number of SQL queries, however
much content there is. The cache is cleared before each measured request, so nothing is
served from the per-generation memo (counts, letters, site settings)."""

import pytest
from django.core.cache import cache

from terms.models import SiteSettings

from ..factories import (
    CategoryFactory,
    FAQFactory,
    KeyConsiderationFactory,
    TermFactory,
    TermReferenceFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("next_scheduled_change_known")]

MOST_QUERIES = 10


@pytest.fixture(autouse=True)
def site_settings():
    # Stored once, as in production; otherwise the first read would also insert it.
    SiteSettings.load()


def rich_term(category, size: int, **fields):
    """A term with `size` key considerations, FAQs, references and related terms."""
    term = TermFactory(category=category, **fields)
    for _ in range(size):
        KeyConsiderationFactory(term=term)
        FAQFactory(term=term)
        TermReferenceFactory(term=term)
        term.related.add(TermFactory(category=category))
    return term


def queries_for(client, path: str, django_assert_max_num_queries) -> int:
    cache.clear()
    with django_assert_max_num_queries(MOST_QUERIES) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_the_list_runs_as_many_queries_for_30_terms_as_for_3(client, django_assert_max_num_queries):
    category = CategoryFactory()
    FAQFactory(term=None, category=category)
    for _ in range(3):
        rich_term(category, size=1)
    with_a_few = queries_for(client, "/api/v1/terms/?page_size=100", django_assert_max_num_queries)

    for _ in range(27):
        rich_term(category, size=3)
    with_many = queries_for(client, "/api/v1/terms/?page_size=100", django_assert_max_num_queries)

    assert with_a_few == with_many


@pytest.mark.parametrize(
    "query",
    ["", "?category=big", "?letter=T", "?search=term", "?updated_since=2000-01-01", "?page=2"],
)
def test_a_filtered_list_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, query
):
    category = CategoryFactory(slug="big")
    for _ in range(25):
        rich_term(category, size=2)

    # A search also reads which of its words the published glossary uses (SQLite: its
    # lexicon, into memory once per content change; PostgreSQL: a lookup by index) and
    # loads the ranked page's terms after ranking their ids.
    most = 4 if query.startswith("?search") else 3
    assert queries_for(client, f"/api/v1/terms/{query}", django_assert_max_num_queries) <= most


def test_a_term_page_runs_as_many_queries_whatever_its_size(client, django_assert_max_num_queries):
    category = CategoryFactory()
    for _ in range(5):
        FAQFactory(term=None, category=category)
    bare = TermFactory(slug="bare", category=CategoryFactory())
    big = rich_term(category, size=12, slug="big")
    big.related.add(bare)

    bare_queries = queries_for(client, "/api/v1/terms/bare/", django_assert_max_num_queries)
    big_queries = queries_for(client, "/api/v1/terms/big/", django_assert_max_num_queries)

    assert bare_queries == big_queries


def test_the_category_list_runs_as_many_queries_for_ten_categories_as_for_one(
    client, django_assert_max_num_queries
):
    def add_category():
        category = CategoryFactory()
        FAQFactory(term=None, category=category)
        FAQFactory(term=None, category=category)
        TermFactory(category=category)

    add_category()
    with_one = queries_for(client, "/api/v1/categories/", django_assert_max_num_queries)
    for _ in range(9):
        add_category()
    with_ten = queries_for(client, "/api/v1/categories/", django_assert_max_num_queries)

    assert with_one == with_ten


def test_the_letter_index_is_one_query(client, django_assert_num_queries):
    for number in range(30):
        TermFactory(title=f"{'ABC'[number % 3]} term {number}")
    cache.clear()
    with django_assert_num_queries(1):
        assert client.get("/api/v1/letters/").status_code == 200
