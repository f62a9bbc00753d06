import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from advisory.models import LeadRouting
from terms.models import FAQ, KeyConsideration, SiteSettings, Term, TermReference
from terms.services import working_copy_start

from ..factories import (
    CategoryFactory,
    FAQFactory,
    KeyConsiderationFactory,
    ReferenceFactory,
    TermFactory,
    TermReferenceFactory,
)
from ..helpers.term_admin import ADD_TERM, field_errors, inline, term_form

pytestmark = pytest.mark.django_db

# An editor who is not a superuser can do all the editing work -----------------------


def test_an_editor_enters_the_example_entry_with_its_inlines(editor_client):
    category = CategoryFactory(name="Interpretability & Explainability")
    nist = ReferenceFactory(title="AI RMF 1.0", publisher="NIST", year=2023)
    data = term_form(
        category,
        considerations=["Needs specialist skills", "Results are partial", "Pair with testing"],
        faqs=[("Is it production-ready?", "Partly. It is an *active* research area.")],
        references=[nist],
    )
    response = editor_client.post(ADD_TERM, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    term = Term.objects.get(slug="mechanistic-interpretability")
    assert term.alias_list == ["mech interp"]
    assert [item.text for item in term.key_considerations.all()] == [
        "Needs specialist skills",
        "Results are partial",
        "Pair with testing",
    ]
    assert [faq.question for faq in term.faqs.all()] == ["Is it production-ready?"]
    assert [citation.reference for citation in term.citations.all()] == [nist]


def test_the_admin_refuses_repeated_bullets_next_to_the_repeat(editor_client):
    category = CategoryFactory()
    data = term_form(
        category,
        considerations=["Audit the model", "Check the data", "  audit the MODEL "],
    )
    response = editor_client.post(ADD_TERM, data)
    assert response.status_code == 200
    assert field_errors(response, "text", "key_considerations") == [
        "This repeats “Audit the model”. List each key consideration once."
    ]
    assert not Term.objects.exists()


def test_the_admin_refuses_an_faq_without_a_question(editor_client):
    data = term_form(CategoryFactory(), faqs=[("", "An answer that lost its question.")])
    response = editor_client.post(ADD_TERM, data)
    assert response.status_code == 200
    assert field_errors(response, "question", "faqs") == [
        "Every FAQ needs a question. Write the question this answer responds to."
    ]
    assert not FAQ.objects.exists()


def test_the_admin_explains_why_a_term_without_definition_cannot_be_published(publisher_client):
    data = term_form(CategoryFactory(), status="published", definition="")
    response = publisher_client.post(ADD_TERM, data)
    assert response.status_code == 200
    assert field_errors(response, "definition") == [
        "A published term needs a definition. Write one, or keep it as a draft."
    ]


def test_the_admin_refuses_an_alias_that_names_another_term(editor_client):
    TermFactory(title="Large Language Model", aliases="LLM")
    data = term_form(CategoryFactory(), aliases="llm")
    response = editor_client.post(ADD_TERM, data)
    assert field_errors(response, "aliases") == [
        "“llm” already names another term: “Large Language Model”."
    ]


def test_the_admin_refuses_citing_the_same_reference_twice(editor_client):
    reference = ReferenceFactory()
    data = term_form(CategoryFactory(), references=[reference, reference])
    response = editor_client.post(ADD_TERM, data)
    assert response.status_code == 200
    assert not TermReference.objects.exists()


def test_swapping_two_bullets_saves_without_an_error(editor_client):
    term = TermFactory(status="draft")
    first = KeyConsiderationFactory(term=term, text="Alpha", position=1)
    second = KeyConsiderationFactory(term=term, text="Beta", position=2)
    data = term_form(term.category, title=term.title, slug=term.slug)
    data |= inline(
        "key_considerations",
        [
            {"id": str(first.pk), "term": str(term.pk), "text": "Beta", "position": "1"},
            {"id": str(second.pk), "term": str(term.pk), "text": "Alpha", "position": "2"},
        ],
        initial=2,
    )
    response = editor_client.post(reverse("admin:terms_term_change", args=[term.pk]), data)
    assert response.status_code == 302
    assert [item.text for item in term.key_considerations.all()] == ["Beta", "Alpha"]


def test_rows_are_numbered_in_the_order_the_editor_asked_for(editor_client):
    term = TermFactory(status="draft")
    data = term_form(term.category, title=term.title, slug=term.slug)
    data |= inline(
        "key_considerations",
        [
            {"text": "Goes last (no number)", "position": ""},
            {"text": "Goes second", "position": "5"},
            {"text": "Goes first", "position": "1"},
        ],
    )
    response = editor_client.post(reverse("admin:terms_term_change", args=[term.pk]), data)
    assert response.status_code == 302
    rows = list(KeyConsideration.objects.filter(term=term).values_list("text", "position"))
    assert rows == [("Goes first", 1), ("Goes second", 2), ("Goes last (no number)", 3)]


def test_saving_a_draft_then_publishing_stamps_the_publication_date(publisher_client):
    category = CategoryFactory()
    publisher_client.post(ADD_TERM, term_form(category))
    term = Term.objects.get()
    assert term.published_at is None
    data = term_form(category, status="published")
    publisher_client.post(reverse("admin:terms_term_change", args=[term.pk]), data)
    term.refresh_from_db()
    assert term.status == Term.Status.PUBLISHED
    assert term.published_at is not None


# The term list -----------------------------------------------------------------------


def test_the_term_list_shows_what_each_term_is_missing(editor_client):
    complete = TermFactory(title="Complete")
    for number in range(3):
        KeyConsiderationFactory(term=complete, text=f"Point {number}")
    FAQFactory(term=complete)
    TermReferenceFactory(term=complete)
    bare = TermFactory(title="Bare", why_it_matters="")
    complete.related.add(bare)
    response = editor_client.get(reverse("admin:terms_term_changelist"))
    rows = {term.title: term for term in response.context["cl"].result_list}
    admin = response.context["cl"].model_admin
    assert strip_tags(admin.completeness(rows["Complete"])) == "7/7"
    assert strip_tags(admin.completeness(rows["Bare"])) == (
        "2/7Missing: why it matters, key considerations (0 of 3), FAQ, reference, related terms"
    )


def test_the_term_list_takes_the_same_queries_however_many_rows_it_shows(
    editor_client, django_assert_num_queries
):
    # Its columns (state, missing, review by) read annotations, never a query per row.
    TermFactory()
    url = reverse("admin:terms_term_changelist")
    with django_assert_num_queries(8):
        assert editor_client.get(url).status_code == 200
    for number in range(3):
        entry = TermFactory(title=f"More {number}")
        KeyConsiderationFactory(term=entry)
        FAQFactory(term=entry)
        TermReferenceFactory(term=entry)
        working_copy_start(entry=entry)
    with django_assert_num_queries(8):
        response = editor_client.get(url)
    assert len(response.context["cl"].result_list) == 4


def test_the_missing_content_filter_finds_terms_without_references(editor_client):
    cited = TermFactory(title="Cited")
    TermReferenceFactory(term=cited)
    TermFactory(title="Uncited")
    response = editor_client.get(reverse("admin:terms_term_changelist"), {"missing": "reference"})
    assert [term.title for term in response.context["cl"].result_list] == ["Uncited"]


def test_the_term_list_filters_by_status_and_category(editor_client):
    category = CategoryFactory()
    TermFactory(title="Draft here", status="draft", category=category)
    TermFactory(title="Published here", category=category)
    TermFactory(title="Draft elsewhere", status="draft")
    url = reverse("admin:terms_term_changelist")
    response = editor_client.get(
        url, {"status__exact": "draft", "category__id__exact": category.pk}
    )
    assert [term.title for term in response.context["cl"].result_list] == ["Draft here"]


@pytest.mark.parametrize("query", ["interpret", "mech interp", "reverse-engineering"])
def test_the_term_list_searches_titles_aliases_and_summaries(editor_client, query):
    TermFactory(
        title="Mechanistic Interpretability",
        aliases="mech interp",
        summary="Reverse-engineering what a network computes.",
    )
    TermFactory(title="Overfitting", summary="Memorising the training data.")
    response = editor_client.get(reverse("admin:terms_term_changelist"), {"q": query})
    assert [term.title for term in response.context["cl"].result_list] == [
        "Mechanistic Interpretability"
    ]


def test_bulk_publish_publishes_complete_terms_and_names_the_ones_it_could_not(publisher_client):
    ready = TermFactory(title="Ready", status="draft")
    empty = TermFactory(title="Empty", status="draft", definition="")
    response = publisher_client.post(
        reverse("admin:terms_term_changelist"),
        {"action": "publish_selected", "_selected_action": [ready.pk, empty.pk]},
        follow=True,
    )
    shown = [str(message) for message in response.context["messages"]]
    assert "Published 1 term." in shown
    assert "“Empty” was not published: A published term needs a definition." in shown[0]
    ready.refresh_from_db()
    empty.refresh_from_db()
    assert (ready.status, empty.status) == ("published", "draft")


def test_bulk_archive_archives_the_selected_terms(publisher_client):
    terms = [TermFactory(), TermFactory()]
    publisher_client.post(
        reverse("admin:terms_term_changelist"),
        {"action": "archive_selected", "_selected_action": [term.pk for term in terms]},
    )
    assert set(Term.objects.values_list("status", flat=True)) == {"archived"}


def test_view_on_site_is_offered_only_for_published_terms(editor_client):
    draft = TermFactory(status="draft")
    published = TermFactory()
    draft_page = editor_client.get(reverse("admin:terms_term_change", args=[draft.pk]))
    # A published term's change page is its working copy's, which links to the live page.
    published_page = editor_client.get(
        reverse("admin:terms_term_change", args=[published.pk]), follow=True
    )
    assert "View on site" not in draft_page.text
    assert "View on site" in published_page.text


# Every admin page an editor needs, as an editor -------------------------------------


@pytest.mark.parametrize("model", ["term", "category", "reference"])
def test_an_editor_can_open_every_content_list_and_add_page(editor_client, model):
    assert editor_client.get(reverse(f"admin:terms_{model}_changelist")).status_code == 200
    assert editor_client.get(reverse(f"admin:terms_{model}_add")).status_code == 200


def test_an_editor_can_open_change_pages(editor_client):
    term = TermFactory()
    FAQFactory(term=None, category=term.category)
    reference = TermReferenceFactory(term=term).reference
    for url in (
        reverse("admin:terms_term_change", args=[term.pk]),
        reverse("admin:terms_category_change", args=[term.category.pk]),
        reverse("admin:terms_reference_change", args=[reference.pk]),
    ):
        assert editor_client.get(url, follow=True).status_code == 200


def test_related_terms_and_references_are_found_by_autocomplete(editor_client):
    TermFactory(title="Sparse Autoencoder")
    ReferenceFactory(title="Towards Monosemanticity")
    url = reverse("admin:autocomplete")
    terms = editor_client.get(
        url, {"app_label": "terms", "model_name": "term", "field_name": "related", "term": "sparse"}
    ).json()
    references = editor_client.get(
        url,
        {
            "app_label": "terms",
            "model_name": "termreference",
            "field_name": "reference",
            "term": "mono",
        },
    ).json()
    assert [row["text"] for row in terms["results"]] == ["Sparse Autoencoder"]
    assert [row["text"] for row in references["results"]] == ["Towards Monosemanticity (2023)"]


def test_the_category_admin_saves_shared_faqs(editor_client):
    data = {"name": "AI Governance", "slug": "ai-governance", "description": "", "order": "1"}
    data |= inline(
        "shared_faqs",
        [
            {
                "question": "When is explainability legally required?",
                "answer": "It depends.",
                "position": "",
            }
        ],
    )
    response = editor_client.post(reverse("admin:terms_category_add"), data)
    assert response.status_code == 302
    faq = FAQ.objects.get()
    assert (faq.category.slug, faq.term) == ("ai-governance", None)


def test_the_reference_list_shows_how_many_terms_cite_each_reference(editor_client):
    reference = ReferenceFactory(title="AI RMF")
    for _ in range(3):
        TermReferenceFactory(reference=reference)
    response = editor_client.get(reverse("admin:terms_reference_changelist"))
    row = response.context["cl"].result_list[0]
    assert response.context["cl"].model_admin.cited_by(row) == 3


def test_the_site_settings_open_straight_on_the_one_record(editor_client):
    response = editor_client.get(reverse("admin:terms_sitesettings_changelist"))
    assert response.status_code == 302
    assert response.url == reverse("admin:terms_sitesettings_change", args=[1])
    data = {
        "organisation_name": "Acme Advisory",
        "default_cta_heading": "Need help implementing {term}?",
        "default_cta_body": "Let's talk about {term}.",
        "review_interval_months": "12",
    }
    assert editor_client.post(response.url, data).status_code == 302
    assert SiteSettings.load().organisation_name == "Acme Advisory"


SITE_SETTINGS = reverse("admin:terms_sitesettings_change", args=[1])


def site_settings_form(**fields) -> dict:
    return {
        "organisation_name": "Acme Advisory",
        "default_cta_heading": "Need help implementing {term}?",
        "default_cta_body": "Let's talk about {term}.",
        "review_interval_months": "12",
        **fields,
    }


def test_the_site_settings_hold_content_only_not_who_is_told_of_inquiries(editor_client):
    LeadRouting.objects.filter(pk=1).update(inquiry_recipients="team@example.org")
    form = editor_client.get(SITE_SETTINGS).context["adminform"].form
    assert list(form.fields) == [
        "organisation_name",
        "default_cta_heading",
        "default_cta_body",
        "review_interval_months",
    ]

    data = site_settings_form(
        inquiry_recipients="outsider@example.net", send_inquiry_acknowledgement=""
    )
    assert editor_client.post(SITE_SETTINGS, data).status_code == 302
    routing = LeadRouting.load()
    assert (routing.inquiry_recipients, routing.send_inquiry_acknowledgement) == (
        "team@example.org",
        True,
    )


@pytest.mark.parametrize(
    "heading", ["Need help with {term:>2000000}?", "Need help with {0}?", "{term.__class__}"]
)
def test_a_cta_heading_that_is_not_plain_text_with_term_is_refused_next_to_the_field(
    editor_client, heading
):
    response = editor_client.post(SITE_SETTINGS, site_settings_form(default_cta_heading=heading))
    assert response.status_code == 200
    (message,) = field_errors(response, "default_cta_heading")
    assert message.startswith("Only {term} may be written in braces (it stands for the term's")
    assert SiteSettings.load().default_cta_heading == "Need help implementing {term}?"


def test_a_terms_own_cta_heading_with_a_format_spec_is_refused_next_to_the_field(editor_client):
    category = CategoryFactory()
    response = editor_client.post(
        ADD_TERM, term_form(category, cta_heading="Help with {term:>2000000}?")
    )
    assert response.status_code == 200
    assert field_errors(response, "cta_heading") == [
        "Only {term} may be written in braces (it stands for the term's title); "
        "“{term:>2000000}” is not allowed."
    ]
    assert not Term.objects.exists()


def test_an_organisation_name_with_a_line_break_is_refused_next_to_the_field(editor_client):
    data = site_settings_form(organisation_name="AI Advisory\nBcc: everyone@example.net")
    response = editor_client.post(SITE_SETTINGS, data)
    assert response.status_code == 200
    assert field_errors(response, "organisation_name") == [
        "Write this on one line: line breaks, tabs and control characters are not allowed."
    ]
    assert SiteSettings.load().organisation_name == "AI Advisory"


def test_the_advisory_team_cannot_change_the_site_settings(client, advisory_member):
    client.force_login(advisory_member)
    assert client.get(SITE_SETTINGS).status_code == 403
    assert client.post(SITE_SETTINGS, site_settings_form()).status_code == 403
    assert SiteSettings.load().organisation_name == "AI Advisory"


def test_a_staff_user_without_a_role_cannot_see_content(client):
    from ..factories import UserFactory

    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:terms_term_changelist")).status_code == 403


def test_the_advisory_team_cannot_edit_content(client, advisory_member):
    client.force_login(advisory_member)
    assert client.get(reverse("admin:terms_term_add")).status_code == 403
