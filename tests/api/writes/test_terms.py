"""Writing terms through the API with a content:write key: the record is glossary/1,
validated and stored by the import's own code (terms.writes)."""

import copy

import pytest
from django.db import transaction
from reversion.models import Version

from terms.imports.records import GlossaryImportError
from terms.models import AuditEntry, Term, TermRevision
from terms.services import glossary_export, glossary_import

from ...factories import CategoryFactory, TermFactory

pytestmark = pytest.mark.django_db

TERMS = "/api/v1/terms/"
JSON = "application/json"


def record(slug="model-card", **fields):
    return {
        "slug": slug,
        "title": slug.replace("-", " ").title(),
        "aliases": [f"{slug} documentation"],
        "category": "evaluation",
        "status": "published",
        "summary": "A short document about a trained model.",
        "definition": "Written alongside a model; see [evals](term:evals).",
        "why_it_matters": "Buyers compare models with it.",
        "key_considerations": ["Keep it current.", "Say what it was not tested on."],
        "faqs": [{"question": "Who writes it?", "answer": "The team that trained the model."}],
        "references": [{"title": "Model Cards for Model Reporting", "year": 2019}],
        "related": ["evals"],
        "cta": {"heading": "Need one?", "body": "Ask us about {term}."},
        **fields,
    }


@pytest.fixture
def evals(category):
    return TermFactory(slug="evals", title="Evals", category=category)


def exported(slug: str) -> dict:
    [found] = [term for term in glossary_export()["terms"] if term["slug"] == slug]
    return found


def content(term_record: dict) -> dict:
    """What a reader or editor sees of an exported term (not its identity or stamps)."""
    kept = copy.deepcopy(term_record)
    for name in ("published_at", "updated_at", "reviewed_at"):
        kept.pop(name)
    return kept


def test_a_term_written_through_the_api_is_stored_as_importing_the_record_stores_it(writer, evals):
    with transaction.atomic():
        glossary_import(data={"terms": [record()]})
        imported = exported("model-card")
        transaction.set_rollback(True)
    assert not Term.objects.filter(slug="model-card").exists()

    response = writer.post(TERMS, record(), content_type=JSON)

    assert response.status_code == 201, response.json()
    assert response["Location"] == "/api/v1/terms/model-card/"
    assert content(exported("model-card")) == content(imported)
    assert response.json() == {"record": exported("model-card"), "live": True}
    assert response["ETag"].startswith('"')


def test_a_published_write_is_public_at_once_and_a_draft_is_not(writer, evals, reader):
    writer.post(TERMS, record(), content_type=JSON)
    draft = writer.post(TERMS, record(slug="data-card", status="draft"), content_type=JSON)

    assert reader.get("/api/v1/terms/model-card/").json()["title"] == "Model Card"
    assert draft.json()["live"] is False
    assert reader.get("/api/v1/terms/data-card/").status_code == 404


def test_a_write_is_a_revision_and_an_audit_entry_from_the_api_naming_the_key(writer, evals):
    writer.post(TERMS, record(), content_type=JSON)
    writer.patch(TERMS + "model-card/", {"summary": "Changed."}, content_type=JSON)

    term = Term.objects.get(slug="model-card")
    revisions = TermRevision.objects.filter(entry=term)
    assert [revision.source for revision in revisions] == ["api", "api"]
    assert all(
        "API key: Drafting script (gk_" in revision.revision.comment for revision in revisions
    )
    assert Version.objects.get_for_object(term).count() == 2
    entries = AuditEntry.objects.filter(target_id=str(term.pk)).order_by("pk")
    assert [(entry.action, entry.source) for entry in entries] == [
        ("create", "api"),
        ("edit", "api"),
    ]
    assert entries[0].actor_name == f"API key: Drafting script ({writer.api_key.display_key})"


