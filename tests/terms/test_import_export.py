"""Importing and exporting the glossary interchange format (glossary/1)."""

import copy
import datetime
import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from terms.models import FAQ, Category, KeyConsideration, Reference, Term, TermReference
from terms.services import (
    glossary_export,
    glossary_import,
    working_copy_start,
)
from tests.factories import CategoryFactory, ReferenceFactory, TermFactory
from tests.helpers.glossary_files import glossary_file, import_problems, term_record

pytestmark = pytest.mark.django_db

DEMO_FILE = Path(settings.BASE_DIR) / "terms" / "demo" / "glossary.json"


def demo_file():
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


def stored_rows():
    """Every content row with its change time or content, to see whether anything was rewritten."""
    return {
        "categories": set(Category.objects.values_list("pk", "updated_at")),
        "references": set(Reference.objects.values_list("pk", "updated_at")),
        "terms": set(Term.objects.values_list("pk", "updated_at")),
        "key considerations": set(KeyConsideration.objects.values_list("pk", "text")),
        "faqs": set(FAQ.objects.values_list("pk", "question")),
        "citations": set(TermReference.objects.values_list("pk", "reference_id")),
        "related": set(Term.related.through.objects.values_list("pk", flat=True)),
    }


def assert_nothing_stored():
    models = (Category, Reference, Term, KeyConsideration, FAQ)
    assert {model.__name__: model.objects.count() for model in models} == dict.fromkeys(
        (model.__name__ for model in models), 0
    )


# Importing ----------------------------------------------------------------------------


def test_importing_a_file_stores_every_part_of_a_term():
    red_teaming = term_record(
        "red-teaming",
        "Red Teaming",
        aliases=["AI red teaming", "adversarial testing"],
        status="published",
        summary="Attacking your own AI system to find its failures first.",
        definition="**Red teaming** is structured adversarial testing.",
        why_it_matters="Failures found in testing cost less than failures found by customers.",
        key_considerations=["Scope the exercise first.", "Agree what counts as a finding."],
        faqs=[
            {"question": "Who should do it?", "answer": "People outside the build team."},
            {"question": "How often?", "answer": "Before each major release."},
        ],
        references=["eu-ai-act", "nist-ai-rmf"],
        related=["guardrails"],  # a term further down the same file
        cta={"heading": "Planning a red team?", "body": "Talk to our safety team."},
        published_at="2026-10-01T09:00:00Z",
    )
    data = glossary_file(red_teaming, term_record("guardrails", "Guardrails"))
    data["categories"][0].update(
        description="Keeping AI systems within bounds.",
        faqs=[
            {"question": "Is safety a legal duty?", "answer": "Often, yes."},
            {"question": "Where do we start?", "answer": "With an inventory."},
        ],
    )
    data["references"].append(
        {
            "key": "eu-ai-act",
            "title": "EU AI Act",
            "year": 2024,
            "url": "https://eur-lex.europa.eu/",
        }
    )

    report = glossary_import(data=data)

    assert report.created == {"category": 1, "reference": 2, "term": 2}
    assert report.errors == []
    category = Category.objects.get(slug="safety")
    assert category.name == "AI Safety"
    assert category.description == "Keeping AI systems within bounds."
    assert [faq.question for faq in category.shared_faqs.all()] == [
        "Is safety a legal duty?",
        "Where do we start?",
    ]
    assert Reference.objects.get(key="nist-ai-rmf").url == (
        "https://www.nist.gov/itl/ai-risk-management-framework"
    )
    term = Term.objects.get(slug="red-teaming")
    assert term.category == category
    assert term.title == "Red Teaming"
    assert term.alias_list == ["AI red teaming", "adversarial testing"]
    assert term.status == Term.Status.PUBLISHED
    assert term.summary == "Attacking your own AI system to find its failures first."
    assert term.definition == "**Red teaming** is structured adversarial testing."
    assert term.why_it_matters.startswith("Failures found in testing")
    assert [item.text for item in term.key_considerations.all()] == [
        "Scope the exercise first.",
        "Agree what counts as a finding.",
    ]
    assert [(faq.question, faq.answer) for faq in term.faqs.all()] == [
        ("Who should do it?", "People outside the build team."),
        ("How often?", "Before each major release."),
    ]
    assert [citation.reference.key for citation in term.citations.all()] == [
        "eu-ai-act",
        "nist-ai-rmf",
    ]
    assert [other.slug for other in term.related.all()] == ["guardrails"]
    assert (term.cta_heading, term.cta_body) == ("Planning a red team?", "Talk to our safety team.")
    assert term.published_at == datetime.datetime(2026, 10, 1, 9, 0, tzinfo=datetime.UTC)
    assert Term.objects.get(slug="guardrails").status == Term.Status.DRAFT


