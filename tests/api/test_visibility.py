"""Anonymous readers see published content only: an unpublished term leaves no trace."""

import pytest

from terms.models import Term

from ..factories import CategoryFactory, TermFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.parametrize(
        "status", [Term.Status.DRAFT, Term.Status.REVIEW, Term.Status.ARCHIVED]
    ),
]


@pytest.fixture
def glossary(status):
    """One published term and one unpublished, in the same category and under the same
    letter, sharing a search word, and related to each other."""
    category = CategoryFactory(slug="governance")
    visible = TermFactory(
        title="Guardrails", slug="guardrails", category=category, summary="Safety filters."
    )
    hidden = TermFactory(
        title="Governance Board",
        slug="governance-board",
        category=category,
        summary="Safety oversight by a board.",
        status=status,
    )
    visible.related.add(hidden)
    hidden.related.add(visible)
    return visible, hidden


def test_an_unpublished_term_page_is_not_found(client, glossary):
    response = client.get("/api/v1/terms/governance-board/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Term matches the given query."}


def test_an_unpublished_term_is_not_in_the_list_or_its_count(client, glossary):
    body = client.get("/api/v1/terms/").json()
    assert body["count"] == 1
    assert [item["slug"] for item in body["results"]] == ["guardrails"]


def test_an_unpublished_term_is_not_in_a_filtered_list(client, glossary):
    for params in ({"category": "governance"}, {"letter": "G"}, {"updated_since": "2000-01-01"}):
        body = client.get("/api/v1/terms/", params).json()
        assert (body["count"], [item["slug"] for item in body["results"]]) == (1, ["guardrails"])


def test_an_unpublished_term_is_not_counted_under_its_letter(client, glossary):
    letters = {row["letter"]: row["count"] for row in client.get("/api/v1/letters/").json()}
    assert letters["G"] == 1
    assert sum(letters.values()) == 1


def test_an_unpublished_term_is_not_counted_in_its_category(client, glossary):
    [category] = client.get("/api/v1/categories/").json()
    detail = client.get("/api/v1/categories/governance/").json()
    assert category["term_count"] == detail["term_count"] == 1


def test_an_unpublished_term_is_not_in_another_terms_related_list(client, glossary):
    page = client.get("/api/v1/terms/guardrails/").json()
    assert page["related"] == []


def test_an_unpublished_term_is_not_a_search_result(client, glossary):
    shared_word = client.get("/api/v1/terms/", {"search": "safety"}).json()
    own_title = client.get("/api/v1/terms/", {"search": "governance board"}).json()

    assert (shared_word["count"], [t["slug"] for t in shared_word["results"]]) == (
        1,
        ["guardrails"],
    )
    assert (own_title["count"], own_title["results"]) == (0, [])
