"""The admin's Markdown editor: its preview and term-suggestion endpoints, and the fields
that have it (the browser side is tests/browser/test_markdown_editor.py)."""

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from terms.editor_views import PREVIEW_MAX_BYTES
from terms.models import SiteSettings, Term
from terms.services import working_copy_start

from ..factories import CategoryFactory, FAQFactory, TermFactory, UserFactory

PREVIEW = reverse("admin:terms_markdown_preview")
SUGGESTIONS = reverse("admin:terms_link_suggestions")

pytestmark = pytest.mark.django_db


def preview(client, text: str, **extra):
    return client.post(PREVIEW, text.encode(), content_type="text/plain; charset=utf-8", **extra)


def suggested(client, query: str) -> list[tuple[str, str | None]]:
    response = client.get(SUGGESTIONS, {"q": query})
    assert response.status_code == 200
    return [(row["title"], row["matched_alias"]) for row in response.json()["results"]]


class MarkdownFields(HTMLParser):
    """The names of the textareas on a page that have the Markdown editor."""

    def __init__(self, html: str):
        super().__init__()
        self.names: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "textarea" and "data-markdown-editor" in attrs:
            self.names.append(attrs["name"])


def markdown_fields(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "terms/markdown-editor.js" in html
    return MarkdownFields(html).names


# The preview ----------------------------------------------------------------------------


def test_the_preview_renders_markdown_as_the_site_does(editor_client):
    response = preview(editor_client, "Some **bold** words.")

    assert response.status_code == 200
    assert response.json() == {"html": "<p>Some <strong>bold</strong> words.</p>"}
    assert "no-store" in response["Cache-Control"]


def test_the_preview_never_returns_a_script_tag(editor_client):
    html = preview(editor_client, 'Hi <script>alert("x")</script> <b onclick="x()">b</b>')
    html = html.json()["html"]

    assert html == "<p>Hi  b</p>"  # the sanitiser drops the script and the raw tag


def test_the_preview_shows_a_script_written_as_code_as_text(editor_client):
    html = preview(editor_client, "Write `<script>` in code.").json()["html"]

    assert html == "<p>Write <code>&lt;script&gt;</code> in code.</p>"


def test_the_preview_keeps_text_in_other_alphabets(editor_client):
    assert preview(editor_client, "Ünïcode — *ok*").json()["html"] == (
        "<p>Ünïcode — <em>ok</em></p>"
    )


def test_the_preview_refuses_text_over_its_limit_with_a_json_error(editor_client):
    response = preview(editor_client, "a" * (PREVIEW_MAX_BYTES + 1))

    assert response.status_code == 400
    assert "too long to preview" in response.json()["error"]
    assert preview(editor_client, "a" * PREVIEW_MAX_BYTES).status_code == 200


def test_the_preview_is_only_posted(editor_client):
    assert editor_client.get(PREVIEW).status_code == 405


def test_an_anonymous_visitor_is_sent_to_the_login_page_for_a_preview(client):
    response = preview(client, "**b**")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_advisory_team_may_not_preview(client, advisory_member):
    client.force_login(advisory_member)

    response = preview(client, "**b**")

    assert response.status_code == 403
    assert "html" not in response.json()


def test_a_staff_member_who_may_only_edit_categories_may_preview(client):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*_permissions("change_category"))
    client.force_login(user)

    assert preview(client, "**b**").status_code == 200


