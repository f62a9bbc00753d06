"""Suggest-as-you-type: /api/v1/suggest/ offers published titles and aliases for what a
reader has typed, those that start with it first, and nothing a reader cannot see."""

from datetime import timedelta

import pytest
from django.utils import timezone

from terms.models import SiteSettings, Term
from terms.services import (
    glossary_export,
    glossary_import,
    term_archive,
    term_publish,
    working_copy_publish,
    working_copy_start,
)

from ..factories import TermFactory
from ..helpers.response_cache import cached

pytestmark = pytest.mark.django_db

SUGGEST = "/api/v1/suggest/"


def suggested(client, query: str, **params) -> list[str]:
    response = client.get(SUGGEST, {"q": query, **params})
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["results"]]


def test_titles_that_start_with_the_text_come_before_those_that_contain_it(client):
    for title in ["Model Card", "Mechanistic Interpretability", "Mechanism Design", "Shapley"]:
        TermFactory(title=title)
    TermFactory(title="Robot Mechanics")  # contains "mec" in its second word

    assert suggested(client, "mec") == [
        "Mechanism Design",
        "Mechanistic Interpretability",
        "Robot Mechanics",
    ]


def test_words_typed_in_order_find_a_name_whose_words_start_with_them(client):
    TermFactory(title="Large Language Model")
    TermFactory(title="Model Language")  # the same words, the other way round
    TermFactory(title="Slang Model Library")  # "lang" inside a word, then "mod"

    assert suggested(client, "lang mod") == ["Large Language Model", "Slang Model Library"]
    assert suggested(client, "large model") == ["Large Language Model"]


def test_case_accents_and_hyphens_do_not_matter(client):
    TermFactory(title="Fine-Tuning")
    TermFactory(title="Métrique d'évaluation")

    assert suggested(client, "fine tun") == ["Fine-Tuning"]
    assert suggested(client, "FINETUN") == ["Fine-Tuning"]
    assert suggested(client, "metrique d ev") == ["Métrique d'évaluation"]


def test_a_suggestion_names_the_alias_that_matched_and_links_the_term(client):
    TermFactory(title="Retrieval-Augmented Generation", slug="rag", aliases="RAG\nGrounded QA")
    TermFactory(title="Ragged Tensor", slug="ragged-tensor")

    body = client.get(SUGGEST, {"q": "rag"}).json()

    assert body["query"] == "rag"
    assert body["results"] == [
        {
            "title": "Retrieval-Augmented Generation",
            "slug": "rag",
            "matched_alias": "RAG",
            "url": "http://testserver/api/v1/terms/rag/",
            "web_url": "http://testserver/glossary/rag/",
        },
        {
            "title": "Ragged Tensor",
            "slug": "ragged-tensor",
            "matched_alias": None,
            "url": "http://testserver/api/v1/terms/ragged-tensor/",
            "web_url": "http://testserver/glossary/ragged-tensor/",
        },
    ]


def test_an_alias_is_named_only_when_it_matched_better_than_the_title(client):
    TermFactory(title="Mechanistic Interpretability", aliases="mech interp\nMI")

    def matched(query):
        [result] = client.get(SUGGEST, {"q": query}).json()["results"]
        return result["matched_alias"]

    assert matched("mec") is None  # the title starts with it too
    assert matched("mech int") == "mech interp"  # only the alias starts with it
    assert matched("interp") is None  # a word of both


def test_a_term_is_suggested_once_even_when_its_title_and_aliases_all_match(client):
    TermFactory(title="Token", aliases="Tokens\nTokenisation\nTokenization")
    TermFactory(title="Tokenizer Drift")

    assert suggested(client, "tok") == ["Token", "Tokenizer Drift"]


def test_at_most_eight_suggestions_come_unless_fewer_are_asked_for(client):
    for number in range(12):
        TermFactory(title=f"Agent {number:02d}")

    assert len(suggested(client, "agent")) == 8
    assert suggested(client, "agent", limit=3) == ["Agent 00", "Agent 01", "Agent 02"]


def test_only_published_terms_are_suggested(client):
    TermFactory(title="Agent Published")
    for status in [Term.Status.DRAFT, Term.Status.REVIEW]:
        TermFactory(title=f"Agent {status}", status=status)
    TermFactory(
        title="Agent Scheduled",
        status=Term.Status.SCHEDULED,
        go_live_at=timezone.now() + timedelta(days=1),
    )
    term_archive(term=TermFactory(title="Agent Archived"))

    assert suggested(client, "agent") == ["Agent Published"]


def test_a_working_copy_is_never_suggested_until_it_is_published_onto_its_entry(client):
    entry = TermFactory(title="Guardrails", aliases="safety rails")
    copy = working_copy_start(entry=entry)
    copy.title, copy.aliases = "Guardrail Systems", "output filters"
    copy.save()

    assert suggested(client, "output") == []
    assert suggested(client, "guardrail") == ["Guardrails"]

    working_copy_publish(copy=copy)

    assert suggested(client, "output") == ["Guardrail Systems"]
    assert suggested(client, "safety") == []


def test_a_term_published_after_a_suggestion_was_answered_is_suggested_next_time(client):
    draft = TermFactory(title="Zero-Shot Learning", status=Term.Status.DRAFT)
    assert suggested(client, "zero") == []

    term_publish(term=draft)

    assert suggested(client, "zero") == ["Zero-Shot Learning"]


def test_an_import_that_renames_a_term_and_adds_one_changes_the_suggestions(client):
    TermFactory(title="Vector Store", slug="vector-store")
    exported = glossary_export()
    [record] = exported["terms"]
    record.update(title="Vector Database", aliases=["vector index"])
    exported["terms"].append({**record, "slug": "vertex-ai", "title": "Vertex AI", "aliases": []})

    glossary_import(data=exported)

    assert suggested(client, "ve") == ["Vector Database", "Vertex AI"]
    assert suggested(client, "vector st") == []
    assert suggested(client, "vector ind") == ["Vector Database"]


def test_a_deleted_term_is_no_longer_suggested(client):
    TermFactory(title="Beam Search").delete()

    assert suggested(client, "beam") == []


def test_text_with_no_letter_or_digit_suggests_nothing(client):
    TermFactory(title="A-Star Search")

    assert suggested(client, "--") == []


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "me\x00c"}, "q"),
        ({"q": "mec", "limit": "0"}, "limit"),
        ({"q": "mec", "limit": "9"}, "limit"),
        ({"q": "mec", "limit": "many"}, "limit"),
        ({"q": "mec", "limit": ""}, "limit"),
        ({"q": "mec", "search": "mec"}, "search"),
    ],
)
def test_a_bad_request_is_a_400_naming_the_parameter(client, params, parameter):
    response = client.get(SUGGEST, params)

    assert response.status_code == 400
    assert parameter in response.json()


def test_suggestions_are_public_and_cacheable(client):
    TermFactory(title="Mechanism Design")

    response = client.get(SUGGEST, {"q": "mec"})

    assert "public" in response["Cache-Control"]
    assert "max-age" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_cached_answer_is_replaced_as_soon_as_a_term_is_published(
    client, settings, django_assert_num_queries
):
    settings.API_RESPONSE_CACHE = True
    SiteSettings.load()  # stored, as after the first page view: reading it inserts nothing
    draft = TermFactory(title="Zero-Shot Learning", status=Term.Status.DRAFT)
    path = f"{SUGGEST}?q=zero"
    assert cached(client, path, django_assert_num_queries).json()["results"] == []

    term_publish(term=draft)

    assert [item["title"] for item in client.get(path).json()["results"]] == ["Zero-Shot Learning"]
