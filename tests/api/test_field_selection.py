"""`?fields=` on the term and category reads: a front end asks for the fields it shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from terms.models import Term
from terms.preview import preview_token

from ..factories import CategoryFactory, TermFactory
from ..helpers.response_cache import cached

pytestmark = pytest.mark.django_db

TERMS = "/api/v1/terms/"
PAGE = "/api/v1/terms/model-card/"
LIST_FIELDS = (
    "slug, title, aliases, summary, category, in_development, status, updated_at, reviewed_at, "
    "url, web_url"
)


@pytest.fixture
def glossary():
    category = CategoryFactory(name="Governance", slug="governance")
    TermFactory(title="Model Card", slug="model-card", category=category)
    TermFactory(title="Datasheet", slug="datasheet", category=category)
    return category


def items(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def fields_error(response) -> list[str]:
    assert response.status_code == 400, response.content
    return response.json()["fields"]


def test_the_list_gives_each_term_only_the_fields_asked_for_in_the_serializers_order(
    client, glossary
):
    response = client.get(TERMS, {"fields": "summary,slug,title"})

    assert [list(item) for item in items(response)] == [["slug", "title", "summary"]] * 2
    assert [item["slug"] for item in items(response)] == ["datasheet", "model-card"]


def test_the_term_page_gives_only_the_fields_asked_for(client, glossary):
    response = client.get(PAGE, {"fields": "json_ld,definition_html,title"})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["title", "definition_html", "json_ld"]
    assert body["json_ld"]["@context"] == "https://schema.org"


def test_spaces_repeats_and_empty_items_are_tolerated(client, glossary):
    response = client.get(PAGE, {"fields": " slug , title,,slug, "})

    assert response.json() == {"slug": "model-card", "title": "Model Card"}


def test_a_selected_item_equals_the_same_keys_of_the_whole_item(client, glossary):
    whole = client.get(PAGE).json()

    selected = client.get(PAGE, {"fields": "category,cta,links_to,url"}).json()

    assert selected == {name: whole[name] for name in ("category", "cta", "links_to", "url")}


def test_a_term_page_asked_only_for_what_a_list_shows_reads_the_term_alone_in_one_query(
    client, glossary
):
    whole = client.get(PAGE).json()
    with CaptureQueriesContext(connection) as for_the_whole_page:
        client.get(PAGE)
    with CaptureQueriesContext(connection) as for_the_term_alone:
        selected = client.get(PAGE, {"fields": "title,web_url,category"}).json()

    assert selected == {name: whole[name] for name in ("title", "category", "web_url")}
    assert len(for_the_term_alone) == 1 < len(for_the_whole_page)


def test_an_unknown_field_is_a_400_naming_it_and_the_fields_there_are(client, glossary):
    assert fields_error(client.get(TERMS, {"fields": "slug,colour,definition"})) == [
        f"Unknown field(s): colour, definition. This endpoint's fields are: {LIST_FIELDS}."
    ]
    [message] = fields_error(client.get(PAGE, {"fields": "colour"}))
    assert message.startswith("Unknown field(s): colour. This endpoint's fields are: slug,")
    assert message.endswith(", published_at, json_ld.")


@pytest.mark.parametrize("value", ["", " ", ",", " , "])
def test_an_empty_selection_is_a_400(client, glossary, value):
    expected = ["Must not be empty: leave the parameter out instead."]
    assert fields_error(client.get(TERMS, {"fields": value})) == expected
    assert fields_error(client.get(PAGE, {"fields": value})) == expected


def test_the_selection_is_checked_before_the_search_runs(client, glossary):
    client.get(TERMS, {"colour": "red"})  # what the first request reads once
    with CaptureQueriesContext(connection) as refused_at_once:
        client.get(TERMS, {"colour": "red"})
    with CaptureQueriesContext(connection) as captured:
        fields_error(client.get(TERMS, {"search": "model", "fields": "colour"}))

    assert len(captured) == len(refused_at_once)


def test_an_unknown_query_parameter_is_still_named_with_fields_given(client, glossary):
    response = client.get(TERMS, {"fields": "slug", "colour": "red"})

    assert response.status_code == 400
    assert list(response.json()) == ["colour"]


def test_the_page_envelope_is_whole_and_its_links_keep_the_selection(client, glossary):
    for number in range(3):
        TermFactory(title=f"Model {number}")

    response = client.get(TERMS, {"fields": "slug", "search": "model", "page_size": 2})

    body = response.json()
    assert list(body) == [
        *("count", "next", "previous", "results"),
        *("search_corrected_to", "search_suggestions"),
    ]
    assert body["count"] == 4
    assert "fields=slug" in body["next"]
    assert [list(item) for item in body["results"]] == [["slug"]] * 2
    second = client.get(body["next"]).json()
    assert "fields=slug" in second["previous"]
    assert [list(item) for item in second["results"]] == [["slug"]] * 2


def test_filters_narrow_a_selected_list(client, glossary):
    TermFactory(title="Alignment", slug="alignment")

    response = client.get(TERMS, {"fields": "title", "category": "governance", "letter": "M"})

    assert items(response) == [{"title": "Model Card"}]


def test_search_suggestions_carry_the_selection_too(client, glossary):
    response = client.get(TERMS, {"fields": "slug", "search": "model card handbook"})

    body = response.json()
    assert body["results"] == []
    assert body["search_suggestions"]
    assert {tuple(item) for item in body["search_suggestions"]} == {("slug",)}


def test_a_preview_honours_the_selection(client, glossary):
    draft = TermFactory(title="Red Teaming", slug="red-teaming", status=Term.Status.DRAFT)

    response = client.get(
        "/api/v1/terms/red-teaming/", {"preview": preview_token(draft), "fields": "title"}
    )

    assert response.json() == {"title": "Red Teaming"}
    assert response["Cache-Control"] == "private, no-store"


def test_a_draft_stays_not_found_whatever_the_selection(client, glossary):
    TermFactory(title="Red Teaming", slug="red-teaming", status=Term.Status.DRAFT)

    for selection in ("slug", "slug,definition"):
        response = client.get("/api/v1/terms/red-teaming/", {"fields": selection})
        assert response.status_code == 404, selection


def test_categories_take_the_selection_on_list_and_detail(client, glossary):
    listed = client.get("/api/v1/categories/", {"fields": "term_count,slug"})
    detail = client.get("/api/v1/categories/governance/", {"fields": "json_ld"})

    assert listed.json() == [{"slug": "governance", "term_count": 2}]
    assert list(detail.json()) == ["json_ld"]
    assert fields_error(client.get("/api/v1/categories/", {"fields": "json_ld"}))[0].startswith(
        "Unknown field(s): json_ld."
    )


def test_other_endpoints_do_not_take_fields(client, glossary):
    response = client.get("/api/v1/letters/", {"fields": "letter"})

    assert response.status_code == 400
    assert list(response.json()) == ["fields"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_selection_is_cached_as_its_own_answer(
    settings, client, glossary, django_assert_num_queries
):
    settings.API_RESPONSE_CACHE = True

    by_slug = cached(client, f"{PAGE}?fields=slug", django_assert_num_queries)
    by_title = cached(client, f"{PAGE}?fields=title", django_assert_num_queries)

    assert by_slug.json() == {"slug": "model-card"}
    assert by_title.json() == {"title": "Model Card"}
