import datetime
import threading
import time
from contextlib import nullcontext

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from terms.models import FAQ, FormerSlug, KeyConsideration, Reference, SiteSettings, Term
from terms.services import (
    GlossaryImportError,
    glossary_export,
    glossary_import,
    term_archive,
    term_publish,
)

from ..factories import (
    CategoryFactory,
    FAQFactory,
    KeyConsiderationFactory,
    ReferenceFactory,
    TermFactory,
)

pytestmark = pytest.mark.django_db


def messages_for(error: ValidationError, field: str) -> list[str]:
    return error.value.message_dict.get(field, [])


# What the database refuses on its own, whatever code path writes ----------------------


def test_database_refuses_two_terms_with_the_same_slug():
    TermFactory(slug="rag")
    with pytest.raises(IntegrityError), transaction.atomic():
        TermFactory(slug="rag")


def test_database_refuses_a_former_slug_recorded_for_two_terms():
    first, second = TermFactory(slug="foundation-model"), TermFactory()
    first.slug = "foundation-models"
    first.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        FormerSlug.objects.create(slug="foundation-model", term=second)


def test_a_term_may_take_a_former_slug_and_the_database_still_refuses_a_second_one():
    renamed = TermFactory(slug="foundation-model")
    renamed.slug = "foundation-models"
    renamed.save()
    TermFactory(slug="foundation-model", status=Term.Status.DRAFT)

    assert FormerSlug.objects.get(slug="foundation-model").term == renamed
    with pytest.raises(IntegrityError), transaction.atomic():
        TermFactory(slug="foundation-model")


def test_database_refuses_a_title_that_differs_only_in_case():
    TermFactory(title="Prompt Injection")
    with pytest.raises(IntegrityError), transaction.atomic():
        TermFactory(title="prompt injection")


def test_database_refuses_a_repeated_bullet_after_folding_case_and_white_space():
    term = TermFactory()
    KeyConsiderationFactory(term=term, text="Audit the model")
    with pytest.raises(IntegrityError), transaction.atomic():
        KeyConsiderationFactory(term=term, text="  audit   the MODEL ")


def test_the_same_bullet_may_appear_on_two_different_terms():
    KeyConsiderationFactory(text="Audit the model")
    KeyConsiderationFactory(text="Audit the model")
    assert KeyConsideration.objects.count() == 2


def test_database_refuses_an_faq_owned_by_both_a_term_and_a_category():
    term = TermFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        FAQ.objects.create(term=term, category=term.category, question="Q?", answer="A.")


def test_database_refuses_an_faq_owned_by_nobody():
    with pytest.raises(IntegrityError), transaction.atomic():
        FAQ.objects.create(question="Q?", answer="A.")


def test_database_refuses_an_faq_without_a_question():
    with pytest.raises(IntegrityError), transaction.atomic():
        FAQ.objects.create(term=TermFactory(), question="", answer="An answer.")


@pytest.mark.parametrize("year", [1899, 2101])
def test_database_refuses_a_reference_year_out_of_range(year):
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferenceFactory(year=year)


def test_database_refuses_a_reference_url_that_is_not_http():
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferenceFactory(url="ftp://example.org/file")


def test_database_refuses_publishing_a_term_without_a_definition():
    with pytest.raises(IntegrityError), transaction.atomic():
        TermFactory(status=Term.Status.PUBLISHED, definition="")


def test_only_one_site_settings_record_can_exist():
    SiteSettings.load()
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteSettings.objects.create(pk=2)


# What validation tells the editor, next to the field --------------------------------


def test_publishing_without_a_definition_is_explained_on_the_definition_field():
    term = TermFactory.build(category=CategoryFactory(), definition="  ", status="published")
    with pytest.raises(ValidationError) as error:
        term.full_clean()
    assert messages_for(error, "definition") == [
        "A published term needs a definition. Write one, or keep it as a draft."
    ]


def test_a_draft_may_have_an_empty_definition():
    term = TermFactory.build(category=CategoryFactory(), definition="", status="draft")
    term.full_clean()


def test_an_alias_that_is_another_terms_title_is_refused():
    TermFactory(title="Large Language Model")
    term = TermFactory.build(category=CategoryFactory(), aliases="LLM\nlarge language model")
    with pytest.raises(ValidationError) as error:
        term.full_clean()
    assert messages_for(error, "aliases") == [
        "“large language model” already names another term: “Large Language Model”."
    ]