def test_a_bad_record_is_refused_per_field_in_the_imports_words_and_nothing_is_stored(
    writer, evals
):
    bad = record(summary="x" * 304, faqs=[{"question": "Who?", "answer": " "}])

    response = writer.post(TERMS, bad, content_type=JSON)

    assert response.status_code == 400
    with pytest.raises(GlossaryImportError) as refused:
        glossary_import(data={"terms": [bad]})
    imported = {}
    for problem in refused.value.report.errors:
        imported.setdefault(problem.field, []).append(problem.message)
    assert response.json() == imported
    assert "at most 300 characters (it has 304)" in imported["summary"][0]
    assert not Term.objects.filter(slug="model-card").exists()


def test_a_bad_inline_is_named_by_its_position(writer, evals):
    response = writer.post(
        TERMS, record(faqs=[{"question": "Who?", "answer": " "}]), content_type=JSON
    )

    assert response.status_code == 400
    assert response.json() == {"faqs[1]": ["has no answer"]}


def test_a_misspelt_field_is_refused_not_dropped(writer, evals):
    response = writer.post(TERMS, record(definiton="A typo."), content_type=JSON)

    assert response.status_code == 400
    assert response.json() == {"definiton": ["unknown field (check the spelling)"]}


def test_a_record_naming_what_does_not_exist_names_the_field(writer, category):
    response = writer.post(TERMS, record(category="nowhere", related=["ghost"]), content_type=JSON)

    assert response.status_code == 400
    assert response.json()["category"] == ["no category with slug 'nowhere'"]


def test_writing_needs_a_key_with_the_content_write_scope(key_client, client, superuser, evals):
    reading_key = key_client("content:read-unpublished")
    client.force_login(superuser)  # an admin session is no key

    for anybody in (reading_key, client):
        for method, path in (
            ("post", TERMS),
            ("put", TERMS + "evals/"),
            ("patch", TERMS + "evals/"),
            ("delete", TERMS + "evals/"),
            ("get", TERMS + "evals/record/"),
        ):
            response = getattr(anybody, method)(path, record(), content_type=JSON)
            expected = 403 if anybody is reading_key else 401
            assert response.status_code == expected, (method, path, response.json())
            assert "detail" in response.json()
    assert Term.objects.get(slug="evals").title == "Evals"
    assert not Term.objects.filter(slug="model-card").exists()


def test_no_key_is_a_401_asking_for_one(reader, evals):
    response = reader.patch(TERMS + "evals/", {"title": "X"}, content_type=JSON)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_creating_a_slug_that_exists_is_a_409(writer, evals):
    response = writer.post(TERMS, record(slug="evals"), content_type=JSON)

    assert response.status_code == 409
    assert "PUT or PATCH /api/v1/terms/evals/" in response.json()["detail"]


def test_patch_replaces_the_fields_given_and_keeps_the_rest_with_its_inlines(writer, evals):
    writer.post(TERMS, record(), content_type=JSON)
    before = exported("model-card")

    response = writer.patch(
        TERMS + "model-card/", {"summary": "Now shorter.", "aliases": []}, content_type=JSON
    )

    assert response.status_code == 200, response.json()
    after = exported("model-card")
    assert after["summary"] == "Now shorter."
    assert after["aliases"] == []
    for name in ("key_considerations", "faqs", "references", "related", "cta", "definition"):
        assert after[name] == before[name], name
    assert response.json()["record"] == after


def test_put_replaces_the_whole_entry_and_keeps_its_status(writer, evals):
    writer.post(TERMS, record(), content_type=JSON)

    response = writer.put(
        TERMS + "model-card/",
        {"title": "Model Card", "category": "evaluation", "definition": "Only this."},
        content_type=JSON,
    )

    assert response.status_code == 200, response.json()
    after = exported("model-card")
    assert after["definition"] == "Only this."
    assert after["status"] == "published"
    for name in ("aliases", "key_considerations", "faqs", "references", "related"):
        assert after[name] == [], name
    assert after["cta"] == {"heading": "", "body": ""}


