"""Previews: an editor sees what the admin form holds on the live term page without
saving it, and a reviewer without an account sees a saved draft through a signed,
expiring link, on the site and through the API, never cached and never indexed."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from terms.models import (
    FAQ,
    FormerSlug,
    KeyConsideration,
    SiteSettings,
    Term,
    TermName,
    TermReference,
)
from terms.preview import preview_token

from ..factories import (
    CategoryFactory,
    FAQFactory,
    KeyConsiderationFactory,
    ReferenceFactory,
    TermFactory,
)
from ..helpers.term_admin import ADD_TERM, inline, term_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]

PREVIEW_NEW = reverse("admin:terms_term_preview_new")
BANNER = "Preview — not published"


def preview_of(term) -> str:
    return reverse("admin:terms_term_preview", args=[term.pk])


def api_detail(slug: str) -> str:
    return reverse("api:term-detail", kwargs={"slug": slug})


def visible_text(response) -> str:
    """The words a reader sees on the page, without markup."""
    body = response.content.decode().split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",")}


def preview_link_on_change_page(client, term) -> str:
    """The preview link the change page offers, as a path and query on this site."""
    page = client.get(reverse("admin:terms_term_change", args=[term.pk])).content.decode()
    links = re.findall(r'href="([^"]*\?preview=[^"]*)"', page)
    assert len(links) == 1, links
    url = urlsplit(html.unescape(links[0]))
    assert url.scheme in ("http", "https")
    return f"{url.path}?{url.query}"


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["preview"][0]


# Previewing from the admin -------------------------------------------------------------


def test_an_editor_previews_a_new_term_with_every_part_and_nothing_is_saved(editor, editor_client):
    assert not editor.is_superuser
    category = CategoryFactory(name="Interpretability & Explainability")
    FAQFactory(term=None, category=category, question="Who owns explainability?")
    nist = ReferenceFactory(title="AI RMF 1.0", publisher="NIST", year=2023)
    related = TermFactory(title="Sparse Autoencoder", category=category)
    data = term_form(
        category,
        considerations=["Needs specialist skills", "Results are partial", "Pair with testing"],
        faqs=[("Is it production-ready?", "Partly. It is an *active* research area.")],
        references=[nist],
        related=[str(related.pk)],
    )

    response = editor_client.post(PREVIEW_NEW, data)

    assert response.status_code == 200, response.content.decode()[:2000]
    text = visible_text(response)
    assert BANNER in text
    assert "<strong>internal mechanisms</strong>" in response.content.decode()
    for part in [
        "Mechanistic Interpretability",
        "Interpretability & Explainability",
        "The study of the internal mechanisms of neural networks.",
        "It lets a business explain and audit model behaviour.",
        "Needs specialist skills",
        "Results are partial",
        "Pair with testing",
        "Is it production-ready?",
        "Partly. It is an active research area.",
        "Who owns explainability?",
        "AI RMF 1.0",
        "NIST",
        "Sparse Autoencoder",
        "Need help implementing Mechanistic Interpretability?",
    ]:
        assert part in text, part
    assert text.index("Needs specialist skills") < text.index("Pair with testing")
    assert text.index("Is it production-ready?") < text.index("Who owns explainability?")

    assert list(Term.objects.values_list("title", flat=True)) == ["Sparse Autoencoder"]
    assert not KeyConsideration.objects.exists()
    assert list(FAQ.objects.values_list("question", flat=True)) == ["Who owns explainability?"]
    assert not TermReference.objects.exists()
    assert not FormerSlug.objects.exists()
    names = ["mechanistic interpretability", "mech interp"]
    assert not TermName.objects.filter(key__in=names).exists()


def test_after_a_preview_the_same_form_still_saves(editor_client):
    category = CategoryFactory()
    data = term_form(category, considerations=["Needs specialist skills"])
    assert editor_client.post(PREVIEW_NEW, data).status_code == 200

    response = editor_client.post(ADD_TERM, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    term = Term.objects.get(slug="mechanistic-interpretability")
    assert term.alias_list == ["mech interp"]
    assert list(term.key_considerations.values_list("text", flat=True)) == [
        "Needs specialist skills"
    ]


def test_previewing_a_changed_definition_leaves_the_stored_and_public_term_unchanged(
    editor_client,
):
    term = TermFactory(
        title="Model Card", slug="model-card", aliases="", definition="A short note on a model."
    )
    KeyConsiderationFactory(term=term, text="Keep it current")
    data = term_form(
        term.category,
        title="Model Card",
        slug="model-card",
        aliases="",
        status="published",
        definition="A **living** record of how a model was built and tested.",
    )

    response = editor_client.post(preview_of(term), data)

    assert response.status_code == 200
    text = visible_text(response)
    assert "A living record of how a model was built and tested." in text
    assert "<strong>living</strong>" in response.content.decode()
    assert "A short note on a model." not in text
    assert "Keep it current" in text
    assert BANNER in text  # published, but what the form holds is not

    term.refresh_from_db()
    assert term.definition == "A short note on a model."
    reader = Client()
    page = reader.get(term.get_absolute_url())
    assert page.status_code == 200
    assert "A short note on a model." in visible_text(page)
    assert "living record" not in visible_text(page)
    assert BANNER not in visible_text(page)
    assert reader.get(api_detail("model-card")).json()["definition"] == "A short note on a model."


def test_previewing_edited_and_removed_rows_leaves_the_stored_rows_as_they_were(editor_client):
    term = TermFactory(title="Model Card", slug="model-card", aliases="")
    kept = KeyConsiderationFactory(term=term, text="Keep it current", position=1)
    dropped = KeyConsiderationFactory(term=term, text="Name an owner", position=2)
    data = term_form(
        term.category, title="Model Card", slug="model-card", aliases="", status="published"
    )
    data |= inline(
        "key_considerations",
        [
            {"id": str(kept.pk), "term": str(term.pk), "text": "Date every change", "position": ""},
            {"id": str(dropped.pk), "term": str(term.pk), "text": "Name an owner", "DELETE": "on"},
        ],
        initial=2,
    )

    response = editor_client.post(preview_of(term), data)

    assert response.status_code == 200
    text = visible_text(response)
    assert "Date every change" in text
    assert "Keep it current" not in text
    assert "Name an owner" not in text
    assert list(term.key_considerations.values_list("pk", "text")) == [
        (kept.pk, "Keep it current"),
        (dropped.pk, "Name an owner"),
    ]
    page = Client().get(term.get_absolute_url())
    assert "Keep it current" in visible_text(page)
    assert "Name an owner" in visible_text(page)


def test_previewing_a_new_slug_leaves_the_old_address_and_no_redirect(editor_client):
    term = TermFactory(title="Model Card", slug="model-card", aliases="")
    data = term_form(
        term.category, title="Model Card", slug="model-cards", aliases="", status="published"
    )

    assert editor_client.post(preview_of(term), data).status_code == 200

    assert not FormerSlug.objects.exists()
    reader = Client()
    assert reader.get(reverse("terms:term_detail", args=["model-card"])).status_code == 200
    assert reader.get(reverse("terms:term_detail", args=["model-cards"])).status_code == 404


def test_an_invalid_form_gives_400_listing_every_problem_and_saves_nothing(editor_client):
    data = term_form(
        CategoryFactory(),
        title="",
        considerations=["Audit the model", "Check the data", "  audit the MODEL "],
        faqs=[("", "An answer that lost its question.")],
    )

    response = editor_client.post(PREVIEW_NEW, data)

    assert response.status_code == 400
    text = visible_text(response)
    assert "Title: This field is required." in text
    assert "This repeats “Audit the model”. List each key consideration once." in text
    assert "Every FAQ needs a question." in text
    assert BANNER not in text
    assert not Term.objects.exists()
    assert not KeyConsideration.objects.exists()
    assert not FAQ.objects.exists()


def test_an_invalid_change_gives_400_and_leaves_the_term_as_it_was(editor_client):
    term = TermFactory(title="Model Card", slug="model-card", aliases="")
    data = term_form(
        term.category, title="Model Card", slug="model-card", status="published", definition=""
    )

    response = editor_client.post(preview_of(term), data)

    assert response.status_code == 400
    assert "A published term needs a definition." in visible_text(response)
    term.refresh_from_db()
    assert term.definition == "A definition in *Markdown*."


def test_a_preview_must_be_posted(editor_client):
    term = TermFactory()
    assert editor_client.get(PREVIEW_NEW).status_code == 405
    assert editor_client.get(preview_of(term)).status_code == 405


def test_previewing_a_term_that_does_not_exist_is_not_found(editor_client):
    missing = reverse("admin:terms_term_preview", args=[999999])
    assert editor_client.post(missing, term_form(CategoryFactory())).status_code == 404


def test_the_advisory_team_cannot_preview_terms(client, advisory_member):
    term = TermFactory(status=Term.Status.DRAFT, definition="The draft text.")
    data = term_form(term.category, title=term.title, slug=term.slug)
    client.force_login(advisory_member)

    assert client.post(PREVIEW_NEW, term_form(CategoryFactory())).status_code == 403
    assert client.post(preview_of(term), data).status_code == 403
    assert list(Term.objects.values_list("slug", flat=True)) == [term.slug]


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    term = TermFactory(status=Term.Status.DRAFT)
    data = term_form(term.category, title=term.title, slug=term.slug)
    for url in (PREVIEW_NEW, preview_of(term)):
        response = client.post(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{reverse('admin:login')}?next=")
    assert Term.objects.count() == 1


def test_the_change_page_offers_the_preview_button_and_a_preview_link(editor_client):
    term = TermFactory(status=Term.Status.DRAFT)
    page = editor_client.get(reverse("admin:terms_term_change", args=[term.pk]))
    content = page.content.decode()
    button = re.search(r'<input[^>]*name="_preview"[^>]*>', content)
    assert button, "no Preview button"
    assert f'formaction="{preview_of(term)}"' in button[0]
    assert 'formtarget="_blank"' in button[0]
    assert (
        "Anyone with this link sees the saved version of this term, published or not, "
        "for 1 week." in visible_text(page)
    )
    assert preview_link_on_change_page(editor_client, term).startswith(term.get_absolute_url())


def test_the_change_page_says_how_long_a_short_lived_link_works(settings, editor_client):
    settings.PREVIEW_LINK_MAX_AGE = 3 * 3600
    term = TermFactory(status=Term.Status.DRAFT)
    page = editor_client.get(reverse("admin:terms_term_change", args=[term.pk]))
    assert "published or not, for 3 hours." in visible_text(page)


def test_the_add_page_previews_a_new_term_and_explains_the_link_comes_after_saving(
    editor_client,
):
    page = editor_client.get(ADD_TERM)
    button = re.search(r'<input[^>]*name="_preview"[^>]*>', page.content.decode())
    assert button, "no Preview button"
    assert f'formaction="{PREVIEW_NEW}"' in button[0]
    assert "Save the term to get a link" in visible_text(page)


def test_the_admin_preview_is_private_and_not_indexed(editor_client):
    response = editor_client.post(PREVIEW_NEW, term_form(CategoryFactory()))
    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)
    assert "public" not in cache_control(response)
    assert response["X-Robots-Tag"] == "noindex"


# Preview links for reviewers -----------------------------------------------------------


def test_the_preview_link_shows_the_draft_to_a_reviewer_without_an_account(editor_client):
    draft = TermFactory(
        title="Red Teaming", status=Term.Status.DRAFT, definition="Attacking your own model."
    )
    link = preview_link_on_change_page(editor_client, draft)

    response = Client().get(link)

    assert response.status_code == 200
    text = visible_text(response)
    assert BANNER in text
    assert "Red Teaming" in text
    assert "Attacking your own model." in text
    assert {"private", "no-store"} <= cache_control(response)
    assert "public" not in cache_control(response)
    assert response["X-Robots-Tag"] == "noindex"


def test_the_preview_link_of_a_published_term_shows_it_without_the_banner():
    # A link made while the term was a draft, opened once it is published.
    term = TermFactory()
    response = Client().get(f"{term.get_absolute_url()}?preview={preview_token(term)}")
    assert response.status_code == 200
    assert BANNER not in visible_text(response)


def test_the_preview_token_shows_the_draft_through_the_api_uncached(editor_client):
    draft = TermFactory(
        title="Red Teaming",
        slug="red-teaming",
        status=Term.Status.DRAFT,
        definition="Attacking your own model.",
    )
    KeyConsiderationFactory(term=draft, text="Agree the scope first")
    token = token_of(preview_link_on_change_page(editor_client, draft))

    response = Client().get(api_detail("red-teaming"), {"preview": token})

    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["definition"]) == ("Red Teaming", "Attacking your own model.")
    assert body["key_considerations"] == ["Agree the scope first"]
    assert not response.has_header("ETag")
    assert not response.has_header("Last-Modified")
    assert {"private", "no-store"} <= cache_control(response)
    assert "public" not in cache_control(response)
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # stored only outside a content-changing transaction
def test_the_response_cache_never_keeps_a_preview(settings, django_assert_num_queries):
    settings.API_RESPONSE_CACHE = True
    SiteSettings.load()  # stored, as after the first page view: reading it inserts nothing
    published = TermFactory(slug="model-card")
    draft = TermFactory(slug="red-teaming", status=Term.Status.DRAFT)
    reader = Client()
    # The cache is on: a published term is answered from it the second time.
    assert reader.get(api_detail("model-card")).status_code == 200
    with django_assert_num_queries(0):
        assert reader.get(api_detail("model-card")).json()["slug"] == published.slug

    token = preview_token(draft)
    assert reader.get(api_detail("red-teaming"), {"preview": token}).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        again = reader.get(api_detail("red-teaming"), {"preview": token})
    assert again.status_code == 200
    assert again.json()["slug"] == "red-teaming"
    assert len(queries) > 0, "the preview was served from the response cache"

    settings.PREVIEW_LINK_MAX_AGE = -1  # the link expires: the cache must not keep it alive
    assert reader.get(api_detail("red-teaming"), {"preview": token}).status_code == 404


BAD_TOKENS = ["none", "garbage", "wrong key", "tampered", "another term's"]


def bad_token(kind: str, draft: Term, other: Term) -> str | None:
    if kind == "none":
        return None
    if kind == "garbage":
        return "not-a-preview-token"
    if kind == "wrong key":
        return signing.TimestampSigner(salt="something else").sign(str(draft.pk))
    if kind == "tampered":
        _other_id, rest = preview_token(other).split(":", 1)
        return f"{draft.pk}:{rest}"
    return preview_token(other)


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_an_unpublished_term_is_not_found_on_the_site_without_a_valid_link(kind):
    draft = TermFactory(status=Term.Status.DRAFT, definition="The draft text.")
    other = TermFactory(status=Term.Status.DRAFT)
    token = bad_token(kind, draft, other)

    response = Client().get(draft.get_absolute_url(), {"preview": token} if token else {})

    assert response.status_code == 404
    assert "The draft text." not in response.content.decode()


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_an_unpublished_term_is_not_found_in_the_api_without_a_valid_link(kind):
    draft = TermFactory(status=Term.Status.DRAFT, definition="The draft text.")
    other = TermFactory(status=Term.Status.DRAFT)
    token = bad_token(kind, draft, other)

    response = Client().get(api_detail(draft.slug), {"preview": token} if token else {})

    assert response.status_code == 404
    assert "The draft text." not in response.content.decode()
    if token:
        assert "expired" in response.json()["detail"]


def test_an_expired_preview_link_shows_nothing(settings, editor_client):
    draft = TermFactory(status=Term.Status.DRAFT, definition="The draft text.")
    link = preview_link_on_change_page(editor_client, draft)
    settings.PREVIEW_LINK_MAX_AGE = -1
    reader = Client()

    assert reader.get(link).status_code == 404
    response = reader.get(api_detail(draft.slug), {"preview": token_of(link)})
    assert response.status_code == 404
    assert "expired" in response.json()["detail"]


def test_archived_and_in_review_terms_are_previewed_like_drafts():
    for status in (Term.Status.REVIEW, Term.Status.ARCHIVED):
        term = TermFactory(status=status)
        reader = Client()
        assert reader.get(term.get_absolute_url()).status_code == 404
        response = reader.get(term.get_absolute_url(), {"preview": preview_token(term)})
        assert response.status_code == 200
        assert BANNER in visible_text(response)


def test_an_unknown_query_parameter_on_the_term_detail_is_still_refused():
    draft = TermFactory(slug="red-teaming", status=Term.Status.DRAFT)
    reader = Client()

    typo = reader.get(api_detail("red-teaming"), {"prevew": preview_token(draft)})
    extra = reader.get(api_detail("red-teaming"), {"preview": preview_token(draft), "lang": "en"})

    assert typo.status_code == 400
    assert list(typo.json()) == ["prevew"]
    assert "preview" in typo.json()["prevew"][0]
    assert extra.status_code == 400
    assert list(extra.json()) == ["lang"]


def test_the_term_list_does_not_take_a_preview_token():
    draft = TermFactory(status=Term.Status.DRAFT)
    response = Client().get(reverse("api:term-list"), {"preview": preview_token(draft)})
    assert response.status_code == 400
    assert list(response.json()) == ["preview"]


def test_the_schema_documents_preview_on_the_term_detail_only(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    def parameters(path: str) -> dict[str, dict]:
        operation = schema["paths"][path]["get"]
        return {parameter["name"]: parameter for parameter in operation.get("parameters", [])}

    preview = parameters("/api/v1/terms/{slug}/")["preview"]
    assert preview["in"] == "query"
    assert not preview.get("required", False)
    assert "preview token" in preview["description"]
    for path in ("/api/v1/terms/", "/api/v1/categories/", "/api/v1/categories/{slug}/"):
        assert "preview" not in parameters(path), path


# PostgreSQL: search -------------------------------------------------------------------


def search_tables() -> tuple[list, list]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT term_id, head::text, body::text, sort_title"
            " FROM terms_term_search ORDER BY term_id"
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT word, terms FROM terms_search_word ORDER BY word")
        words = cursor.fetchall()
    return rows, words


@pytest.mark.postgres
def test_a_preview_leaves_search_as_it_was(publisher_client):
    term = TermFactory(title="Model Card", slug="model-card", aliases="")
    before = search_tables()
    changed = term_form(
        term.category,
        title="Model Card",
        slug="model-card",
        aliases="",
        status="published",
        definition="Explains the zygomorphic calibration of a model.",
    )
    added = term_form(
        term.category,
        title="Quokka Benchmark",
        slug="quokka-benchmark",
        aliases="",
        status="published",
    )

    assert publisher_client.post(preview_of(term), changed).status_code == 200
    assert publisher_client.post(PREVIEW_NEW, added).status_code == 200

    assert search_tables() == before
    reader = Client()
    terms = reverse("api:term-list")
    assert reader.get(terms, {"search": "zygomorphic"}).json()["count"] == 0
    assert reader.get(terms, {"search": "quokka"}).json()["count"] == 0
    found = reader.get(terms, {"search": "model card"}).json()["results"]
    assert [item["slug"] for item in found] == ["model-card"]


def test_a_published_page_asked_for_with_a_junk_preview_token_is_served_as_the_public_page(
    client,
):
    TermFactory(title="Model Card", slug="model-card")

    response = client.get("/glossary/model-card/", {"preview": "not-a-token"})

    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "")
    assert "Preview — not published" not in response.content.decode()