def test_an_alias_that_is_another_terms_alias_is_refused():
    TermFactory(title="Retrieval-Augmented Generation", aliases="RAG")
    term = TermFactory.build(category=CategoryFactory(), aliases="rag")
    with pytest.raises(ValidationError) as error:
        term.full_clean()
    assert (
        "already names another term: “Retrieval-Augmented Generation”"
        in (messages_for(error, "aliases")[0])
    )


def test_an_alias_that_only_contains_another_alias_is_allowed():
    TermFactory(aliases="RAG")
    term = TermFactory.build(category=CategoryFactory(), aliases="RAG pipeline")
    term.full_clean()


def test_a_title_that_is_another_terms_alias_is_refused():
    TermFactory(title="Large Language Model", aliases="LLM")
    term = TermFactory.build(category=CategoryFactory(), title="LLM")
    with pytest.raises(ValidationError) as error:
        term.full_clean()
    assert messages_for(error, "title") == ["“LLM” is already an alias of “Large Language Model”."]


def test_aliases_are_tidied_one_per_line_without_repeats_or_the_title():
    term = TermFactory.build(
        category=CategoryFactory(),
        title="RAG Pipeline",
        aliases=" RAG \n\nrag\nrag pipeline\nRAG system",
    )
    term.full_clean()
    assert term.alias_list == ["RAG", "RAG system"]


def test_a_non_http_reference_url_is_refused_with_a_plain_message():
    reference = ReferenceFactory.build(url="javascript:alert(1)")
    with pytest.raises(ValidationError) as error:
        reference.full_clean()
    assert messages_for(error, "url") == [
        "Enter a full web address starting with http:// or https://."
    ]


def test_a_reference_year_after_next_year_is_refused():
    reference = ReferenceFactory.build(year=timezone.now().year + 2)
    with pytest.raises(ValidationError) as error:
        reference.full_clean()
    assert messages_for(error, "year") == [
        f"Enter a year between 1900 and {timezone.now().year + 1}."
    ]


def test_a_second_reference_with_the_same_url_points_the_editor_to_the_first():
    ReferenceFactory(title="AI RMF", year=2023, url="https://www.nist.gov/ai-rmf")
    duplicate = ReferenceFactory.build(url="https://www.nist.gov/ai-rmf")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert messages_for(error, "url") == [
        "“AI RMF (2023)” already has this web address. Cite that reference."
    ]


def test_an_faq_without_a_question_asks_for_one():
    faq = FAQ(term=TermFactory(), question="", answer="An answer with no question.")
    with pytest.raises(ValidationError) as error:
        faq.full_clean()
    assert messages_for(error, "question") == [
        "Every FAQ needs a question. Write the question this answer responds to."
    ]


def test_an_faq_with_two_owners_is_refused():
    term = TermFactory()
    faq = FAQ(term=term, category=term.category, question="Q?", answer="A.")
    with pytest.raises(ValidationError) as error:
        faq.full_clean()
    assert "An FAQ belongs to a term or to a category, not both." in error.value.messages


def test_a_repeated_bullet_is_refused_by_validation_too():
    term = TermFactory()
    KeyConsiderationFactory(term=term, text="Audit the model")
    repeat = KeyConsideration(term=term, text="AUDIT the model")
    with pytest.raises(ValidationError) as error:
        repeat.full_clean()
    assert "This key consideration is already listed." in error.value.messages


@pytest.mark.parametrize(
    ("heading", "shown"),
    [
        ("Need help with {term:>2000000}?", "“{term:>2000000}” is not allowed."),
        ("Need help with {0}?", "“{0}” is not allowed."),
        ("Need help with {term.__class__}?", "“{term.__class__}” is not allowed."),
        ("Need help with {topic}?", "“{topic}” is not allowed."),
        ("Need help with {{term}}?", "remove the stray “{”."),
        ("Need help with term}?", "remove the stray “}”."),
    ],
)
def test_a_default_cta_heading_with_braces_other_than_term_is_refused_naming_them(heading, shown):
    settings = SiteSettings(default_cta_heading=heading)
    with pytest.raises(ValidationError) as error:
        settings.full_clean()
    (message,) = messages_for(error, "default_cta_heading")
    assert message.startswith("Only {term} may be written in braces")
    assert message.endswith(shown)


