"""The seven parts of an entry: the score, what to do about a missing part, and the Python
rules agreeing with the database ones the term list and dashboard use."""

import pytest

from terms.completeness import (
    ANYTHING_MISSING,
    PART_TOTAL,
    PARTS,
    annotate_completeness,
    completeness_of,
    missing_parts,
)
from terms.models import FAQ, Term

from ..factories import (
    CategoryFactory,
    FAQFactory,
    KeyConsiderationFactory,
    TermFactory,
    TermReferenceFactory,
)

pytestmark = pytest.mark.django_db


def full_entry(**fields) -> Term:
    term = TermFactory(**fields)
    for number in range(3):
        KeyConsiderationFactory(term=term, text=f"Point {number}")
    FAQFactory(term=term)
    TermReferenceFactory(term=term)
    term.related.add(TermFactory())
    return term


def test_a_full_entry_scores_seven_of_seven():
    completeness = completeness_of(full_entry())
    assert str(completeness) == "7/7"
    assert completeness.missing == []


@pytest.mark.parametrize(
    ("take_away", "missing_key", "to_do"),
    [
        (lambda term: setattr(term, "definition", ""), "definition", "Write the definition"),
        (lambda term: setattr(term, "summary", "  "), "summary", "Write a summary"),
        (lambda term: setattr(term, "why_it_matters", "\n"), "why", "Write “why it matters"),
        (
            lambda term: term.key_considerations.first().delete(),
            "considerations",
            "Add at least 3 key considerations (2 so far).",
        ),
        (lambda term: term.faqs.all().delete(), "faq", "Add at least one common question"),
        (lambda term: term.citations.all().delete(), "reference", "Cite at least one reference"),
        (lambda term: term.related.clear(), "related", "Pick at least one related term"),
    ],
)
def test_each_missing_part_lowers_the_score_by_one_and_says_what_to_do(
    take_away, missing_key, to_do
):
    term = full_entry(status=Term.Status.DRAFT)  # a published term needs its definition
    take_away(term)
    term.save()

    completeness = completeness_of(Term.objects.get(pk=term.pk))

    assert completeness.score == PART_TOTAL - 1
    [(part, advice)] = completeness.missing
    assert part.key == missing_key
    assert advice.startswith(to_do)


def test_faqs_shared_by_the_category_do_not_count_as_the_terms_own():
    category = CategoryFactory()
    FAQ.objects.create(category=category, question="Shared?", answer="Yes.")
    term = TermFactory(category=category)
    assert "faq" in [part.key for part in missing_parts(term)]


def varied_terms() -> list[Term]:
    """Terms with every part there, none, and each on its own boundary."""
    bare = TermFactory(
        title="Bare", definition="", summary="", why_it_matters="", status=Term.Status.DRAFT
    )
    two = TermFactory(title="Two considerations", why_it_matters="   ")
    for number in range(2):
        KeyConsiderationFactory(term=two, text=f"Point {number}")
    with_faq = TermFactory(title="FAQ only", summary=" \t")
    FAQFactory(term=with_faq)
    cited = TermFactory(title="Cited and related")
    TermReferenceFactory(term=cited)
    cited.related.add(bare)
    return [full_entry(title="Full"), bare, two, with_faq, cited]


def test_the_database_rules_agree_with_the_python_rules_part_by_part():
    varied_terms()
    terms = list(Term.objects.all())  # with the terms they are related to
    annotated = annotate_completeness(Term.objects.all())

    for part in PARTS:
        in_python = {term.title for term in terms if part in missing_parts(term)}
        in_database = set(annotated.filter(part.missing).values_list("title", flat=True))
        assert in_database == in_python, part.key
    scores = dict(annotated.values_list("title", "completeness_score"))
    assert scores == {term.title: completeness_of(term).score for term in terms}
    assert scores["Full"] == 7 and scores["Bare"] == 0
    anything = set(annotated.filter(ANYTHING_MISSING).values_list("title", flat=True))
    assert anything == {term.title for term in terms if missing_parts(term)}


def test_the_python_rules_read_the_annotations_of_a_listed_term_without_a_query(
    django_assert_num_queries,
):
    varied_terms()
    listed = list(annotate_completeness(Term.objects.all()))
    with django_assert_num_queries(0):
        scores = [completeness_of(term).score for term in listed]
    assert scores == [term.completeness_score for term in listed]