def test_importing_the_same_file_twice_changes_nothing():
    data = glossary_file(
        term_record(
            "red-teaming",
            "Red Teaming",
            key_considerations=["Scope the exercise first."],
            faqs=[{"question": "Who should do it?", "answer": "Outsiders."}],
            references=["nist-ai-rmf"],
            related=["guardrails"],
        ),
        term_record("guardrails", "Guardrails", related=["red-teaming"]),
    )
    glossary_import(data=data)
    before = stored_rows()

    report = glossary_import(data=copy.deepcopy(data))

    assert (report.created, report.updated) == ({}, {})
    assert report.unchanged == {"category": 1, "reference": 1, "term": 2}
    assert stored_rows() == before


def test_importing_the_demo_glossary_twice_changes_nothing():
    glossary_import(data=demo_file())
    before = stored_rows()

    report = glossary_import(data=demo_file())

    assert (report.created, report.updated) == ({}, {})
    assert report.unchanged == {"category": 7, "reference": 10, "term": 26}
    assert stored_rows() == before


@pytest.mark.parametrize(
    ("field", "new_value", "stored"),
    [
        ("summary", "A new summary.", lambda term: term.summary),
        (
            "key_considerations",
            ["Scope the exercise first.", "Report findings within a week."],
            lambda term: [item.text for item in term.key_considerations.all()],
        ),
    ],
    ids=["summary", "key consideration"],
)
def test_changing_a_term_in_the_file_updates_only_that_term(field, new_value, stored):
    data = glossary_file(
        term_record("red-teaming", "Red Teaming", key_considerations=["Scope the exercise first."]),
        term_record("guardrails", "Guardrails", summary="Limits around a model."),
    )
    glossary_import(data=data)
    before = dict(Term.objects.values_list("slug", "updated_at"))

    data["terms"][0][field] = new_value
    report = glossary_import(data=data)

    assert report.updated == {"term": 1}
    assert report.unchanged == {"category": 1, "reference": 1, "term": 1}
    assert stored(Term.objects.get(slug="red-teaming")) == new_value
    after = dict(Term.objects.values_list("slug", "updated_at"))
    assert after["red-teaming"] > before["red-teaming"]
    assert after["guardrails"] == before["guardrails"]
    assert Term.objects.get(slug="guardrails").summary == "Limits around a model."


def test_a_file_with_bad_records_stores_nothing_and_names_each_bad_record():
    next_year = timezone.now().year + 1
    repeated = ["Audit the model", "  audit the MODEL "]
    faqs = [{"question": "Why?", "answer": "Because."}, {"answer": "No question."}]
    published = {"status": "published", "published_at": "2026-10-01T09:00:00Z"}
    data = glossary_file(
        term_record("red-teaming", "Red Teaming", references=["nist-ai-rmf"]),
        term_record("repeated-bullet", "R1", key_considerations=repeated),
        term_record("question-missing", "R2", faqs=faqs),
        term_record("typo", "R3", summry="Misspelt field."),
        term_record("lost-category", "R4", category="no-such-category"),
        term_record("lost-relative", "R5", related=["red-teaming", "no-such-term"]),
        term_record("empty-definition", "R6", definition="", **published),
        term_record("odd-status", "R7", status="live"),
        term_record("alias-clash", "R8", aliases=["red teaming"]),
        term_record("red-teaming", "Red Teaming Again"),
    )
    data["categories"].append(
        {"slug": "broken-faqs", "name": "Broken", "faqs": [{"answer": "An answer alone."}]}
    )
    data["references"] += [
        {"key": "too-old", "title": "Too old", "year": 1850},
        {"key": "too-new", "title": "Too new", "year": next_year + 1},
        {"key": "ftp-link", "title": "FTP", "url": "ftp://x.org/a"},
        {"key": "script-link", "title": "Script", "url": "javascript:alert(1)"},
    ]

    problems = import_problems(data)

    expected_reasons = {
        ("category", "broken-faqs", "faqs[1]"): "has no question",
        ("reference", "too-old", "year"): f"between 1900 and {next_year}",
        ("reference", "too-new", "year"): f"between 1900 and {next_year}",
        ("reference", "ftp-link", "url"): "http:// or https://",
        ("reference", "script-link", "url"): "http:// or https://",
        ("term", "repeated-bullet", "key_considerations[2]"): "repeats key consideration 1",
        ("term", "question-missing", "faqs[2]"): "has no question",
        ("term", "typo", "summry"): "unknown field",
        ("term", "lost-category", "category"): "no category with slug 'no-such-category'",
        ("term", "lost-relative", "related[2]"): "no term with slug 'no-such-term'",
        ("term", "empty-definition", "definition"): "needs a definition",
        ("term", "odd-status", "status"): "not 'live'",
        ("term", "alias-clash", "aliases"): "already names another term: “Red Teaming”",
        ("term", "red-teaming", "slug"): "appears more than once",
    }
    assert set(problems) == set(expected_reasons)
    for where, reason in expected_reasons.items():
        assert reason in " ".join(problems[where]), where
    assert_nothing_stored()