def test_a_default_cta_text_with_a_format_spec_is_refused():
    settings = SiteSettings(default_cta_body="Let's talk about {term!r:^99999}.")
    with pytest.raises(ValidationError) as error:
        settings.full_clean()
    assert messages_for(error, "default_cta_body") == [
        "Only {term} may be written in braces (it stands for the term's title); "
        "“{term!r:^99999}” is not allowed."
    ]


def test_a_cta_using_term_as_often_as_it_likes_is_accepted():
    SiteSettings(
        default_cta_heading="{term}? {term}!", default_cta_body="Let's discuss {term}."
    ).full_clean()


def test_a_default_cta_text_over_1000_characters_is_refused():
    settings = SiteSettings(default_cta_body="Talk to us. " * 100)
    with pytest.raises(ValidationError) as error:
        settings.full_clean()
    assert messages_for(error, "default_cta_body") == [
        "Ensure this value has at most 1000 characters (it has 1200)."
    ]


@pytest.mark.parametrize(
    "name", ["AI Advisory\nBcc: everyone@example.net", "AI\rAdvisory", "AI\tAdvisory", "AI\x00"]
)
def test_an_organisation_name_with_a_line_break_or_control_character_is_refused(name):
    settings = SiteSettings(organisation_name=name)
    with pytest.raises(ValidationError) as error:
        settings.full_clean()
    assert messages_for(error, "organisation_name") == [
        "Write this on one line: line breaks, tabs and control characters are not allowed."
    ]


def test_a_terms_own_cta_follows_the_same_rules_as_the_default():
    term = TermFactory.build(
        category=CategoryFactory(), cta_heading="Help with {term:>9999}?", cta_body="x" * 1001
    )
    with pytest.raises(ValidationError) as error:
        term.full_clean()
    assert messages_for(error, "cta_heading") == [
        "Only {term} may be written in braces (it stands for the term's title); "
        "“{term:>9999}” is not allowed."
    ]
    assert messages_for(error, "cta_body") == [
        "Ensure this value has at most 1000 characters (it has 1001)."
    ]


def test_a_title_with_a_control_character_is_refused_and_line_breaks_are_folded():
    term = TermFactory.build(category=CategoryFactory(), title="Model\x07Card")
    with pytest.raises(ValidationError) as error:
        term.full_clean()
    assert messages_for(error, "title") == ["The title cannot contain control characters."]

    term.title = "Model\nCard"
    term.full_clean()
    assert term.title == "Model Card"


# Behaviour ---------------------------------------------------------------------------


def test_the_call_to_action_defaults_to_the_site_wide_wording():
    term = TermFactory(title="Mechanistic Interpretability")
    heading, body = SiteSettings.load().call_to_action(term)
    assert heading == "Need help implementing Mechanistic Interpretability?"
    assert "how Mechanistic Interpretability fits into your AI roadmap" in body


def test_a_terms_own_call_to_action_wins_over_the_default():
    term = TermFactory(cta_heading="Planning a RAG pilot?", cta_body="Talk to us.")
    assert SiteSettings.load().call_to_action(term) == ("Planning a RAG pilot?", "Talk to us.")


def test_the_call_to_action_puts_the_title_for_term_and_nothing_else():
    term = TermFactory(title="RAG", cta_body="{term}: {term}. Braces {0} stay as typed.")
    site = SiteSettings(default_cta_heading="Need help with {term}?")
    assert site.call_to_action(term) == (
        "Need help with RAG?",
        "RAG: RAG. Braces {0} stay as typed.",
    )


def test_a_default_stored_with_a_format_spec_before_the_rule_is_shown_as_typed():
    """No str.format: a width stored before validation existed cannot blow up a page."""
    site = SiteSettings(default_cta_heading="Need help with {term:>2000000}?")
    heading, _body = site.call_to_action(TermFactory(title="RAG"))
    assert heading == "Need help with {term:>2000000}?"


def test_publishing_stamps_the_first_publication_time_once():
    term = TermFactory(status=Term.Status.DRAFT)
    assert term.published_at is None
    term_publish(term=term)
    first = term.published_at
    assert first is not None
    term_archive(term=term)
    term_publish(term=term)
    assert Term.objects.get(pk=term.pk).published_at == first


def test_publishing_a_term_without_a_definition_leaves_it_a_draft():
    term = TermFactory(status=Term.Status.DRAFT, definition="")
    with pytest.raises(ValidationError):
        term_publish(term=term)
    assert Term.objects.get(pk=term.pk).status == Term.Status.DRAFT


