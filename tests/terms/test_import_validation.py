"""The import validates the whole file before it writes anything (issue 13)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from terms.imports.records import ImportReport
from terms.imports.validate import GlossaryValidator
from terms.models import AuditEntry, Category, Reference, Term, TermRevision
from terms.services import glossary_import
from tests.factories import CategoryFactory, ReferenceFactory, TermFactory
from tests.helpers.glossary_files import glossary_file, import_problems, term_record

pytestmark = pytest.mark.django_db

LONG_SUMMARY = "s" * 304


def many_terms(count, **bad_at):
    """``count`` valid terms; ``bad_at`` maps a position to the fields that spoil it."""
    return [
        term_record(f"term-{number}", f"Term {number}", **bad_at.get(f"at_{number}", {}))
        for number in range(1, count + 1)
    ]


def writes_in(queries):
    return [
        query["sql"]
        for query in queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_bad_records_first_and_last_are_all_reported_and_nothing_is_written():
    terms = many_terms(
        30, at_1={"summary": LONG_SUMMARY}, at_15={"status": "live"}, at_30={"summry": "typo"}
    )

    problems = import_problems(glossary_file(*terms))

    assert set(problems) == {
        ("term", "term-1", "summary"),
        ("term", "term-15", "status"),
        ("term", "term-30", "summry"),
    }
    assert problems[("term", "term-1", "summary")] == [
        "Ensure this value has at most 300 characters (it has 304)."
    ]
    assert (Term.objects.count(), Category.objects.count(), Reference.objects.count()) == (0, 0, 0)
    assert (TermRevision.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_a_bad_record_late_in_the_file_is_found_before_any_row_is_written():
    terms = many_terms(40, at_40={"summary": LONG_SUMMARY})

    with CaptureQueriesContext(connection) as queries:
        problems = import_problems(glossary_file(*terms))

    assert list(problems) == [("term", "term-40", "summary")]
    assert writes_in(queries) == []


def test_validating_reads_the_same_few_queries_however_many_records_the_file_has():
    TermFactory(slug="stored", title="Stored")

    def queries_to_refuse(count):
        terms = many_terms(count, **{f"at_{count}": {"summary": LONG_SUMMARY}})
        with CaptureQueriesContext(connection) as queries:
            import_problems(glossary_file(*terms))
        return len(queries)

    assert queries_to_refuse(50) == queries_to_refuse(2)


def test_a_reference_may_take_the_web_address_another_gives_up_in_the_same_file():
    ReferenceFactory(key="moved", title="Moved", url="https://old.example/")
    data = glossary_file()
    data["references"] += [
        {"key": "moved", "title": "Moved", "url": "https://new.example/"},
        {"key": "arrived", "title": "Arrived", "url": "https://old.example/"},
    ]

    glossary_import(data=data)

    assert Reference.objects.get(key="arrived").url == "https://old.example/"


def test_the_validation_pass_reads_the_stored_glossary_in_four_queries(django_assert_num_queries):
    TermFactory(slug="stored", title="Stored", aliases="kept")
    data = glossary_file(*many_terms(20), term_record("stored", "Stored", related=["term-1"]))

    with django_assert_num_queries(4):  # entries, their names, categories, references
        GlossaryValidator(ImportReport()).run(data)


def test_a_clash_with_a_term_earlier_in_the_file_is_reported_with_the_other_bad_records():
    problems = import_problems(
        glossary_file(
            term_record("red-teaming", "Red Teaming"),
            term_record("again", "red  teaming"),
            term_record("alias-clash", "Other", aliases=["Red Teaming"]),
            term_record("long", "Long", summary=LONG_SUMMARY),
        )
    )

    assert problems == {
        ("term", "again", "title"): ["Another term already has this title."],
        ("term", "alias-clash", "aliases"): [
            "“Red Teaming” already names another term: “Red Teaming”."
        ],
        ("term", "long", "summary"): ["Ensure this value has at most 300 characters (it has 304)."],
    }


def errors_of(part, data):
    report = ImportReport()
    with transaction.atomic():
        part(report).run(data)
        transaction.set_rollback(True)
    return {str(error) for error in report.errors}


def test_the_validation_pass_refuses_every_record_the_database_would_refuse():
    TermFactory(slug="stored", title="Stored Thing", aliases="old alias")
    CategoryFactory(slug="other", name="Other")
    ReferenceFactory(key="kept", title="Kept", url="https://kept.example/")
    data = glossary_file(
        term_record("red-teaming", "Red Teaming", summary=LONG_SUMMARY, aliases=["a" * 250]),
        term_record("same-title", "RED TEAMING"),
        term_record("stored-title", "stored thing"),
        term_record("stored-alias", "Al", aliases=["Old Alias"]),
        term_record("stored", "Stored Thing"),
        term_record("title-is-alias", "old  alias"),
        term_record("long-bullet", "KC", key_considerations=["k" * 600]),
        term_record("long-question", "Q", faqs=[{"question": "q" * 400, "answer": "a"}]),
        term_record("no-definition", "Pub", status="published"),
        term_record("long-cta", "CTA", cta={"heading": "h" * 300, "body": "Call us."}),
        term_record("bad slug!", "Bad slug"),
        term_record("inline", "Inl", references=[{"title": "T", "url": "ftp://x.org"}]),
        term_record("old-inline", "Old", references=[{"title": "T2", "year": 1800}]),
        term_record(
            "links", "Links", definition="See [this](term:no-such) and [that](term:red-teaming)."
        ),
        term_record("related", "Rel", related=["red-teaming", "stored"]),
        term_record("itself", "Itself", why_it_matters="[me](term:itself)"),
        term_record(
            "faq-itself", "F", faqs=[{"question": "Q?", "answer": "[me](term:faq-itself)"}]
        ),
    )
    data["categories"] += [{"slug": "taken", "name": "Other"}, {"slug": "long", "name": "n" * 130}]
    data["references"] += [
        {"key": "same-url", "title": "D", "url": "https://kept.example/"},
        {"key": "bad key!", "title": "D"},
    ]

    found = errors_of(GlossaryValidator, data)

    # The writer trusts the validation (it writes in bulk, checking nothing row by row):
    # every record the database or a model rule would refuse is named, once.
    assert sorted(error.split(":")[0] for error in found) == sorted(
        [
            *(f"category {slug}" for slug in ("long", "taken")),
            *(f"reference {key}" for key in ("bad key!", "same-url")),
            *(
                f"term {slug}"
                for slug in (
                    "bad slug!",
                    "faq-itself",
                    "inline",
                    "itself",
                    "links",
                    "long-bullet",
                    "long-cta",
                    "long-question",
                    "no-definition",
                    "old-inline",
                    "red-teaming",
                    "related",
                    "stored-alias",
                    "stored-title",
                    "title-is-alias",
                )
            ),
        ]
    )  # ("same-title" is not: red-teaming, whose title it repeats, is refused)


def write_file(tmp_path, data):
    path = tmp_path / "glossary.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_import_command_shows_records_validated_and_terms_written(tmp_path):
    path = write_file(tmp_path, glossary_file(*many_terms(3)))
    err = StringIO()

    call_command("import_glossary", path, stdout=StringIO(), stderr=err, no_color=True)

    lines = err.getvalue().splitlines()
    assert "validated 5/5 records" in lines
    assert lines[-1] == "written 3/3 terms"


def test_import_command_refusing_a_file_shows_validation_then_every_problem(tmp_path):
    path = write_file(tmp_path, glossary_file(*many_terms(3, at_3={"summary": LONG_SUMMARY})))
    err = StringIO()

    with pytest.raises(CommandError, match=r"1 problem\(s\) .* nothing stored"):
        call_command("import_glossary", path, stderr=err, no_color=True)

    assert err.getvalue().splitlines()[-2:] == [
        "validated 5/5 records",
        "term term-3: summary: Ensure this value has at most 300 characters (it has 304).",
    ]


def test_import_command_at_verbosity_0_shows_no_progress(tmp_path):
    path = write_file(tmp_path, glossary_file(*many_terms(3)))
    err = StringIO()

    call_command("import_glossary", path, verbosity=0, stdout=StringIO(), stderr=err)

    assert err.getvalue() == ""


class Terminal(StringIO):
    def isatty(self):
        return True


def test_import_command_on_a_terminal_rewrites_one_progress_line_in_place(tmp_path):
    path = write_file(tmp_path, glossary_file(*many_terms(3)))
    err = Terminal()

    call_command("import_glossary", path, stdout=StringIO(), stderr=err, no_color=True)

    lines = err.getvalue().split("\n")
    assert lines[0].startswith("\rvalidated 1/5 records")
    assert lines[0].endswith("\rvalidated 5/5 records\033[K")
    assert lines[1].endswith("\rwritten 3/3 terms\033[K")