def test_a_file_in_another_format_is_refused_before_any_record_is_read():
    problems = import_problems(glossary_file(format="glossary/2"))

    assert problems == {("file", "", "format"): ["must be 'glossary/1'"]}
    assert_nothing_stored()


def test_reference_years_from_1900_to_next_year_are_accepted():
    data = glossary_file()
    data["references"] = [
        {"key": "oldest", "title": "Oldest", "year": 1900},
        {"key": "newest", "title": "Newest", "year": timezone.now().year + 1},
    ]

    glossary_import(data=data)

    assert sorted(Reference.objects.values_list("year", flat=True)) == [
        1900,
        timezone.now().year + 1,
    ]


def test_inline_references_are_matched_to_stored_ones_or_created_once():
    by_url = ReferenceFactory(title="Stored title", url="https://example.org/paper")
    by_title = ReferenceFactory(title="Old Report", year=2019, url="https://example.org/old")
    new_study = {
        "title": "New Study",
        "publisher": "Lab",
        "year": 2025,
        "url": "https://ex.org/new",
    }
    data = glossary_file(
        term_record(
            "red-teaming",
            "Red Teaming",
            references=[
                {"title": "Another title", "url": "https://example.org/paper"},
                {"title": "Old Report", "year": 2019},
                new_study,
            ],
        ),
        term_record("guardrails", "Guardrails", references=[dict(new_study)]),
    )

    report = glossary_import(data=data)

    assert report.created["reference"] == 2  # nist-ai-rmf from the file, and the new study
    created = Reference.objects.get(title="New Study")
    assert (created.publisher, created.year, created.url) == ("Lab", 2025, "https://ex.org/new")
    red_teaming = Term.objects.get(slug="red-teaming")
    assert [c.reference for c in red_teaming.citations.all()] == [by_url, by_title, created]
    assert [c.reference for c in Term.objects.get(slug="guardrails").citations.all()] == [created]
    assert Reference.objects.count() == 4
    assert glossary_import(data=data).created == {}


def test_an_exported_glossary_imports_back_into_the_same_glossary():
    glossary_import(data=demo_file())
    first = glossary_export()
    for model in (TermReference, FAQ, KeyConsideration, Term, Reference, Category):
        model.objects.all().delete()
    assert Term.objects.count() == 0

    report = glossary_import(data=json.loads(json.dumps(first)))
    second = glossary_export()

    assert report.created == {"category": 7, "reference": 10, "term": 26}
    for export in (first, second):
        for term in export["terms"]:
            del term["updated_at"]
    assert second == first


def test_importing_a_published_term_without_a_publication_time_twice_changes_nothing():
    data = glossary_file(
        term_record("red-teaming", "Red Teaming", status="published", definition="Testing.")
    )
    data["terms"][0]["published_at"] = None
    glossary_import(data=data)
    first_published = Term.objects.get().published_at
    assert first_published is not None

    report = glossary_import(data=data)

    assert report.updated == {}
    assert Term.objects.get().published_at == first_published


def test_importing_a_title_with_doubled_spaces_twice_changes_nothing():
    data = glossary_file(term_record("red-teaming", "Red  Teaming"))
    glossary_import(data=data)
    before = stored_rows()

    report = glossary_import(data=data)

    assert report.updated == {}
    assert stored_rows() == before


