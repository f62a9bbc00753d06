"""The audit log: what the admin, the import and the export record in it, and its admin
page (read-only, for Publishers and superusers, filtered, searched and exported as CSV)."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from terms.models import AuditEntry, SiteSettings, Term, TermRevision
from terms.services import working_copy_start

from ..factories import CategoryFactory, ReferenceFactory, TermFactory
from ..helpers.downloads import csv_rows

pytestmark = pytest.mark.django_db

AUDIT_LOG = reverse("admin:terms_auditentry_changelist")
AUDIT_CSV = reverse("admin:terms_auditentry_export")
SITE_SETTINGS = reverse("admin:terms_sitesettings_change", args=[1])


def logged(**filters) -> list[tuple]:
    """Each audit entry as (action, source, who, what, name, detail), oldest first."""
    entries = AuditEntry.objects.filter(**filters).order_by("created_at", "pk")
    return list(
        entries.values_list(
            "action", "source", "actor_name", "target_type", "target_repr", "detail"
        )
    )


# The admin's own changes -----------------------------------------------------------------


def test_deleting_a_term_in_the_admin_records_who_deleted_what(editor_client, editor):
    term = TermFactory(title="Red Teaming", status=Term.Status.DRAFT)

    response = editor_client.post(
        reverse("admin:terms_term_delete", args=[term.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert logged() == [("delete", "admin", editor.username, "term", "Red Teaming", "")]
    assert AuditEntry.objects.get().actor == editor
    assert AuditEntry.objects.get().target_id == str(term.pk)


def test_deleting_terms_with_the_list_action_records_each_one(editor_client, editor):
    terms = [TermFactory(title=title, status=Term.Status.DRAFT) for title in ("Alpha", "Beta")]

    editor_client.post(
        reverse("admin:terms_term_changelist"),
        {"action": "delete_selected", "_selected_action": [t.pk for t in terms], "post": "yes"},
    )

    assert sorted(name for _a, _s, _w, _t, name, _d in logged(action="delete")) == [
        "Alpha",
        "Beta",
    ]
    assert {who for _a, _s, who, *_rest in logged()} == {editor.username}


def test_a_working_copy_is_discarded_not_deleted_and_the_discard_is_recorded_against_its_entry(
    editor_client, editor
):
    entry = TermFactory(title="Guardrails")
    copy = working_copy_start(entry=entry)

    editor_client.post(reverse("admin:terms_term_delete", args=[copy.pk]), {"post": "yes"})
    assert Term.objects.filter(pk=copy.pk).exists()
    assert not AuditEntry.objects.filter(action="delete").exists()

    editor_client.post(reverse("admin:terms_term_discard", args=[copy.pk]), {"post": "yes"})
    discarded = AuditEntry.objects.get(action="discard")
    assert (discarded.target_id, discarded.actor) == (str(entry.pk), editor)
    assert not Term.objects.filter(pk=copy.pk).exists()


def test_deleting_a_category_and_a_reference_in_the_admin_is_recorded(editor_client, editor):
    category = CategoryFactory(name="Unused")
    reference = ReferenceFactory(title="Old Paper")

    editor_client.post(reverse("admin:terms_category_delete", args=[category.pk]), {"post": "yes"})
    editor_client.post(
        reverse("admin:terms_reference_delete", args=[reference.pk]), {"post": "yes"}
    )

    assert logged() == [
        ("delete", "admin", editor.username, "category", "Unused", ""),
        ("delete", "admin", editor.username, "reference", "Old Paper (2023)", ""),
    ]


def category_form(**fields) -> dict:
    return {
        "name": "AI Safety",
        "slug": "ai-safety",
        "description": "Keeping systems safe.",
        "order": "0",
        "shared_faqs-TOTAL_FORMS": "0",
        "shared_faqs-INITIAL_FORMS": "0",
        "shared_faqs-MIN_NUM_FORMS": "0",
        "shared_faqs-MAX_NUM_FORMS": "1000",
        **fields,
    }


def test_adding_and_editing_a_category_in_the_admin_is_recorded(editor_client, editor):
    assert (
        editor_client.post(reverse("admin:terms_category_add"), category_form()).status_code == 302
    )
    category = AuditEntry.objects.get().target_id

    editor_client.post(
        reverse("admin:terms_category_change", args=[category]),
        category_form(description="Keeping AI systems safe."),
    )

    assert logged() == [
        ("create", "admin", editor.username, "category", "AI Safety", ""),
        ("edit", "admin", editor.username, "category", "AI Safety", "changed: description"),
    ]


def test_reordering_categories_in_the_list_is_recorded_as_an_edit(editor_client, editor):
    category = CategoryFactory(name="AI Safety", order=0)

    editor_client.post(
        reverse("admin:terms_category_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(category.pk),
            "form-0-order": "5",
            "_save": "Save",
        },
    )

    assert logged() == [
        ("edit", "admin", editor.username, "category", "AI Safety", "changed: order")
    ]


def test_saving_a_category_without_changes_records_nothing(editor_client):
    category = CategoryFactory(name="AI Safety", slug="ai-safety", description="Safe.")

    editor_client.post(
        reverse("admin:terms_category_change", args=[category.pk]),
        category_form(description="Safe.", order=str(category.order)),
    )

    assert logged() == []


def test_editing_a_reference_in_the_admin_is_recorded_with_the_fields_changed(
    editor_client, editor
):
    reference = ReferenceFactory(title="AI RMF", year=2023)

    editor_client.post(
        reverse("admin:terms_reference_change", args=[reference.pk]),
        {
            "title": "AI RMF 1.0",
            "publisher": reference.publisher,
            "year": "2024",
            "url": reference.url,
            "key": reference.key,
        },
    )

    assert logged() == [
        ("edit", "admin", editor.username, "reference", "AI RMF 1.0 (2024)", "changed: title, year")
    ]


def test_changing_the_site_settings_records_each_field_with_its_old_and_new_value(
    editor_client, editor
):
    SiteSettings.objects.filter(pk=1).update(organisation_name="Acme")

    editor_client.post(
        SITE_SETTINGS,
        {
            "organisation_name": "Acme Advisory",
            "default_cta_heading": SiteSettings.load().default_cta_heading,
            "default_cta_body": SiteSettings.load().default_cta_body,
            "review_interval_months": "6",
        },
    )

    [(action, source, who, what, _name, detail)] = logged()
    assert (action, source, who, what) == ("settings", "admin", editor.username, "sitesettings")
    assert detail.splitlines() == [
        "organisation_name: Acme → Acme Advisory",
        "review_interval_months: 12 → 6",
    ]


# Import and export ------------------------------------------------------------------------


def glossary(*terms) -> dict:
    return {
        "format": "glossary/1",
        "categories": [{"slug": "safety", "name": "AI Safety"}],
        "terms": list(terms),
    }


def write(tmp_path, data) -> str:
    path = tmp_path / "glossary.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_an_import_is_one_entry_with_its_counts_and_a_revision_of_each_term_it_changed(
    tmp_path,
):
    red = {"slug": "red-teaming", "title": "Red Teaming", "category": "safety"}
    evals = {"slug": "evals", "title": "Evals", "category": "safety"}
    call_command("import_glossary", write(tmp_path, glossary(red, evals)), verbosity=0)
    call_command(
        "import_glossary",
        write(tmp_path, glossary({**red, "summary": "Attacking your own model."}, evals)),
        verbosity=0,
    )

    [first, second] = logged(action="import")
    assert first[:4] == ("import", "import", "manage.py import_glossary", "glossary")
    assert "terms: 2 created, 0 updated, 0 unchanged" in first[5]
    assert "terms: 0 created, 1 updated, 1 unchanged" in second[5]
    revisions = TermRevision.objects.filter(source="import")
    assert sorted(revisions.values_list("entry__slug", flat=True)) == [
        "evals",
        "red-teaming",
        "red-teaming",
    ]


def test_a_dry_run_import_records_nothing(tmp_path):
    data = glossary({"slug": "evals", "title": "Evals", "category": "safety"})

    call_command("import_glossary", write(tmp_path, data), dry_run=True, verbosity=0)

    assert logged() == []
    assert not TermRevision.objects.exists()


def test_an_export_is_recorded_with_what_it_exported(tmp_path):
    TermFactory()
    TermFactory(status="draft")

    call_command("export_glossary", output=str(tmp_path / "out.json"), status=["published"])

    assert logged() == [
        (
            "export",
            "command",
            "manage.py export_glossary",
            "glossary",
            "glossary/1",
            "terms: 1 (status: published)",
        )
    ]


# The audit log's page ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["publisher", "admin_user"])
def test_publishers_and_superusers_read_the_audit_log(client, request, role):
    TermFactory(title="Red Teaming")
    call_command("export_glossary", output="/dev/null")
    client.force_login(request.getfixturevalue(role))

    index = client.get(reverse("admin:index"))
    response = client.get(AUDIT_LOG)

    assert AUDIT_LOG in index.text
    assert response.status_code == 200
    assert "manage.py export_glossary" in response.text


def test_editors_do_not_see_the_audit_log(editor_client):
    call_command("export_glossary", output="/dev/null")
    entry = AuditEntry.objects.get()

    assert AUDIT_LOG not in editor_client.get(reverse("admin:index")).text
    assert editor_client.get(AUDIT_LOG).status_code == 403
    assert editor_client.get(AUDIT_CSV).status_code == 403
    change = reverse("admin:terms_auditentry_change", args=[entry.pk])
    assert editor_client.get(change).status_code == 403


@pytest.mark.parametrize("role", ["publisher", "admin_user"])
def test_nobody_adds_changes_or_deletes_an_audit_entry_not_even_a_superuser(client, request, role):
    call_command("export_glossary", output="/dev/null")
    entry = AuditEntry.objects.get()
    client.force_login(request.getfixturevalue(role))
    change = reverse("admin:terms_auditentry_change", args=[entry.pk])

    page = client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert client.post(change, {"detail": "rewritten"}).status_code == 403
    assert client.get(reverse("admin:terms_auditentry_add")).status_code == 403
    delete = reverse("admin:terms_auditentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert 'name="action"' not in client.get(AUDIT_LOG).text
    entry.refresh_from_db()
    assert entry.detail == "terms: 0"


def listed(response) -> list[str]:
    return [str(entry.target_repr) for entry in response.context["cl"].result_list]


def test_the_audit_log_filters_by_action_source_and_what_and_searches_who_name_and_detail(
    editor_client, editor, publisher
):
    red = TermFactory(title="Red Teaming", status=Term.Status.DRAFT)
    editor_client.post(reverse("admin:terms_term_delete", args=[red.pk]), {"post": "yes"})
    reference = ReferenceFactory(title="Attack Taxonomy")
    editor_client.post(
        reverse("admin:terms_reference_delete", args=[reference.pk]), {"post": "yes"}
    )
    call_command("export_glossary", output="/dev/null")
    publisher_client = editor_client
    publisher_client.force_login(publisher)

    assert listed(publisher_client.get(AUDIT_LOG, {"action": "delete"})) == [
        "Attack Taxonomy (2023)",
        "Red Teaming",
    ]
    assert listed(publisher_client.get(AUDIT_LOG, {"source": "command"})) == ["glossary/1"]
    assert publisher_client.get(AUDIT_LOG, {"created_at__gte": "not a date"}).status_code == 302
    assert listed(publisher_client.get(AUDIT_LOG, {"target_type": "term"})) == ["Red Teaming"]
    assert listed(
        publisher_client.get(AUDIT_LOG, {"created_at__gte": "2000-01-01 00:00:00+00:00"})
    ) == [
        "glossary/1",
        "Attack Taxonomy (2023)",
        "Red Teaming",
    ]
    assert len(listed(publisher_client.get(AUDIT_LOG, {"q": editor.username}))) == 2
    assert listed(publisher_client.get(AUDIT_LOG, {"q": "taxonomy"})) == ["Attack Taxonomy (2023)"]
    assert listed(publisher_client.get(AUDIT_LOG, {"q": "terms: 0"})) == ["glossary/1"]


def test_the_audit_log_downloads_as_csv_with_the_lists_filters_and_formulas_defused(
    editor_client, editor, publisher
):
    formula = TermFactory(title="=HYPERLINK(1)", slug="formula", status=Term.Status.DRAFT)
    editor_client.post(reverse("admin:terms_term_delete", args=[formula.pk]), {"post": "yes"})
    call_command("export_glossary", output="/dev/null")
    publisher_client = editor_client
    publisher_client.force_login(publisher)

    page = publisher_client.get(AUDIT_LOG, {"action": "delete"})
    assert f'href="{AUDIT_CSV}?action=delete"' in page.text

    response = publisher_client.get(AUDIT_CSV, {"action": "delete"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    header, *rows = csv_rows(response)
    assert header == ["When", "Who", "From", "Action", "What", "Id", "Name", "Detail"]
    [(when, who, source, action, what, target_id, name, detail)] = rows
    assert (who, source, action, what, target_id, name, detail) == (
        editor.username,
        "admin",
        "delete",
        "term",
        str(formula.pk),
        "'=HYPERLINK(1)",
        "",
    )
    assert when == AuditEntry.objects.get(action="delete").created_at.isoformat()
    assert len(csv_rows(publisher_client.get(AUDIT_CSV))) == 3
    refused = publisher_client.get(AUDIT_CSV, {"created_at__gte": "not a date"})
    assert refused.url == f"{AUDIT_LOG}?e=1"
