"""Related terms suggested to editors (terms.search.related): published entries whose
text is like a term's, on both databases alike (the similarity is computed in Python)."""

import pytest

from terms.models import Term
from terms.search.related import MIN_SCORE, related_suggestions, words_of
from terms.services import working_copy_start

from ..factories import TermFactory
from ..helpers.related_terms import alike_glossary

pytestmark = pytest.mark.django_db


def titles(suggestions) -> list[str]:
    return [suggestion.term.title for suggestion in suggestions]


def test_a_term_about_vector_embeddings_is_suggested_embedding_and_vector_database():
    glossary = alike_glossary()

    suggestions = related_suggestions(glossary["Semantic Search"])

    assert sorted(titles(suggestions)) == ["Embedding", "Vector Database"]
    assert all(suggestion.score >= MIN_SCORE for suggestion in suggestions)
    assert [suggestion.score for suggestion in suggestions] == sorted(
        (suggestion.score for suggestion in suggestions), reverse=True
    )
    for suggestion in suggestions:
        assert {"embedding", "vector"} & set(suggestion.shared_words)


def test_no_draft_archived_or_in_review_term_is_suggested_however_alike():
    glossary = alike_glossary()
    for status in (Term.Status.DRAFT, Term.Status.ARCHIVED, Term.Status.REVIEW):
        TermFactory(
            title=f"Embedding Vectors ({status})",
            status=status,
            summary="Vector embeddings: the meaning of documents as nearest vectors.",
            definition=glossary["Semantic Search"].definition,
        )

    assert sorted(titles(related_suggestions(glossary["Semantic Search"]))) == [
        "Embedding",
        "Vector Database",
    ]


def test_a_term_is_never_suggested_for_itself_nor_terms_it_already_relates_to():
    glossary = alike_glossary(status=Term.Status.PUBLISHED)
    semantic_search = glossary["Semantic Search"]
    assert "Semantic Search" in titles(related_suggestions(glossary["Vector Database"]))

    semantic_search.related.add(glossary["Embedding"])

    assert titles(related_suggestions(semantic_search)) == ["Vector Database"]


def test_a_working_copy_is_not_suggested_its_live_entry_and_the_entry_not_its_copy():
    glossary = alike_glossary(status=Term.Status.PUBLISHED)
    entry = glossary["Vector Database"]
    copy = working_copy_start(entry=entry)

    assert "Vector Database" not in titles(related_suggestions(copy))
    assert sorted(titles(related_suggestions(copy))) == ["Embedding", "Semantic Search"]
    for term in glossary.values():
        assert all(suggestion.term.pk != copy.pk for suggestion in related_suggestions(term))


def test_a_term_sharing_no_words_with_the_glossary_gets_no_suggestion():
    alike_glossary()
    zebra = TermFactory(
        title="Zebra Crossing",
        status=Term.Status.DRAFT,
        summary="Stripes painted across a road where walkers go first.",
        definition="Drivers stop for pedestrians at the stripes.",
        why_it_matters="",
    )

    assert related_suggestions(zebra) == []


def test_a_term_sharing_only_a_word_in_passing_gets_no_suggestion_rather_than_noise():
    alike_glossary()
    budget = TermFactory(
        title="AI Budget",
        status=Term.Status.DRAFT,
        summary="What a company plans to spend on AI projects each year.",
        definition="The budget covers staff, licences and cloud costs; a search for savings "
        "starts here.",
        why_it_matters="",
    )

    assert related_suggestions(budget) == []


def test_at_most_five_are_suggested_best_first():
    glossary = alike_glossary()
    for number in range(7):
        TermFactory(
            title=f"Embedding Model {number}",
            summary=f"A model that turns documents into vector embeddings, version {number}.",
            definition="It maps each document to an embedding vector for semantic search.",
        )

    suggestions = related_suggestions(glossary["Semantic Search"])

    assert len(suggestions) == 5


def test_words_are_compared_without_case_plurals_stop_words_numbers_or_link_targets():
    assert words_of("The Embeddings of LLMs answer queries in 2024") == [
        "embedding",
        "llm",
        "answer",
        "query",
    ]
    assert words_of("See [the guide](https://example.org/guides) and [RAG](term:12).") == [
        "guide",
        "rag",
    ]
    assert words_of("classes, biases, analysis, corpus, boxes") == [
        "class",
        "bias",
        "analysis",
        "corpus",
        "box",
    ]


def test_suggestions_take_three_queries_however_large_the_glossary(django_assert_num_queries):
    glossary = alike_glossary()
    semantic_search = glossary["Semantic Search"]
    semantic_search.related.add(glossary["Overfitting"], glossary["Red Teaming"])
    for number in range(20):
        TermFactory(title=f"Filler {number}")

    # The published text (once per content change; here every time, as this test's
    # transaction changed content), the terms already related, the suggested terms.
    with django_assert_num_queries(3):
        assert len(related_suggestions(semantic_search)) == 2
