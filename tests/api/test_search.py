"""Search: ?search= finds terms by title, alias and summary (and, on PostgreSQL, by
definition and despite misspellings), best matches first."""

import pytest
from django.db import connection
from django.test import Client

from terms.models import Term
from terms.services import glossary_export, glossary_import, term_archive

from ..factories import TermFactory
from ..helpers.pages import get_page, listed

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


# What the public cannot see does not steer search --------------------------------------

# Misspellings first: each is corrected to the closest word the published glossary uses.
PROBES = [
    "mechanstic interpretabilty",
    "interpretabilty",
    "halucination",
    "retreival",
    "neurl",
    "interpretability",
    "model",
    "neural network",
    "quokka",
    "zygomorphic",
    "zygomorphc",
]
# A term that uses each misspelling above as a word of its own, and words nobody else uses.
SECRET = {
    "title": "Zygomorphic Quokka",
    "slug": "zygomorphic-quokka",
    "aliases": "mechanstic interpretabilty",
    "summary": "Halucination, retreival and neurl model notes.",
    "definition": "A quokka benchmark whose zygomorphic interpretabilty is a secret.",
}


def anonymous_results(query: str) -> dict[str, object]:
    """What an anonymous reader finds for ``query``: the API's count and titles, and the
    titles the site's search lists."""
    reader = Client()
    response = reader.get(TERMS, {"search": query})
    assert response.status_code == 200, response.content
    body = response.json()
    _html, page = get_page(reader, "/glossary/", {"q": query})
    return {
        "api": (body["count"], [item["title"] for item in body["results"]]),
        "site": listed(page),
    }


def every_probe() -> dict[str, dict]:
    return {query: anonymous_results(query) for query in PROBES}


@pytest.mark.parametrize("status", [Term.Status.DRAFT, Term.Status.REVIEW, Term.Status.ARCHIVED])
def test_an_unpublished_term_created_then_deleted_changes_no_anonymous_search(status):
    before = every_probe()
    assert before["interpretability"]["site"][0] == "Mechanistic Interpretability"

    secret = TermFactory(status=status, **SECRET)
    while_it_exists = every_probe()
    secret.delete()

    assert while_it_exists == before
    assert every_probe() == before


@pytest.mark.parametrize("off_the_site", ["archived", "back to draft", "to review", "deleted"])
def test_a_term_published_then_taken_off_the_site_leaves_every_anonymous_search_as_before(
    off_the_site,
):
    before = every_probe()

    secret = TermFactory(status=Term.Status.PUBLISHED, **SECRET)
    assert anonymous_results("quokka")["site"] == ["Zygomorphic Quokka"]
    if off_the_site == "archived":
        term_archive(term=secret)
    elif off_the_site == "deleted":
        secret.delete()
    else:
        secret.status = Term.Status.DRAFT if off_the_site == "back to draft" else Term.Status.REVIEW
        secret.save()

    assert every_probe() == before


@pytest.mark.postgres
def test_a_misspelling_that_a_draft_uses_as_a_word_still_finds_the_published_term():
    expected = {
        "api": (1, ["Mechanistic Interpretability"]),
        "site": ["Mechanistic Interpretability"],
    }
    assert anonymous_results("mechanstic interpretabilty") == expected

    draft = TermFactory(status=Term.Status.DRAFT, **SECRET)
    assert anonymous_results("mechanstic interpretabilty") == expected
    draft.delete()
    assert anonymous_results("mechanstic interpretabilty") == expected


@pytest.mark.postgres
def test_misspellings_are_corrected_before_and_after_drafts_come_and_go():
    """The comparisons above are not of empty results: the misspelt probes find terms."""
    found = every_probe()
    for query, first in [
        ("interpretabilty", "Mechanistic Interpretability"),
        ("halucination", "Hallucination"),
        ("retreival", "Retrieval-Augmented Generation"),
        ("neurl", "Mechanistic Interpretability"),
    ]:
        assert found[query]["site"][0] == first, query
        assert found[query]["api"][1][0] == first, query


@pytest.mark.postgres
def test_once_an_editor_fixes_a_typo_searching_for_the_typo_is_corrected_again():
    typo = TermFactory(
        title="Probing", summary="Reading a model's internals.", definition="Tests interpretabilty."
    )
    assert search(Client(), "interpretabilty") == ["Probing"]  # the typo is a word it used

    typo.definition = "Tests interpretability."
    typo.save()

    assert search(Client(), "interpretabilty") == [
        "Mechanistic Interpretability",
        "Explainability",
        "Probing",
    ]


@pytest.mark.postgres
def test_an_import_corrects_misspellings_to_its_published_words_only():
    exported = glossary_export()
    draft = {
        **SECRET,
        "aliases": [SECRET["aliases"]],
        "category": exported["categories"][0]["slug"],
        "status": "draft",
    }
    published = {
        "slug": "hallucination-rate",
        "title": "Hallucination Rate",
        "category": exported["categories"][0]["slug"],
        "status": "published",
        "summary": "How often answers are made up.",
        "definition": "The share of fabricated answers.",
    }
    exported["terms"] += [draft, published]
    before = every_probe()

    glossary_import(data=exported)

    assert anonymous_results("mechanstic interpretabilty") == before["mechanstic interpretabilty"]
    assert search(Client(), "fabricatd") == ["Hallucination Rate"]
