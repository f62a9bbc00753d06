"""Ordering rows by dragging them (or with the arrow keys) in the admin: the term form's
inlines and the category list post the numbers static/terms/sortable-rows.js sets, and
what readers see follows at once. The browser side is tests/browser/test_ordering.py."""

import pytest
from django.urls import reverse

from terms.models import AuditEntry, Category

from ..factories import CategoryFactory, KeyConsiderationFactory, TermFactory
from ..helpers.response_cache import cached
from ..helpers.term_admin import change_url, stored_rows, stored_term_form

CATEGORY_LIST = reverse("admin:terms_category_changelist")
CATEGORIES_API = "/api/v1/categories/"


def category_list_form(categories_in_order: list[Category]) -> dict:
    """The category list's Save as the handles leave it: the numbers the rows had,
    ascending, handed out in the new order."""
    numbers = sorted(category.order for category in categories_in_order)
    data = {
        "form-TOTAL_FORMS": str(len(categories_in_order)),
        "form-INITIAL_FORMS": str(len(categories_in_order)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, (category, number) in enumerate(zip(categories_in_order, numbers, strict=True)):
        data[f"form-{index}-id"] = str(category.pk)
        data[f"form-{index}-order"] = str(number)
    return data


def api_category_slugs(client) -> list[str]:
    return [row["slug"] for row in client.get(CATEGORIES_API).json()]


# The term form's inlines -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_marks_each_order_input_for_the_drag_handles_and_loads_their_script(
    editor_client,
):
    term = TermFactory(status="draft")
    KeyConsiderationFactory(term=term, text="Alpha", position=1)

    page = editor_client.get(change_url(term)).content.decode()

    # Without JavaScript the number stays a visible input to type into.
    assert 'type="number" name="key_considerations-0-position" value="1"' in page
    assert page.count("data-sortable-position") >= 4  # considerations, FAQs, references
    assert "terms/sortable-rows.js" in page
    assert "terms/sortable-rows.css" in page


@pytest.mark.django_db
def test_the_order_set_by_dragging_is_saved_with_edits_a_deletion_and_a_new_last_row(
    publisher_client,
):
    term = TermFactory(status="draft", slug="model-card")
    for position, text in enumerate(["Alpha", "Beta", "Gamma", "Delta"], start=1):
        KeyConsiderationFactory(term=term, text=text, position=position)
    rows = stored_rows(term)
    alpha, beta, gamma, _delta = rows["key_considerations"]
    # Beta dragged above Alpha, whose text also changes; Gamma deleted; one row added.
    alpha |= {"text": "Alpha, reworded", "position": "2"}
    beta |= {"position": "1"}
    gamma |= {"DELETE": "on"}
    rows["key_considerations"].append({"text": "Epsilon", "position": "5"})

    response = publisher_client.post(
        change_url(term), stored_term_form(term, rows, status="published")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(term.key_considerations.values_list("text", "position")) == [
        ("Beta", 1),
        ("Alpha, reworded", 2),
        ("Delta", 3),
        ("Epsilon", 4),
    ]
    publisher_client.logout()
    api = publisher_client.get("/api/v1/terms/model-card/").json()
    assert api["key_considerations"] == ["Beta", "Alpha, reworded", "Delta", "Epsilon"]


@pytest.mark.django_db
def test_a_form_saved_without_moving_rows_keeps_the_numbers_it_came_with(editor_client):
    term = TermFactory(status="draft")
    first = KeyConsiderationFactory(term=term, text="Alpha", position=0)
    second = KeyConsiderationFactory(term=term, text="Beta", position=1)

    response = editor_client.post(change_url(term), stored_term_form(term, summary="New."))

    assert response.status_code == 302
    assert list(term.key_considerations.values_list("pk", "text")) == [
        (first.pk, "Alpha"),
        (second.pk, "Beta"),
    ]


# The category list -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_category_list_marks_its_order_inputs_for_the_drag_handles(editor_client):
    CategoryFactory(name="Governance")

    page = editor_client.get(CATEGORY_LIST).content.decode()

    assert 'name="form-0-order"' in page
    assert "data-sortable-position" in page
    assert "terms/sortable-rows.js" in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reordering_the_category_list_changes_the_cached_api_list_at_once(
    client, editor, settings, django_assert_num_queries
):
    settings.API_RESPONSE_CACHE = True
    basics = CategoryFactory(name="Basics", slug="basics", order=1)
    governance = CategoryFactory(name="Governance", slug="governance", order=2)
    risk = CategoryFactory(name="Risk", slug="risk", order=3)
    cached(client, CATEGORIES_API, django_assert_num_queries)
    assert api_category_slugs(client) == ["basics", "governance", "risk"]

    client.force_login(editor)
    response = client.post(CATEGORY_LIST, category_list_form([risk, basics, governance]))
    assert response.status_code == 302
    client.logout()

    assert api_category_slugs(client) == ["risk", "basics", "governance"]


@pytest.mark.django_db
def test_reordering_the_category_list_is_audited_for_each_category_that_moved(
    editor_client, editor
):
    basics = CategoryFactory(name="Basics", order=1)
    governance = CategoryFactory(name="Governance", order=2)
    risk = CategoryFactory(name="Risk", order=3)

    editor_client.post(CATEGORY_LIST, category_list_form([basics, risk, governance]))

    entries = AuditEntry.objects.filter(target_type="category").order_by("target_repr")
    assert [(e.target_repr, e.action, e.actor, e.detail) for e in entries] == [
        ("Governance", AuditEntry.Action.EDIT, editor, "changed: order"),
        ("Risk", AuditEntry.Action.EDIT, editor, "changed: order"),
    ]


@pytest.mark.django_db
def test_someone_without_the_change_permission_cannot_reorder_categories(client, advisory_member):
    basics = CategoryFactory(name="Basics", order=1)
    risk = CategoryFactory(name="Risk", order=2)
    client.force_login(advisory_member)

    response = client.post(CATEGORY_LIST, category_list_form([risk, basics]))

    assert response.status_code == 403
    assert list(Category.objects.values_list("name", flat=True)) == ["Basics", "Risk"]
    assert not AuditEntry.objects.filter(target_type="category").exists()


@pytest.mark.django_db
def test_the_category_list_sorted_by_name_offers_no_handles_and_keeps_its_number_inputs(
    editor_client,
):
    CategoryFactory(name="Governance")

    by_name = editor_client.get(CATEGORY_LIST, {"o": "1"}).content.decode()
    by_order = editor_client.get(CATEGORY_LIST, {"o": "3"}).content.decode()

    assert 'name="form-0-order"' in by_name
    assert "data-sortable-position" not in by_name
    assert "data-sortable-position" in by_order