# Management commands ------------------------------------------------------------------


def write_json(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_import_command_prints_what_it_stored(tmp_path):
    path = write_json(tmp_path / "glossary.json", glossary_file())
    out = StringIO()

    call_command("import_glossary", path, stdout=out, no_color=True)

    assert out.getvalue().strip() == (
        "categories: 1 created, 0 updated, 0 unchanged; "
        "references: 1 created, 0 updated, 0 unchanged; "
        "terms: 1 created, 0 updated, 0 unchanged."
    )
    assert Term.objects.filter(slug="red-teaming").exists()


def test_import_command_lists_every_problem_and_stores_nothing(tmp_path):
    data = glossary_file(
        term_record("red-teaming", "Red Teaming"),
        term_record("odd-status", "Odd", status="live"),
        term_record("typo", "Typo", summry="Misspelt."),
    )
    path = write_json(tmp_path / "glossary.json", data)
    err = StringIO()

    with pytest.raises(CommandError, match=r"2 problem\(s\) .* nothing stored"):
        call_command("import_glossary", path, stderr=err, no_color=True)

    lines = [line for line in err.getvalue().splitlines() if not line.startswith("validated ")]
    assert len(lines) == 2
    assert lines[0].startswith("term odd-status: status: must be one of")
    assert lines[1] == "term typo: summry: unknown field (check the spelling)"
    assert_nothing_stored()


def test_import_command_dry_run_reports_but_stores_nothing(tmp_path):
    path = write_json(tmp_path / "glossary.json", glossary_file())
    out = StringIO()

    call_command("import_glossary", path, "--dry-run", stdout=out, no_color=True)

    assert out.getvalue().startswith(
        "Dry run, nothing stored. Would have: categories: 1 created, 0 updated, 0 unchanged;"
    )
    assert_nothing_stored()


def test_import_command_names_the_line_of_invalid_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "format": "glossary/1",\n  "terms": [,]\n}\n', encoding="utf-8")

    with pytest.raises(CommandError, match=r"not valid JSON \(line 3, column 13"):
        call_command("import_glossary", str(path))
    assert_nothing_stored()


def test_export_command_writes_a_file_the_import_accepts_unchanged(tmp_path):
    glossary_import(data=demo_file())
    path = tmp_path / "export.json"

    call_command("export_glossary", "--output", str(path), stderr=StringIO())

    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["format"] == "glossary/1"
    assert written == glossary_export()
    report = glossary_import(data=written)
    assert (report.created, report.updated) == ({}, {})


def test_export_command_for_published_terms_leaves_out_drafts_and_links_to_them(tmp_path):
    category = CategoryFactory()
    published = TermFactory(slug="published", category=category)
    draft = TermFactory(slug="draft", category=category, status=Term.Status.DRAFT)
    also_published = TermFactory(slug="also-published", category=category)
    published.related.add(draft, also_published)
    path = tmp_path / "published.json"

    call_command(
        "export_glossary", "--output", str(path), "--status", "published", stderr=StringIO()
    )

    terms = {term["slug"]: term for term in json.loads(path.read_text(encoding="utf-8"))["terms"]}
    assert sorted(terms) == ["also-published", "published"]
    assert terms["published"]["related"] == ["also-published"]


# The editorial workflow's fields (still glossary/1: each is optional) ----------------


WORKFLOW_FIELDS = ("status", "go_live_at", "take_down_at", "review_by", "reviewed_at")


