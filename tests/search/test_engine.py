"""The search engine's own promises: its copies of the glossary hold exactly what readers
may see, and its typo tolerance measures likeness as PostgreSQL's pg_trgm does."""

import pytest
from django.db import connection

from terms.models import Term
from terms.search.engine import TrigramIndex, search, similarity, trigrams
from terms.services import glossary_export, glossary_import, term_archive, term_publish

from ..factories import TermFactory

pytestmark = pytest.mark.django_db


def searchable_ids() -> set[int]:
    """The terms the search copies hold (SQLite: both FTS5 tables agree, or this fails)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT term_id FROM terms_term_search")
            return {term_id for (term_id,) in cursor.fetchall()}
        cursor.execute("SELECT rowid FROM terms_term_fts")
        ranked = {term_id for (term_id,) in cursor.fetchall()}
        cursor.execute("SELECT rowid FROM terms_term_words")
        assert {term_id for (term_id,) in cursor.fetchall()} == ranked
        return ranked


def published_ids() -> set[int]:
    return set(Term.objects.published().values_list("pk", flat=True))


def test_the_search_copies_hold_the_published_terms_through_every_change():
    drafts = [TermFactory(status=Term.Status.DRAFT) for _ in range(2)]
    live = TermFactory(status=Term.Status.PUBLISHED)
    TermFactory(status=Term.Status.REVIEW)
    assert searchable_ids() == published_ids() == {live.pk}

    term_publish(term=drafts[0])
    term_archive(term=live)
    drafts[1].delete()
    assert searchable_ids() == published_ids() == {drafts[0].pk}

    exported = glossary_export()
    for term in exported["terms"]:
        term["status"] = "published"
    glossary_import(data=exported)
    assert searchable_ids() == published_ids()
    assert len(published_ids()) == 3

    Term.objects.filter(pk=drafts[0].pk).update(status=Term.Status.DRAFT)
    assert searchable_ids() == published_ids()


def test_an_edited_published_term_is_found_by_its_new_words_only():
    term = TermFactory(status=Term.Status.PUBLISHED, definition="About walruses.")
    term.definition = "About narwhals."
    term.save()
    published = Term.objects.published()

    assert list(search("narwhals", within=published)[0:5]) == [term]
    assert list(search("walruses", within=published, exact=True)[0:5]) == []


def test_trigram_similarity_is_pg_trgm_s_measure():
    pairs = [
        ("interpretabilty", "interpretability"),
        ("halucination", "hallucination"),
        ("retreival", "retrieval"),
        ("Fine-Tuning", "finetuning"),
        ("llm", "llms"),
        ("ai", "agent"),
    ]
    ours = [round(similarity(trigrams(a), trigrams(b)), 4) for a, b in pairs]
    if connection.vendor != "postgresql":
        assert ours[0] > 0.6 and ours[-1] < 0.3  # what PostgreSQL says is checked there
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT round(similarity(a, b)::numeric, 4)::float FROM unnest(%s::text[], %s::text[])"
            " AS pair (a, b)",
            [[a for a, _ in pairs], [b for _, b in pairs]],
        )
        assert ours == [value for (value,) in cursor.fetchall()]


def test_the_closest_word_is_the_most_similar_then_the_most_used():
    index = TrigramIndex({"interpretability": 3, "interpretable": 9, "model": 20, "models": 1})
    assert index.closest("interpretabilty", 3) == ["interpretability", "interpretable"]
    assert index.closest("interpretabel", 1) == ["interpretable"]
    assert index.closest("modl", 3) == ["model", "models"]  # as similar: the more used first
    assert index.closest("zebra", 3) == []
    assert "model" in index and "modelling" not in index
