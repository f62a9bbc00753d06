"""Writes through the API reach the change feed (terms/changes.py), so webhooks and CDN
purges follow them: what changed for the public, from source "api"."""

import pytest

from ...factories import CategoryFactory, TermFactory

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_a_published_term_written_through_the_api_is_announced_from_the_api(
    writer, committed, announced, category
):
    response = committed(
        lambda: writer.post(
            "/api/v1/terms/",
            {
                "slug": "model-card",
                "title": "Model Card",
                "category": "evaluation",
                "status": "published",
                "definition": "A short document about a trained model.",
            },
            content_type=JSON,
        )
    )

    assert response.status_code == 201, response.json()
    [change] = announced
    assert [term.slug for term in change.published] == ["model-card"]
    assert change.source == "api"
    assert change.imported is None  # one entry written, not a glossary imported


def test_a_term_deleted_through_the_api_is_announced_unpublished(
    writer, committed, announced, category
):
    TermFactory(slug="evals", category=category)

    assert committed(lambda: writer.delete("/api/v1/terms/evals/")).status_code == 204

    [change] = announced
    assert [term.slug for term in change.unpublished] == ["evals"]
    assert change.source == "api"


def test_a_category_changed_through_the_api_is_announced(writer, committed, announced):
    category = CategoryFactory(slug="governance")

    committed(
        lambda: writer.patch(
            "/api/v1/categories/governance/", {"name": "Governance"}, content_type=JSON
        )
    )

    [change] = announced
    assert [changed.id for changed in change.categories] == [category.pk]
    assert change.source == "api"