def test_a_stale_if_match_is_a_412_and_changes_nothing(writer, evals):
    read = writer.get(TERMS + "evals/record/")
    assert read.status_code == 200
    assert read["Cache-Control"] == "private, no-store"
    first = read["ETag"]

    changed = writer.patch(
        TERMS + "evals/", {"summary": "One."}, content_type=JSON, headers={"If-Match": first}
    )
    assert changed.status_code == 200
    assert changed["ETag"] != first

    for method, data in (("patch", {"summary": "Two."}), ("put", record(slug="evals"))):
        lost = getattr(writer, method)(
            TERMS + "evals/", data, content_type=JSON, headers={"If-Match": first}
        )
        assert lost.status_code == 412
        assert lost["ETag"] == changed["ETag"]
        assert "has changed" in lost.json()["detail"]
    assert writer.delete(TERMS + "evals/", headers={"If-Match": first}).status_code == 412
    assert exported("evals")["summary"] == "One."
    assert writer.get(TERMS + "evals/record/")["ETag"] == changed["ETag"]


def test_a_write_without_if_match_is_made_whatever_the_version(writer, evals):
    response = writer.patch(TERMS + "evals/", {"summary": "Last write wins."}, content_type=JSON)

    assert response.status_code == 200
    assert exported("evals")["summary"] == "Last write wins."


def test_deleting_a_live_term_takes_it_off_the_public_api(writer, evals, reader):
    assert reader.get(TERMS + "evals/").status_code == 200

    response = writer.delete(TERMS + "evals/")

    assert response.status_code == 204
    assert reader.get(TERMS + "evals/").status_code == 404
    assert not Term.objects.filter(slug="evals").exists()
    entry = AuditEntry.objects.get(action="delete")
    assert (entry.source, entry.target_repr) == ("api", "Evals")


def test_an_unknown_slug_is_a_404_for_every_write(writer, category):
    for method in ("put", "patch", "delete"):
        response = getattr(writer, method)(TERMS + "ghost/", {"title": "X"}, content_type=JSON)
        assert response.status_code == 404, method
        assert response.json() == {"detail": "No term with slug 'ghost'."}


def test_a_record_cannot_rename_the_entry_of_its_address(writer, evals):
    response = writer.patch(TERMS + "evals/", {"slug": "evaluations"}, content_type=JSON)

    assert response.status_code == 400
    assert "the slug in the address" in response.json()["slug"][0]


def test_a_record_that_is_not_an_object_is_refused_as_the_import_refuses_it(writer, category):
    response = writer.post(TERMS, ["not", "a", "record"], content_type=JSON)

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["must be an object"]}


def test_writing_a_live_entry_with_a_working_copy_keeps_the_copy(writer, evals):
    from terms.services import working_copy_start

    copy_ = working_copy_start(entry=evals)
    copy_.summary = "An editor's unpublished change."
    copy_.save()

    writer.patch(TERMS + "evals/", {"summary": "Through the API."}, content_type=JSON)

    assert Term.objects.get(pk=evals.pk).summary == "Through the API."
    assert Term.objects.get(pk=copy_.pk).summary == "An editor's unpublished change."


def test_a_category_of_another_term_can_be_named(writer, evals):
    CategoryFactory(slug="governance")

    response = writer.patch(TERMS + "evals/", {"category": "governance"}, content_type=JSON)

    assert response.json()["record"]["category"] == "governance"


def test_asking_which_methods_an_entry_has_is_answered(reader, evals):
    for path in (TERMS, TERMS + "evals/", TERMS + "evals/record/"):
        response = reader.options(path)
        assert response.status_code == 200, path


def test_write_answers_are_never_kept_by_a_shared_cache_or_cdn(writer, evals):
    for response in (
        writer.get(TERMS + "evals/record/"),
        writer.patch(TERMS + "evals/", {"summary": "Changed."}, content_type=JSON),
        writer.post(TERMS, record(slug="evals"), content_type=JSON),  # a 409
    ):
        assert response["Cache-Control"] == "private, no-store", response.status_code
        assert "Cache-Tag" not in response
        assert "Surrogate-Key" not in response