def test_the_preview_needs_the_forms_csrf_token(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    client.get(reverse("admin:terms_term_add"))  # sets the CSRF cookie, as opening the form does
    token = client.cookies["csrftoken"].value

    assert preview(client, "**b**").status_code == 403
    response = preview(client, "**b**", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.json()["html"] == "<p><strong>b</strong></p>"


# Term suggestions for [[ -----------------------------------------------------------------


def test_suggestions_list_titles_that_start_with_the_query_before_those_that_contain_it(
    editor_client,
):
    TermFactory(title="Interpretability")
    TermFactory(title="Mechanistic Interpretability")
    TermFactory(title="Model Card")

    assert suggested(editor_client, "interp") == [
        ("Interpretability", None),
        ("Mechanistic Interpretability", None),
    ]


def test_suggestions_find_a_term_by_its_alias_and_say_which(editor_client):
    term = TermFactory(title="Mechanistic Interpretability")
    term.set_aliases(["mech interp", "circuits analysis"])
    term.save()
    TermFactory(title="Circuit Breaker")
    TermFactory(title="Analysis Paralysis")

    assert suggested(editor_client, "mech") == [("Mechanistic Interpretability", None)]
    assert suggested(editor_client, "circuit") == [
        ("Circuit Breaker", None),
        ("Mechanistic Interpretability", "circuits analysis"),
    ]
    assert suggested(editor_client, "analysis") == [
        ("Analysis Paralysis", None),
        ("Mechanistic Interpretability", "circuits analysis"),
    ]


def test_suggestions_answer_the_id_status_and_slug_of_each_entry(editor_client):
    draft = TermFactory(title="Sparse Autoencoder", slug="sparse-autoencoder", status="draft")

    response = editor_client.get(SUGGESTIONS, {"q": "sparse"})

    assert response.json() == {
        "results": [
            {
                "id": draft.pk,
                "title": "Sparse Autoencoder",
                "matched_alias": None,
                "status": "draft",
                "status_label": "Draft",
                "slug": "sparse-autoencoder",
            }
        ]
    }


def test_suggestions_never_offer_a_working_copy(editor_client):
    entry = TermFactory(title="Model Card", status=Term.Status.PUBLISHED)
    copy = working_copy_start(entry=entry)
    assert copy.title == "Model Card"

    results = editor_client.get(SUGGESTIONS, {"q": "model"}).json()["results"]

    assert [row["id"] for row in results] == [entry.pk]


def test_suggestions_are_at_most_ten(editor_client):
    for number in range(12):
        TermFactory(title=f"Agent {number:02}")

    titles = [title for title, _alias in suggested(editor_client, "agent")]

    assert titles == [f"Agent {number:02}" for number in range(10)]


def test_suggestions_need_permission_to_see_terms(client, advisory_member):
    TermFactory(title="Model Card")
    client.force_login(advisory_member)

    assert client.get(SUGGESTIONS, {"q": "model"}).status_code == 403


def test_suggestions_send_an_anonymous_visitor_to_the_login_page(client):
    assert client.get(SUGGESTIONS, {"q": "model"}).status_code == 302


# The fields that have the editor -----------------------------------------------------------


def test_the_new_term_form_has_the_editor_on_each_markdown_field(editor_client):
    names = markdown_fields(editor_client, reverse("admin:terms_term_add"))

    assert {"definition", "why_it_matters", "cta_body", "faqs-0-answer"} <= set(names)
    assert "summary" not in names and "aliases" not in names


def test_a_terms_change_form_has_the_editor_on_its_faq_answers(editor_client):
    term = TermFactory(status=Term.Status.DRAFT)
    FAQFactory(term=term)

    names = markdown_fields(editor_client, reverse("admin:terms_term_change", args=[term.pk]))

    assert {"definition", "why_it_matters", "cta_body", "faqs-0-answer", "faqs-1-answer"} <= set(
        names
    )


def test_the_category_form_has_the_editor_on_its_description_and_shared_faqs(editor_client):
    category = CategoryFactory()
    FAQFactory(term=None, category=category)

    names = markdown_fields(
        editor_client, reverse("admin:terms_category_change", args=[category.pk])
    )

    assert {"description", "shared_faqs-0-answer", "shared_faqs-1-answer"} <= set(names)


def test_the_site_settings_have_the_editor_on_the_default_cta_text(editor_client):
    settings = SiteSettings.load()

    names = markdown_fields(
        editor_client, reverse("admin:terms_sitesettings_change", args=[settings.pk])
    )

    assert names == ["default_cta_body"]


def test_the_term_form_warns_of_unsaved_changes(editor_client):
    html = editor_client.get(reverse("admin:terms_term_add")).content.decode()

    assert "terms/unsaved-changes.js" in html


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="terms", codename__in=codenames)