def test_status_schedule_and_review_dates_go_out_and_come_back_in():
    scheduled = TermFactory(
        slug="scheduled",
        status="scheduled",
        go_live_at=datetime.datetime(2027, 1, 4, 9, 0, tzinfo=datetime.UTC),
    )
    live = TermFactory(
        slug="live", take_down_at=datetime.datetime(2027, 6, 30, 17, 30, tzinfo=datetime.UTC)
    )
    Term.objects.filter(pk=live.pk).update(
        review_by=datetime.date(2027, 3, 31),
        reviewed_at=datetime.datetime(2026, 3, 31, 8, 15, tzinfo=datetime.UTC),
    )
    exported = glossary_export()
    by_slug = {term["slug"]: term for term in exported["terms"]}
    assert {name: by_slug["scheduled"][name] for name in WORKFLOW_FIELDS} == {
        "status": "scheduled",
        "go_live_at": "2027-01-04T09:00:00Z",
        "take_down_at": None,
        "review_by": None,
        "reviewed_at": None,
    }
    assert {name: by_slug["live"][name] for name in WORKFLOW_FIELDS} == {
        "status": "published",
        "go_live_at": None,
        "take_down_at": "2027-06-30T17:30:00Z",
        "review_by": "2027-03-31",
        "reviewed_at": "2026-03-31T08:15:00Z",
    }
    Term.objects.all().delete()

    glossary_import(data=json.loads(json.dumps(exported)))

    assert Term.objects.get(slug="scheduled").go_live_at == scheduled.go_live_at
    stored = Term.objects.get(slug="live")
    assert (stored.take_down_at, stored.review_by, stored.reviewed_at) == (
        live.take_down_at,
        datetime.date(2027, 3, 31),
        datetime.datetime(2026, 3, 31, 8, 15, tzinfo=datetime.UTC),
    )
    assert glossary_import(data=json.loads(json.dumps(exported))).changed_anything is False


def test_a_glossary_1_file_without_the_workflow_fields_imports_as_before():
    data = glossary_file(
        term_record("red-teaming", "Red Teaming"),
        term_record("evals", "Evals", status="published", definition="Measuring models."),
    )

    report = glossary_import(data=data)

    assert report.created["term"] == 2
    draft, published = Term.objects.get(slug="red-teaming"), Term.objects.get(slug="evals")
    assert (draft.status, draft.go_live_at, draft.review_by, draft.reviewed_at) == (
        "draft",
        None,
        None,
        None,
    )
    assert published.status == "published"
    assert published.review_by is not None  # as publishing would date it
    assert published.reviewed_at is None
    assert glossary_import(data=data).changed_anything is False


def test_leaving_the_workflow_fields_out_keeps_the_stored_ones():
    term = TermFactory(slug="evals", status="draft", category=CategoryFactory(slug="safety"))
    moment = datetime.datetime(2027, 1, 4, 9, 0, tzinfo=datetime.UTC)
    Term.objects.filter(pk=term.pk).update(take_down_at=moment, review_by=datetime.date(2027, 5, 1))

    glossary_import(data=glossary_file(term_record("evals", "Evals", summary="New.")))

    term.refresh_from_db()
    assert (term.summary, term.take_down_at, term.review_by) == (
        "New.",
        moment,
        datetime.date(2027, 5, 1),
    )


def test_bad_workflow_fields_are_refused_naming_the_term_and_the_field():
    problems = import_problems(
        glossary_file(
            term_record("a", "A", review_by="next spring"),
            term_record("b", "B", go_live_at="2027-02-30T09:00:00Z"),
            term_record("c", "C", take_down_at=1700000000),
            term_record("d", "D", reviewed_at="yesterday"),
            term_record("e", "E", status="scheduled"),
            term_record("f", "F", status="live"),
            term_record("g", "G", review_by="2027-02-30"),
        )
    )

    assert problems == {
        ("term", "a", "review_by"): ["must be an ISO 8601 date such as 2027-06-30"],
        ("term", "b", "go_live_at"): ["must be an ISO 8601 date and time"],
        ("term", "c", "take_down_at"): ["must be an ISO 8601 date and time"],
        ("term", "d", "reviewed_at"): ["must be an ISO 8601 date and time"],
        ("term", "e", "go_live_at"): ["is required when the status is scheduled"],
        ("term", "f", "status"): [
            "must be one of draft, review, scheduled, published, archived, not 'live'"
        ],
        ("term", "g", "review_by"): ["must be an ISO 8601 date such as 2027-06-30"],
    }
    assert_nothing_stored()


def test_export_and_import_leave_working_copies_out(editor):
    entry = TermFactory(slug="evals", title="Evals", category=CategoryFactory(slug="safety"))
    copy = working_copy_start(entry=entry)
    Term.objects.filter(pk=copy.pk).update(summary="Unpublished change.")

    exported = glossary_export()
    assert [term["slug"] for term in exported["terms"]] == ["evals"]
    assert exported["terms"][0]["summary"] == entry.summary

    glossary_import(data=glossary_file(term_record("evals", "Evals", summary="Imported.")))

    assert Term.objects.get(pk=entry.pk).summary == "Imported."
    assert Term.objects.get(pk=copy.pk).summary == "Unpublished change."
