"""The change feed: each committed change to what the public sees is announced once, as
what it is (published, updated, unpublished, category changed), and nothing else is."""

import pytest
from django.db import transaction
from django.utils import timezone

from terms import changes, services
from terms.models import ContentChangeRecord, SiteSettings, Term
from tests.factories import CategoryFactory, FAQFactory, KeyConsiderationFactory, TermFactory

pytestmark = pytest.mark.django_db


def slugs(term_changes):
    return [term.slug for term in term_changes]


def test_publishing_a_draft_announces_it_as_published(announced, committed, publisher):
    draft = TermFactory(status=Term.Status.DRAFT, slug="vector-database")
    committed(lambda: services.term_publish(term=draft, user=publisher))
    [change] = announced
    assert slugs(change.published) == ["vector-database"]
    assert change.published[0].category == draft.category.slug
    assert not change.updated and not change.unpublished
    assert change.source == Term.Source.ADMIN


def test_saving_a_draft_announces_nothing(announced, committed):
    draft = TermFactory(status=Term.Status.DRAFT)

    def edit():
        draft.summary = "Changed, but nobody sees it."
        draft.save()

    committed(edit)
    assert announced == []


def test_publishing_a_working_copy_announces_the_live_entry_as_updated(
    announced, committed, publisher
):
    entry = TermFactory(slug="rag", title="RAG")
    copy = services.working_copy_start(entry=entry)

    def edit_copy():
        copy.title = "Retrieval-augmented generation"
        copy.slug = "retrieval-augmented-generation"
        copy.save()

    committed(edit_copy)
    assert announced == []  # readers still see the entry as it was
    committed(lambda: services.working_copy_publish(copy=copy, user=publisher))
    [change] = announced
    assert slugs(change.updated) == ["retrieval-augmented-generation"]
    assert change.updated[0].previous_slug == "rag"
    assert change.updated[0].id == entry.pk


def test_a_changed_key_consideration_of_a_live_entry_counts_as_an_update(announced, committed):
    entry = TermFactory(slug="agents")
    consideration = KeyConsiderationFactory(term=entry, text="Start small.")

    def edit():
        consideration.text = "Start with one workflow."
        consideration.save()

    committed(edit)
    [change] = announced
    assert slugs(change.updated) == ["agents"]


def test_marking_a_live_entry_reviewed_changes_nothing_readers_see(announced, committed):
    entry = TermFactory()
    committed(lambda: services.term_mark_reviewed(term=entry))
    assert announced == []


def test_archiving_and_deleting_announce_the_term_unpublished(announced, committed, publisher):
    archived, deleted = TermFactory(slug="old-idea"), TermFactory(slug="mistake")
    committed(lambda: services.term_archive(term=archived, user=publisher))
    [archiving] = announced
    committed(deleted.delete)
    [deleting] = announced
    assert slugs(archiving.unpublished) == ["old-idea"]
    assert slugs(deleting.unpublished) == ["mistake"]
    assert deleting.unpublished[0].category == deleted.category.slug


def test_a_shared_faq_announces_its_category(announced, committed):
    category = CategoryFactory(slug="governance")
    committed(lambda: FAQFactory(term=None, category=category, question="Who owns it?"))
    [change] = announced
    assert [c.slug for c in change.categories] == ["governance"]


def test_site_settings_announce_that_everything_may_look_different(announced, committed):
    def edit():
        settings = SiteSettings.load()
        settings.organisation_name = "Another name"
        settings.save()

    committed(edit)
    assert [change.settings_changed for change in announced] == [True]


def test_a_rolled_back_change_is_never_announced(announced, committed, publisher):
    draft = TermFactory(status=Term.Status.DRAFT)
    committed(lambda: None)
    before = ContentChangeRecord.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.term_publish(term=draft, user=publisher)
        raise RuntimeError("the request failed after the write")
    assert announced == []
    assert ContentChangeRecord.objects.count() == before


def test_a_change_whose_announcement_failed_is_announced_again_by_the_sweep(
    announced, committed, settings
):
    settings.CONTENT_CHANGE_SWEEP_SECONDS = 0

    def fail(sender, change, **kwargs):
        raise ConnectionError("the receiver's database is gone")

    changes.content_changed.connect(fail, dispatch_uid="test-failing")
    try:
        committed(lambda: TermFactory(slug="new-term"))
    finally:
        changes.content_changed.disconnect(dispatch_uid="test-failing")
    assert changes.changes_sweep() == 1
    first, again = announced
    assert first.id == again.id and slugs(again.published) == ["new-term"]
    assert changes.changes_sweep() == 0  # announced: not again


def test_a_writer_bypassing_signals_reports_what_it_changed(announced, committed):
    category = CategoryFactory()

    def bulk_write():
        with changes.untracked():
            created = Term.objects.bulk_create(
                [
                    Term(
                        title="Bulk",
                        slug="bulk",
                        category=category,
                        definition="A term.",
                        status="published",
                        published_at=timezone.now(),
                    )
                ]
            )
            TermFactory(slug="not-seen-by-signals", category=category)  # untracked too
        changes.report(
            published=[created[0].pk],
            imported={"created": ["bulk"], "updated": [], "unpublished": [], "unchanged": 0},
            source=Term.Source.IMPORT,
        )

    committed(bulk_write)
    [change] = announced
    assert slugs(change.published) == ["bulk"]
    assert change.imported["created"] == ["bulk"]
    assert change.source == Term.Source.IMPORT


def test_an_import_that_changed_nothing_is_still_announced(announced, committed):
    empty = {"created": [], "updated": [], "unpublished": [], "unchanged": 3}
    committed(lambda: changes.report(imported=empty, source=Term.Source.IMPORT))
    [change] = announced
    assert change.imported == empty and not change.terms
