"""The writing checks: each fires just past its boundary and stays quiet at it."""

import pytest

from terms.writing_checks import (
    Citation,
    EntryText,
    considerations_repeat,
    definition_too_short,
    no_related_terms,
    questions_without_question_mark,
    references_out_of_date,
    summary_too_long,
    why_it_matters_names_no_business_value,
    writing_warnings,
)


def words(count: int) -> str:
    return " ".join(f"word{number}" for number in range(count))


def test_a_definition_of_39_words_is_too_short_and_says_how_many_it_has():
    warning = definition_too_short(EntryText(definition=words(39)))
    assert warning.startswith("The definition has 39 words; readers need at least 40")


def test_a_definition_of_40_words_is_long_enough():
    assert definition_too_short(EntryText(definition=words(40))) is None


def test_markdown_punctuation_is_not_counted_as_words():
    assert "has 3 words" in definition_too_short(EntryText(definition="**Bold** _and_ `code`"))


@pytest.mark.parametrize(
    "text",
    [
        "It cuts costs.",
        "Regulators expect it.",
        "It lowers the RISK of a bad launch.",
        "Customers trust it more.",
        "It pays back: a clear ROI.",
        "Teams become more productive.",
    ],
)
def test_why_it_matters_with_a_business_word_passes(text):
    assert why_it_matters_names_no_business_value(EntryText(why_it_matters=text)) is None


def test_why_it_matters_without_a_business_word_is_flagged_with_examples_of_what_to_say():
    warning = why_it_matters_names_no_business_value(
        EntryText(why_it_matters="It is an interesting idea that researchers like.")
    )
    assert "names no business value" in warning and "cost, revenue, risk" in warning


def test_roi_is_a_whole_word_not_the_start_of_another():
    entry = EntryText(why_it_matters="Models roil the field.")
    assert why_it_matters_names_no_business_value(entry) is not None


def test_a_summary_of_160_characters_fits_and_161_is_too_long():
    assert summary_too_long(EntryText(summary="x" * 160)) is None
    warning = summary_too_long(EntryText(summary="x" * 161))
    assert "161 characters" in warning and "after 160" in warning


def test_two_considerations_that_nearly_repeat_each_other_are_named():
    entry = EntryText(
        considerations=(
            "Audit the training data for bias.",
            "Audit the training data for biases.",
            "Budget for ongoing monitoring.",
        )
    )
    warning = considerations_repeat(entry)
    assert "“Audit the training data for bias.”" in warning
    assert "“Audit the training data for biases.”" in warning


def test_different_considerations_are_not_flagged():
    entry = EntryText(
        considerations=(
            "Audit the training data for bias.",
            "Budget for ongoing monitoring.",
            "Agree who signs off a release.",
        )
    )
    assert considerations_repeat(entry) is None


def test_considerations_identical_but_for_case_are_the_models_to_refuse_not_a_warning():
    entry = EntryText(considerations=("Audit the data.", "audit  the data."))
    assert considerations_repeat(entry) is None


def test_an_faq_question_without_a_question_mark_is_quoted():
    entry = EntryText(faq_questions=("What does it cost?", "How long it takes"))
    assert questions_without_question_mark(entry) == (
        "Write each common question as a question, ending with “?”: “How long it takes”."
    )


def test_faq_questions_ending_with_a_question_mark_pass():
    entry = EntryText(faq_questions=("What does it cost?", "How long does it take? "))
    assert questions_without_question_mark(entry) is None


def test_a_six_year_old_reference_in_a_fast_moving_category_is_out_of_date():
    entry = EntryText(
        citations=(Citation("Old survey", 2020), Citation("New survey", 2025)),
        fast_moving=True,
        this_year=2026,
    )
    warning = references_out_of_date(entry)
    assert "“Old survey” (2020)" in warning and "New survey" not in warning


def test_a_five_year_old_reference_is_still_recent_enough():
    entry = EntryText(citations=(Citation("Survey", 2021),), fast_moving=True, this_year=2026)
    assert references_out_of_date(entry) is None


def test_old_references_in_a_slow_moving_category_pass():
    entry = EntryText(citations=(Citation("Classic", 1990),), fast_moving=False, this_year=2026)
    assert references_out_of_date(entry) is None


def test_a_reference_without_a_year_is_not_judged_by_age():
    entry = EntryText(citations=(Citation("Undated", None),), fast_moving=True, this_year=2026)
    assert references_out_of_date(entry) is None


def test_no_related_terms_is_flagged_and_one_is_enough():
    assert no_related_terms(EntryText(related_count=0)).startswith("No related terms")
    assert no_related_terms(EntryText(related_count=1)) is None


def test_a_well_written_entry_has_no_warnings():
    entry = EntryText(
        definition=words(60),
        summary="A short summary.",
        why_it_matters="It lowers the cost of mistakes.",
        considerations=("Audit the data.", "Budget for monitoring.", "Agree sign-off."),
        faq_questions=("What does it cost?",),
        citations=(Citation("Survey", 2024),),
        related_count=2,
        this_year=2026,
    )
    assert writing_warnings(entry) == []
