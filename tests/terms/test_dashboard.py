"""The editors' dashboard on the admin index: who sees it, and each count being the number of
rows of the term list it links to; the term form's completeness panel and writing warnings."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from terms.audit import audit_record
from terms.models import AuditEntry, Term
from terms.review import review_request_changes, review_submit
from terms.revisions import record_revision
from terms.services import working_copy_start

from ..factories import (
    FAQFactory,
    KeyConsiderationFactory,
    TermFactory,
    TermReferenceFactory,
    UserFactory,
)
from ..helpers.dashboard import (
    RecentRow,
    commonest_missing_part,
    dashboard_panels,
    recently_changed,
)
from ..helpers.term_admin import change_url, inline, messages_of, stored_rows, term_form

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
CONSIDERATIONS = ["Audit the training data.", "Budget for monitoring.", "Agree who signs off."]
PANELS = ["mine", "review", "development", "missing", "due", "overdue"]


def written_by(user, term: Term, action=AuditEntry.Action.EDIT) -> Term:
    audit_record(action, source=Term.Source.ADMIN, target=term, user=user)
    return term


def full_entry(**fields) -> Term:
    term = TermFactory(**fields)
    for text in CONSIDERATIONS:
        KeyConsiderationFactory(term=term, text=text)
    FAQFactory(term=term)
    TermReferenceFactory(term=term)
    term.related.add(TermFactory(title=f"Related to {term.title}"))
    return term


@pytest.fixture
def desk(editor, publisher):
    """Entries for every panel, some the editor's and some another's."""
    other = UserFactory(is_staff=True)
    today = timezone.localdate()
    written_by(editor, TermFactory(title="My new draft", status="draft"), "create")
    written_by(other, TermFactory(title="Their draft", status="draft"))
    sent_back = written_by(editor, full_entry(title="Sent back", status="draft"))
    review_submit(term=sent_back, user=editor)
    review_request_changes(term=sent_back, user=publisher, comment="Shorter, please.")
    edited_live = full_entry(title="Live, copy edited")
    copy = working_copy_start(entry=edited_live)
    record_revision(copy, user=editor, source=Term.Source.ADMIN)
    written_by(editor, copy)
    opened_only = written_by(editor, full_entry(title="Live, copy only opened"))
    working_copy_start(entry=opened_only)
    written_by(editor, TermFactory(title="In review", status="review"))
    full_entry(title="Developing", in_development=True)
    Term.objects.filter(title="Live, copy edited").update(review_by=today - datetime.timedelta(1))
    Term.objects.filter(title="Developing").update(review_by=today + datetime.timedelta(3))


def rows_listed(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    changelist = response.context["cl"]
    return [term.title for term in changelist.queryset]


def test_an_editor_sees_the_dashboard_above_the_app_list(editor_client):
    text = editor_client.get(INDEX).content.decode()
    assert text.index('id="editors-dashboard"') < text.index('id="content-main"')
    assert list(dashboard_panels(editor_client.get(INDEX))) == PANELS


def test_an_advisory_member_sees_their_inbox_alert_and_no_dashboard(client, advisory_member):
    client.force_login(advisory_member)
    response = client.get(INDEX)
    assert 'id="team-alert"' in response.content.decode()
    assert dashboard_panels(response) == {}
    assert 'id="editors-dashboard"' not in response.content.decode()


@pytest.mark.parametrize("panel", PANELS)
def test_each_count_is_the_number_of_rows_of_the_list_it_links_to(desk, editor_client, panel):
    shown = dashboard_panels(editor_client.get(INDEX))[panel]
    response = editor_client.get(shown.url)
    assert response.context["cl"].result_count == shown.count
    assert shown.count > 0


def test_my_drafts_are_the_drafts_whose_content_i_wrote_last(desk, editor_client):
    shown = dashboard_panels(editor_client.get(INDEX))["mine"]
    # Not: another's draft, one in review, a copy opened but never saved.
    assert sorted(rows_listed(editor_client, shown.url)) == [
        "Live, copy edited",
        "My new draft",
        "Sent back",  # a publisher's request for changes leaves it the editor's
    ]


def test_a_publisher_has_no_drafts_of_their_own_here(desk, publisher_client):
    assert dashboard_panels(publisher_client.get(INDEX))["mine"].count == 0


def test_the_missing_panel_names_the_commonest_missing_part_and_links_to_it(desk, editor_client):
    part, count, url = commonest_missing_part(editor_client.get(INDEX))

    missing = reverse("admin:terms_term_changelist") + "?missing="
    assert (part, url) == ("key considerations", missing + "considerations")
    assert editor_client.get(url).context["cl"].result_count == count
    for other in ["definition", "summary", "why", "faq", "reference", "related"]:
        assert editor_client.get(missing + other).context["cl"].result_count <= count


def test_recently_changed_lists_the_first_rows_of_the_list_ordered_by_last_change(
    desk, editor_client
):
    latest = Term.objects.get(title="Developing")
    written_by(UserFactory(username="rosa", is_staff=True), latest)

    rows, list_url = recently_changed(editor_client.get(INDEX))

    assert rows[0] == RecentRow("Developing", change_url(latest), "rosa")
    assert len(rows) == 8
    assert rows_listed(editor_client, list_url)[:8] == [row.title for row in rows]


def test_the_index_takes_a_bounded_number_of_queries_however_many_terms(
    desk, editor_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        assert editor_client.get(INDEX).status_code == 200
    for number in range(20):
        written_by(UserFactory(), full_entry(title=f"More {number}", status="draft"))
    with django_assert_max_num_queries(16):
        assert editor_client.get(INDEX).status_code == 200


# The term list's completeness column and the term form ------------------------------


def test_the_term_list_sorts_by_completeness(editor_client):
    full_entry(title="Full")
    TermFactory(title="Bare", status="draft", definition="", why_it_matters="")
    half = TermFactory(title="Half")
    FAQFactory(term=half)
    response = editor_client.get(reverse("admin:terms_term_changelist"))
    column = list(response.context["cl"].list_display).index("completeness")
    ordered = editor_client.get(reverse("admin:terms_term_changelist"), {"o": f"-{column}"})
    titles = [term.title for term in ordered.context["cl"].result_list]
    assert titles.index("Full") < titles.index("Half") < titles.index("Bare")
    assert ">7/7<" in ordered.content.decode()


def test_the_term_form_shows_what_is_missing_and_the_writing_warnings(editor_client):
    term = TermFactory(status="draft", summary="x" * 161)
    KeyConsiderationFactory(term=term, text="Audit the data for bias.")
    KeyConsiderationFactory(term=term, text="Audit the data for biases.")

    text = editor_client.get(change_url(term)).content.decode()

    assert "Complete: 3/7 parts" in text
    assert "Add at least 3 key considerations (2 so far)." in text
    assert "The summary has 161 characters" in text
    assert "say nearly the same" in text
    assert text.index('id="term-checks"') < text.index("<fieldset")


def test_saving_with_warnings_saves_and_says_so(editor_client):
    term = TermFactory(status="draft")
    data = term_form(
        term.category,
        title=term.title,
        slug=term.slug,
        summary="y" * 170,
        faqs=[("How long it takes", "A week.")],
    )
    data["_continue"] = "1"

    response = editor_client.post(change_url(term), data)

    assert response.status_code == 302
    term.refresh_from_db()
    assert term.summary == "y" * 170
    [told] = [message for message in messages_of(response) if "writing warning" in message]
    # The definition is short, the summary long, a question lacks "?", no related terms.
    assert told.startswith("Saved with 5 writing warnings:")
    assert "“How long it takes”" in told and "170 characters" in told
    assert "170 characters" in editor_client.get(change_url(term)).content.decode()


def test_a_term_without_warnings_is_saved_without_a_warning_message(editor_client):
    term = full_entry(
        status="draft",
        definition=" ".join(["word"] * 45),
        why_it_matters="It lowers costs.",
    )
    rows = stored_rows(term)
    data = term_form(term.category, title=term.title, slug=term.slug, summary="Short.")
    data["definition"] = term.definition
    data["why_it_matters"] = term.why_it_matters
    data["related"] = [str(pk) for pk in term.related.values_list("pk", flat=True)]
    for prefix, stored in rows.items():
        data |= inline(prefix, stored, initial=len(stored))
    response = editor_client.post(change_url(term), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not [message for message in messages_of(response) if "writing warning" in message]
