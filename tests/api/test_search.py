"""Search: ?search= finds terms by title, alias and summary (and, on PostgreSQL, by
definition and despite misspellings), best matches first."""

import pytest
from django.db import connection

from terms.models import Term
from terms.services import term_archive

from ..factories import TermFactory

pytestmark = pytest.mark.django_db

TERMS = "/api/v1/terms/"
on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the plain search used where PostgreSQL is not"
)

GLOSSARY = [  # title, aliases, summary, definition
    (
        "Mechanistic Interpretability",
        "mech interp",
        "Reverse-engineering what a neural network computes.",
        "The study of the internal mechanisms of neural networks.",
    ),
    (
        "Retrieval-Augmented Generation",
        "RAG",
        "Grounding a model's answers in documents it retrieves.",
        "A pattern that fetches passages before generating.",
    ),
    (
        "Large Language Model",
        "LLM",
        "A model trained on text to predict the next token.",
        "A very large neural network.",
    ),
    (
        "Explainability",
        "XAI",
        "Making model decisions understandable to people.",
        "Interpretability methods help explain individual decisions.",
    ),
    (
        "Fine-Tuning",
        "",
        "Further training of a pretrained model on a narrower dataset.",
        "Adjusting weights.",
    ),
    (
        "Hallucination",
        "confabulation",
        "A fluent answer that facts do not support.",
        "Wrong output stated with confidence.",
    ),
    ("Prompt Engineering", "", "Writing inputs that steer a model's output.", "Crafting."),
    ("Embedding", "vector representation", "A list of numbers that captures meaning.", "Vectors."),
    ("Red Teaming", "", "Attacking a system to find its failures first.", "Adversarial testing."),
    ("Model Card", "", "A short document on a model's intended use and limits.", "Documentation."),
]


@pytest.fixture(autouse=True)
def glossary():
    for title, aliases, summary, definition in GLOSSARY:
        TermFactory(title=title, aliases=aliases, summary=summary, definition=definition)


def search(client, query: str, **params) -> list[str]:
    response = client.get(TERMS, {"search": query, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"])
    return [item["title"] for item in body["results"]]


# On every database ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("EXPLAINABILITY", "Explainability"),  # title, any case
        ("llm", "Large Language Model"),  # alias
        ("Confabulation", "Hallucination"),  # alias
        ("grounding", "Retrieval-Augmented Generation"),  # summary
    ],
)
def test_search_finds_a_term_by_title_alias_or_summary_in_any_case(client, query, found):
    assert search(client, query)[0] == found


def test_title_matches_come_before_summary_matches(client):
    found = search(client, "model")
    assert set(found[:2]) == {"Model Card", "Large Language Model"}
    assert len(found) > 2
    assert not any("Model" in title for title in found[2:])


def test_a_query_matching_nothing_gives_an_empty_page(client):
    response = client.get(TERMS, {"search": "zzxqjv"})
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_search_combines_with_the_other_filters(client):
    assert search(client, "model", letter="M") == ["Model Card"]


def test_ordering_by_title_overrides_relevance(client):
    by_relevance = search(client, "model")
    assert search(client, "model", ordering="relevance") == by_relevance
    assert search(client, "model", ordering="title") == sorted(by_relevance)


def test_search_in_a_category_finds_only_that_categorys_terms(client):
    other = TermFactory(title="Model Governance", summary="Who decides how a model is used.")

    found = search(client, "model", category=other.category.slug)

    assert found == ["Model Governance"]


# Committed for real: counts are kept per content change, which moves on commit (see
# test_response_cache.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_term_taken_off_the_site_leaves_the_search_results_and_their_count(client):
    card = Term.objects.get(title="Model Card")
    assert "Model Card" in search(client, "model")

    term_archive(term=card)

    assert "Model Card" not in search(client, "model")  # search() also checks the count


def test_search_pages_follow_on_without_gaps_or_repeats(client):
    everything = search(client, "model")
    first = client.get(TERMS, {"search": "model", "page_size": 2}).json()
    second = client.get(TERMS, {"search": "model", "page_size": 2, "page": 2}).json()

    assert first["count"] == second["count"] == len(everything) > 3
    titles = [item["title"] for item in first["results"] + second["results"]]
    assert titles == everything[: len(titles)]


def test_white_space_around_and_inside_the_query_does_not_matter(client):
    assert search(client, "  large   language  model ") == search(client, "large language model")


# The plain search (SQLite) -------------------------------------------------------------


@on_sqlite
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("INTERPRET", ["Mechanistic Interpretability"]),
        ("Mech Interp", ["Mechanistic Interpretability"]),
        ("reverse-ENGINEERING", ["Mechanistic Interpretability"]),
    ],
)
def test_the_plain_search_is_a_case_insensitive_substring_match(client, query, expected):
    assert search(client, query) == expected


@on_sqlite
def test_the_plain_search_ranks_exact_then_leading_then_other_title_matches_first(client):
    TermFactory(title="Model", summary="A simplified description.")
    assert search(client, "model") == [
        "Model",  # the whole title
        "Model Card",  # the start of the title
        "Large Language Model",  # inside the title
        "Explainability",  # summaries, by title
        "Fine-Tuning",
        "Prompt Engineering",
        "Retrieval-Augmented Generation",
    ]


@on_sqlite
def test_the_plain_search_does_not_read_definitions(client):
    assert search(client, "adversarial") == []


# PostgreSQL: full text, weighted, typo tolerant ----------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("mechanstic interpretabilty", "Mechanistic Interpretability"),
        ("interpretabilty", "Mechanistic Interpretability"),
        ("retreival", "Retrieval-Augmented Generation"),
        ("halucination", "Hallucination"),
        ("LLM", "Large Language Model"),
    ],
)
def test_a_misspelt_or_abbreviated_query_finds_the_term_first(client, query, first):
    assert search(client, query)[0] == first


@pytest.mark.postgres
def test_a_title_match_outranks_a_definition_only_match(client):
    assert search(client, "interpretability") == [
        "Mechanistic Interpretability",  # title
        "Explainability",  # definition only
    ]


@pytest.mark.postgres
def test_full_text_search_reads_definitions_and_word_stems(client):
    assert search(client, "adversarial") == ["Red Teaming"]
    assert search(client, "attacks") == ["Red Teaming"]


@pytest.mark.postgres
def test_a_query_of_stop_words_or_symbols_finds_nothing_without_an_error(client):
    for query in ("the", "& | !", "'"):
        assert search(client, query) == []
