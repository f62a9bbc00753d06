"""Search, on every database: ?search= (and the site's ?q=) finds published terms by
title, alias, summary and definition, by stem and despite misspellings, best matches first.
Where the two databases may differ, the test says so and why."""

import pytest
from django.test import Client

from terms.models import Term
from terms.services import glossary_export, glossary_import, term_archive

from ..factories import TermFactory
from ..helpers.pages import get_page, listed

pytestmark = pytest.mark.django_db

TERMS = "/api/v1/terms/"

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


# Finding ----------------------------------------------------------------------------------


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
    assert response.json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
        "search_corrected_to": None,
        "search_suggestions": [],
    }


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


# Reading what the reader meant ---------------------------------------------------------


def search_response(client, query: str, **params) -> dict:
    response = client.get(TERMS, {"search": query, **params})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    "query", ["fine tuning", "fine-tuning", "Fine-Tuning", "finetuning", "FINETUNING"]
)
def test_two_words_hyphenated_or_run_together_find_the_same_term(client, query):
    assert search(client, query)[0] == "Fine-Tuning"


def test_a_word_run_together_is_searched_for_as_two_and_the_response_says_so(client):
    body = search_response(client, "finetuning")
    assert body["search_corrected_to"] == "fine tuning"


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("LLMs", "Large Language Model"),  # the plural of an alias
        ("large language models", "Large Language Model"),
        ("embeddings", "Embedding"),
        ("hallucinations", "Hallucination"),
        ("model cards", "Model Card"),
    ],
)
def test_a_plural_finds_the_singular_without_being_called_a_correction(client, query, first):
    body = search_response(client, query)
    assert body["results"][0]["title"] == first
    assert body["search_corrected_to"] is None


def test_an_acronym_ranks_the_term_whose_alias_it_is_first(client):
    TermFactory(
        title="Vector Database",
        summary="Storage for embeddings that RAG pipelines query.",
        definition="RAG systems read from it; so do RAG evaluations.",
    )
    assert search(client, "RAG") == ["Retrieval-Augmented Generation", "Vector Database"]


def test_an_exact_title_comes_before_longer_titles_that_contain_it(client):
    TermFactory(title="Model", summary="A simplified description of a system.")
    found = search(client, "model")
    assert found[0] == "Model"
    assert set(found[1:3]) == {"Model Card", "Large Language Model"}


def test_words_only_in_a_definition_find_the_term_by_their_stem(client):
    assert search(client, "adversarial") == ["Red Teaming"]
    assert search(client, "attacks") == ["Red Teaming"]  # summary: "Attacking a system"
    assert search(client, "internal mechanisms") == ["Mechanistic Interpretability"]


def test_every_word_must_match_but_english_stop_words_are_ignored(client):
    assert search(client, "what is the RAG") == ["Retrieval-Augmented Generation"]
    assert search(client, "grounding tokens") == []  # no term has both


@pytest.mark.parametrize(
    "query", ["the", "& | !", "'", '"', '"unbalanced', "NEAR(a b)", "title:model", "*", "a OR"]
)
def test_search_syntax_or_stop_words_alone_never_cause_an_error(client, query):
    body = search_response(client, query)
    assert all("title" in item for item in body["results"])  # a 200 with a well-formed page


def test_misspelt_words_are_corrected_and_the_response_says_to_what(client):
    body = search_response(client, "mechanstic interpretabilty")
    assert body["search_corrected_to"] == "mechanistic interpretability"
    assert [item["title"] for item in body["results"]] == ["Mechanistic Interpretability"]


def test_words_the_glossary_uses_are_not_corrected(client):
    body = search_response(client, "Large Language Model")
    assert body["search_corrected_to"] is None


def test_search_exact_runs_the_words_as_typed(client):
    body = search_response(client, "mechanstic interpretabilty", search_exact="true")
    assert body["count"] == 0
    assert body["search_corrected_to"] is None


def test_search_exact_must_be_true_or_false(client):
    response = client.get(TERMS, {"search": "model", "search_exact": "maybe"})
    assert response.status_code == 400
    assert list(response.json()) == ["search_exact"]


def test_a_search_that_finds_nothing_suggests_the_closest_titles(client):
    body = search_response(client, "prompt engineers handbook")
    assert body["count"] == 0
    suggested = [item["title"] for item in body["search_suggestions"]]
    assert suggested[0] == "Prompt Engineering"
    slug = Term.objects.get(title="Prompt Engineering").slug
    assert body["search_suggestions"][0]["url"].endswith(f"/api/v1/terms/{slug}/")


def test_a_search_that_finds_something_suggests_nothing(client):
    assert search_response(client, "prompt")["search_suggestions"] == []


# The site says what it searched for ------------------------------------------------------


def test_the_site_says_which_words_it_searched_for_and_links_to_the_words_as_typed(client):
    _html, page = get_page(client, "/glossary/", {"q": "mechanstic interpretabilty"})

    assert listed(page) == ["Mechanistic Interpretability"]
    [notice] = page.by_class["search-corrected"]
    assert notice.read() == (
        "Showing results for mechanistic interpretability. "
        "Search instead for mechanstic interpretabilty"
    )
    _html, exact = get_page(client, "/glossary/" + notice.hrefs[0])
    assert listed(exact) == []
    assert "search-corrected" not in exact.by_class


def test_the_site_offers_the_closest_titles_when_nothing_is_found(client):
    _html, page = get_page(client, "/glossary/", {"q": "prompt engineers handbook"})

    [empty] = page.by_class["empty"]
    assert empty.read().startswith("No terms match. Did you mean Prompt Engineering")
    assert empty.hrefs[0] == Term.objects.get(title="Prompt Engineering").get_absolute_url()


# Misspellings ----------------------------------------------------------------------------


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


def test_a_title_match_outranks_a_definition_only_match(client):
    assert search(client, "interpretability") == [
        "Mechanistic Interpretability",  # title
        "Explainability",  # definition only
    ]


def test_full_text_search_reads_definitions_and_word_stems(client):
    assert search(client, "adversarial") == ["Red Teaming"]
    assert search(client, "attacks") == ["Red Teaming"]


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


def test_once_an_editor_fixes_a_typo_searching_for_the_typo_is_corrected_again():
    typo = TermFactory(
        title="Probing", summary="Reading a model's internals.", definition="Tests interpretabilty."
    )
    assert search(Client(), "interpretabilty") == ["Probing"]  # the typo is a word it used

    typo.definition = "Tests interpretability."
    typo.save()

    found = search(Client(), "interpretabilty")
    assert found[0] == "Mechanistic Interpretability"  # the title
    # Both mention it in the definition only: PostgreSQL ranks definitions alike (then by
    # title), SQLite's bm25 ranks the shorter definition first.
    assert set(found[1:]) == {"Explainability", "Probing"}


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