def test_published_excludes_drafts_reviews_and_archived_terms():
    visible = TermFactory(status=Term.Status.PUBLISHED)
    for status in (Term.Status.DRAFT, Term.Status.REVIEW, Term.Status.ARCHIVED):
        TermFactory(status=status)
    assert list(Term.objects.published()) == [visible]


def test_items_of_a_term_come_in_editor_order():
    term = TermFactory()
    KeyConsiderationFactory(term=term, text="Second", position=2)
    KeyConsiderationFactory(term=term, text="First", position=1)
    FAQFactory(term=term, question="B?", position=2)
    FAQFactory(term=term, question="A?", position=1)
    assert [item.text for item in term.key_considerations.all()] == ["First", "Second"]
    assert [faq.question for faq in term.faqs.all()] == ["A?", "B?"]


def test_a_reference_cited_by_a_term_cannot_be_deleted_from_under_it():
    from django.db.models import ProtectedError

    from ..factories import TermReferenceFactory

    citation = TermReferenceFactory()
    with pytest.raises(ProtectedError):
        citation.reference.delete()
    assert Reference.objects.count() == 1


def test_timestamps_are_timezone_aware():
    term = TermFactory()
    assert term.created_at.tzinfo is not None
    assert term.updated_at - term.created_at < datetime.timedelta(seconds=5)


def test_database_refuses_an_alias_that_is_another_terms_title_even_without_validation():
    TermFactory(title="Large Language Model")
    with pytest.raises(IntegrityError), transaction.atomic():
        TermFactory(title="LLM", aliases="large  LANGUAGE model")


def test_renaming_a_term_frees_its_old_title_for_another_terms_alias():
    term = TermFactory(title="Large Language Model")
    term.title = "LLM (large language model)"
    term.save()
    other = TermFactory.build(category=term.category, aliases="Large Language Model")
    other.full_clean()
    other.save()
    assert other.alias_list == ["Large Language Model"]


def test_the_index_letter_follows_the_title():
    assert TermFactory(title="agentic workflow").letter == "A"
    assert TermFactory(title="3D reconstruction").letter == "0-9"


# PostgreSQL: search data come from published terms only --------------------------------

# The definition of the lexicon, written out again: every word (PostgreSQL's "simple"
# configuration) of a published term's title, aliases, summary and definition, with the
# number of published terms that use it.
WORDS_OF_PUBLISHED_TERMS = """
    SELECT word, count(*) FROM terms_term,
        unnest(tsvector_to_array(to_tsvector('simple',
            title || ' ' || aliases || ' ' || summary || ' ' || definition))) AS word
    WHERE status = 'published' GROUP BY word
"""


