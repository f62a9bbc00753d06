"""Writing categories (with their shared FAQs) through the API with a content:write key."""

import pytest

from terms.models import AuditEntry, Category

from ...factories import CategoryFactory, FAQFactory, TermFactory

pytestmark = pytest.mark.django_db

CATEGORIES = "/api/v1/categories/"
JSON = "application/json"


def test_a_category_is_created_with_its_shared_faqs_and_shown_to_the_public(writer, reader):
    response = writer.post(
        CATEGORIES,
        {
            "slug": "governance",
            "name": "Governance",
            "description": "Who decides.",
            "faqs": [{"question": "Who signs off?", "answer": "The board."}],
        },
        content_type=JSON,
    )

    assert response.status_code == 201, response.json()
    assert response.json()["record"] == {
        "slug": "governance",
        "name": "Governance",
        "description": "Who decides.",
        "faqs": [{"question": "Who signs off?", "answer": "The board."}],
    }
    public = reader.get(CATEGORIES + "governance/").json()
    assert public["name"] == "Governance"
    entry = AuditEntry.objects.get(target_type="category")
    assert (entry.action, entry.source) == ("create", "api")


def test_patch_keeps_the_shared_faqs_and_put_empties_them(writer, category):
    FAQFactory(term=None, category=category, question="Why?", answer="Because.")
    path = CATEGORIES + "evaluation/"

    patched = writer.patch(path, {"name": "Evaluation & testing"}, content_type=JSON)
    assert patched.status_code == 200, patched.json()
    assert patched.json()["record"]["faqs"] == [{"question": "Why?", "answer": "Because."}]

    replaced = writer.put(path, {"name": "Evaluation"}, content_type=JSON)
    assert replaced.json()["record"] == {
        "slug": "evaluation",
        "name": "Evaluation",
        "description": "",
        "faqs": [],
    }


def test_a_bad_category_record_is_refused_per_field(writer, category):
    response = writer.patch(
        CATEGORIES + "evaluation/", {"faqs": [{"answer": "No question."}]}, content_type=JSON
    )

    assert response.status_code == 400
    assert response.json() == {"faqs[1]": ["has no question"]}


def test_a_stale_if_match_on_a_category_is_a_412(writer, category):
    old = writer.get(CATEGORIES + "evaluation/record/")["ETag"]
    writer.patch(CATEGORIES + "evaluation/", {"name": "Evals"}, content_type=JSON)

    response = writer.patch(
        CATEGORIES + "evaluation/", {"name": "Lost"}, content_type=JSON, headers={"If-Match": old}
    )

    assert response.status_code == 412
    assert Category.objects.get(slug="evaluation").name == "Evals"


def test_deleting_a_category_with_terms_is_a_409_that_says_what_to_do(writer, category):
    TermFactory(category=category)
    TermFactory(category=category, status="draft")

    response = writer.delete(CATEGORIES + "evaluation/")

    assert response.status_code == 409
    assert response.json()["detail"].startswith("Category 'evaluation' has 2 term(s)")
    assert Category.objects.filter(slug="evaluation").exists()


def test_deleting_an_empty_category_removes_it_and_its_faqs(writer, reader):
    category = CategoryFactory(slug="empty")
    FAQFactory(term=None, category=category)

    response = writer.delete(CATEGORIES + "empty/")

    assert response.status_code == 204
    assert reader.get(CATEGORIES + "empty/").status_code == 404
    assert AuditEntry.objects.get(action="delete").target_type == "category"


def test_category_writes_need_the_content_write_key(key_client, reader, category):
    reading = key_client("content:read-unpublished")
    for client, expected in ((reader, 401), (reading, 403)):
        response = client.patch(CATEGORIES + "evaluation/", {"name": "X"}, content_type=JSON)
        assert response.status_code == expected
    assert Category.objects.get(slug="evaluation").name == "Evaluation"
