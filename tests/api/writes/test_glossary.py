"""POST /api/v1/glossary/: the import of a glossary/1 document over HTTP, all or nothing."""

import json

import pytest

from terms.models import AuditEntry, Category, Term

pytestmark = pytest.mark.django_db

GLOSSARY = "/api/v1/glossary/"
JSON = "application/json"


def document(*, bad: bool = False) -> dict:
    terms = [
        {"slug": f"term-{n}", "title": f"Term {n}", "category": "evaluation", "summary": "Short."}
        for n in range(1, 4)
    ]
    if bad:
        terms[1]["summary"] = "x" * 304
    return {
        "format": "glossary/1",
        "categories": [{"slug": "evaluation", "name": "Evaluation"}],
        "terms": terms,
    }


def test_a_document_is_imported_and_reported(writer):
    response = writer.post(GLOSSARY, document(), content_type=JSON)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] == {"categories": 1, "references": 0, "terms": 3}
    assert body["dry_run"] is False
    assert Term.objects.count() == 3
    entry = AuditEntry.objects.get(action="import")
    assert entry.source == "api"
    assert entry.actor_name.startswith("API key: Drafting script")


def test_importing_the_same_document_again_changes_nothing(writer):
    writer.post(GLOSSARY, document(), content_type=JSON)

    body = writer.post(GLOSSARY, document(), content_type=JSON).json()

    assert body["unchanged"] == {"categories": 1, "references": 0, "terms": 3}
    assert body["created"] == body["updated"] == {"categories": 0, "references": 0, "terms": 0}


def test_one_bad_record_refuses_the_whole_document_naming_it(writer):
    response = writer.post(GLOSSARY, document(bad=True), content_type=JSON)

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "1 problem(s) in the glossary file; nothing stored."
    [problem] = body["errors"]
    assert (problem["kind"], problem["identity"], problem["field"]) == ("term", "term-2", "summary")
    assert "at most 300 characters" in problem["message"]
    assert not Term.objects.exists()
    assert not Category.objects.exists()


def test_a_dry_run_reports_and_stores_nothing(writer):
    response = writer.post(GLOSSARY + "?dry_run=true", document(), content_type=JSON)

    assert response.status_code == 200
    assert response.json()["created"]["terms"] == 3
    assert response.json()["dry_run"] is True
    assert not Term.objects.exists()


def test_a_bad_dry_run_or_unknown_parameter_is_a_400_naming_it(writer):
    assert writer.post(GLOSSARY + "?dry_run=maybe", document(), content_type=JSON).json() == {
        "dry_run": ["Must be true or false."]
    }
    assert "force" in writer.post(GLOSSARY + "?force=1", document(), content_type=JSON).json()


def test_a_document_over_the_size_limit_is_a_413(writer, settings):
    settings.API_GLOSSARY_MAX_BYTES = 1000
    body = json.dumps(document())
    assert len(body) < 1000 < len(body) * 3

    small = writer.post(GLOSSARY, body, content_type=JSON)
    large = writer.post(GLOSSARY, json.dumps({**document(), "pad": " " * 1000}), content_type=JSON)

    assert small.status_code == 200
    assert large.status_code == 413
    assert large.json() == {"detail": "The request body is too large: at most 1000 bytes."}
    assert Term.objects.count() == 3


def test_the_import_needs_a_content_write_key(key_client, reader):
    reading = key_client("content:read-unpublished")

    assert reader.post(GLOSSARY, document(), content_type=JSON).status_code == 401
    assert reading.post(GLOSSARY, document(), content_type=JSON).status_code == 403
    assert not Term.objects.exists()