def search_data() -> tuple[dict, dict]:
    """What search holds (the lexicon with its counts, the terms that have search rows),
    and what the published terms say it should hold."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT word, terms FROM terms_search_word")
        lexicon = dict(cursor.fetchall())
        cursor.execute("SELECT term_id FROM terms_term_search")
        searchable = {term_id for (term_id,) in cursor.fetchall()}
        cursor.execute(WORDS_OF_PUBLISHED_TERMS)
        wanted = dict(cursor.fetchall())
    published = set(Term.objects.published().values_list("pk", flat=True))
    return {"lexicon": lexicon, "searchable": searchable}, {
        "lexicon": wanted,
        "searchable": published,
    }


def assert_search_data_match_the_published_terms(step: str) -> dict:
    held, wanted = search_data()
    assert held == wanted, step
    return held["lexicon"]


@pytest.mark.postgres
def test_search_data_follow_the_published_terms_through_every_change():
    sae = TermFactory(
        title="Sparse Autoencoder",
        aliases="SAE",
        summary="Splits a model's features apart.",
        definition="Dictionary learning on activations.",
    )
    lexicon = assert_search_data_match_the_published_terms("published")
    assert lexicon["dictionary"] == 1
    probe = TermFactory(
        status=Term.Status.DRAFT,
        title="Quokka Probe",
        summary="A probe of activations.",
        definition="Zygomorphic activations.",
    )
    lexicon = assert_search_data_match_the_published_terms("draft created")
    assert "zygomorphic" not in lexicon

    sae.definition = "Sparse dictionaries of neuron activations."
    sae.save()
    lexicon = assert_search_data_match_the_published_terms("published term edited")
    assert "dictionary" not in lexicon
    assert lexicon["neuron"] == 1
    sae.slug = "sae"
    sae.save(update_fields=["slug"])
    sae.title = "Sparse Autoencoders"
    sae.save(update_fields=["title"])
    assert_search_data_match_the_published_terms("renamed")

    term_publish(term=probe)
    lexicon = assert_search_data_match_the_published_terms("draft published")
    assert lexicon["activations"] == 2
    probe.definition = "Zygomorphic, yet sparse, activations."
    probe.save()
    assert_search_data_match_the_published_terms("second published term edited")
    for status in (Term.Status.REVIEW, Term.Status.DRAFT, Term.Status.PUBLISHED):
        probe.status = status
        probe.save()
        assert_search_data_match_the_published_terms(f"to {status}")
    term_archive(term=probe)
    lexicon = assert_search_data_match_the_published_terms("archived")
    assert lexicon["activations"] == 1
    assert "zygomorphic" not in lexicon

    probe.delete()
    assert_search_data_match_the_published_terms("archived term deleted")
    sae.delete()
    assert assert_search_data_match_the_published_terms("published term deleted") == {}


@pytest.mark.postgres
def test_an_import_leaves_search_data_matching_the_published_terms():
    TermFactory(title="Sparse Autoencoder", definition="Dictionary learning on activations.")
    exported = glossary_export()
    category = exported["categories"][0]["slug"]
    exported["terms"][0]["definition"] = "Sparse dictionaries of activations."
    exported["terms"] += [
        {
            "slug": f"probe-{number}",
            "title": f"Probe {number}",
            "category": category,
            "status": status,
            "summary": f"Probe number {number} of activations.",
            "definition": "Reads activations.",
        }
        for number, status in enumerate(["published", "draft", "published", "review"])
    ]

    glossary_import(data=exported)

    lexicon = assert_search_data_match_the_published_terms("imported")
    assert lexicon["activations"] == 3
    assert "dictionary" not in lexicon
    assert "1" not in lexicon  # the draft's number


@pytest.mark.postgres
@pytest.mark.parametrize("refused", ["dry run", "bad record"])
def test_an_import_that_stores_nothing_leaves_search_data_as_they_were(refused):
    TermFactory(title="Sparse Autoencoder", definition="Dictionary learning on activations.")
    before, _wanted = search_data()
    exported = glossary_export()
    exported["terms"][0]["definition"] = "Zygomorphic activations."
    if refused == "bad record":
        exported["terms"].append({"slug": "no-title", "category": "nowhere"})

    with pytest.raises(GlossaryImportError) if refused == "bad record" else nullcontext():
        glossary_import(data=exported, dry_run=refused == "dry run")

    assert search_data()[0] == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # a flush commits
def test_after_a_flush_the_lexicon_holds_only_the_words_of_what_is_published_again():
    TermFactory(title="Quokka Probe", definition="Zygomorphic activations.")

    call_command("flush", interactive=False, verbosity=0)  # TRUNCATE: no row trigger runs
    TermFactory(title="Sparse Autoencoder", definition="Dictionary learning on activations.")

    lexicon = assert_search_data_match_the_published_terms("flushed, then one term")
    assert "zygomorphic" not in lexicon


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # two real connections
def test_archiving_a_term_while_another_change_is_open_waits_for_it_instead_of_failing():
    # Words: Mango {mango}; Mango Aardvark {aardvark, mango}; Aardvark {aardvark}.
    first, second, third = (
        TermFactory(title=title, aliases="", summary="", definition=title)
        for title in ("Mango", "Mango Aardvark", "Aardvark")
    )
    failures = []

    def archive_second():
        try:
            term_archive(term=Term.objects.get(pk=second.pk))
        except Exception as error:  # reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    with transaction.atomic():
        term_archive(term=first)  # holds the word "mango" until the commit
        other = threading.Thread(target=archive_second)
        other.start()
        wait_until_another_connection_waits_for_a_lock()
        try:
            term_archive(term=third)  # would need "aardvark", if the other had taken it
        except Exception as error:  # reported by the assertion below
            failures.append(error)
    other.join(timeout=30)

    assert failures == []
    assert not other.is_alive()
    statuses = set(Term.objects.values_list("status", flat=True))
    assert statuses == {Term.Status.ARCHIVED}
    assert assert_search_data_match_the_published_terms("all archived") == {}


def wait_until_another_connection_waits_for_a_lock(timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # Inside a transaction pg_stat_activity is read once, unless told to read again.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the other connection never waited for a lock")
