"""What a CDN or Varnish in front may keep: public responses carry cache tags and a long
s-maxage (browsers a short max-age); personal answers and errors carry no tags and are
never for shared caches."""

import pytest
from django.test import Client

from ..factories import CategoryFactory, TermFactory, UserFactory

pytestmark = pytest.mark.django_db

SHARED = {"public", "s-maxage=86400", "stale-while-revalidate=60", "stale-if-error=86400"}
PUBLIC_API = SHARED | {"max-age=60"}
PUBLIC_PAGE = SHARED | {"max-age=0"}  # a reader's browser asks again: a publish shows at once


def public(path: str) -> set[str]:
    return PUBLIC_API if path.startswith("/api/") else PUBLIC_PAGE


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def cache_tags(response) -> set[str]:
    """The tags, after checking the three spellings agree."""
    cloudflare = set(response.get("Cache-Tag", "").split(",")) - {""}
    fastly = set(response.get("Surrogate-Key", "").split()) - {""}
    assert cloudflare == fastly
    return cloudflare


def untagged(response) -> bool:
    return not any(name in response for name in ("Cache-Tag", "Surrogate-Key", "xkey"))


@pytest.fixture
def glossary():
    category = CategoryFactory(slug="governance")
    related = TermFactory(slug="model-card", title="Model Card")
    linked = TermFactory(slug="audit", title="Audit")
    term = TermFactory(
        slug="ai-act",
        title="AI Act",
        category=category,
        definition=f"Read with an [audit](term:{linked.pk}).",
    )
    term.related.add(related)
    return {"category": category, "term": term, "related": related, "linked": linked}


def test_a_term_is_tagged_with_itself_its_category_and_every_term_it_shows(client, glossary):
    term, category = glossary["term"], glossary["category"]
    expected = {
        "glossary",
        f"term-{term.pk}",
        f"category-{category.pk}",
        f"term-{glossary['related'].pk}",  # its title in "related terms"
        f"term-{glossary['linked'].pk}",  # its address in the definition
    }
    for path in ("/api/v1/terms/ai-act/", "/glossary/ai-act/"):
        response = client.get(path)
        assert response.status_code == 200
        assert cache_tags(response) == expected, path
        assert directives(response) == public(path), path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/terms/", {"terms-list"}),
        ("/api/v1/terms/?search=act", {"terms-list", "search"}),
        ("/api/v1/suggest/?q=ai", {"terms-list", "search"}),
        ("/api/v1/letters/", {"letters"}),
        ("/api/v1/categories/", {"categories-list"}),
        ("/glossary/", {"terms-list", "letters", "categories-list"}),
        ("/glossary/?q=act", {"terms-list", "letters", "categories-list", "search"}),
        ("/sitemap.xml", {"terms-list", "categories-list"}),
        ("/robots.txt", {"site"}),
    ],
)
def test_lists_are_tagged_with_what_they_list(client, glossary, path, expected):
    response = client.get(path)
    assert response.status_code == 200
    assert cache_tags(response) == {"glossary", *expected}
    assert directives(response) == public(path)


def test_a_category_is_tagged_with_itself_and_the_terms_it_counts(client, glossary):
    category = glossary["category"]
    for path in ("/api/v1/categories/governance/", "/glossary/category/governance/"):
        response = client.get(path)
        assert cache_tags(response) == {"glossary", f"category-{category.pk}", "terms-list"}


def test_the_lifetimes_follow_the_settings(client, settings, glossary):
    settings.API_CACHE_MAX_AGE = 30
    settings.CDN_SHARED_MAX_AGE = 3600
    settings.CDN_STALE_WHILE_REVALIDATE = 15
    settings.CDN_STALE_IF_ERROR = 600
    assert directives(client.get("/api/v1/letters/")) == {
        "public",
        "max-age=30",
        "s-maxage=3600",
        "stale-while-revalidate=15",
        "stale-if-error=600",
    }


def test_a_response_from_the_response_cache_keeps_its_tags(client, settings, glossary):
    settings.API_RESPONSE_CACHE = True
    first = client.get("/api/v1/terms/ai-act/")
    again = client.get("/api/v1/terms/ai-act/")
    assert again.content == first.content
    assert again["Surrogate-Key"] == first["Surrogate-Key"]
    assert again["Cache-Control"] == first["Cache-Control"]


def test_a_request_with_an_authorization_header_gets_no_tags_and_is_never_shared(glossary):
    keyed = Client(headers={"authorization": "Bearer not-a-real-key"})
    for path in ("/api/v1/terms/ai-act/", "/glossary/ai-act/"):
        response = keyed.get(path)
        assert untagged(response), path
        assert "no-store" in directives(response), path  # whether the key is refused or not
        assert "public" not in directives(response), path


def test_a_logged_in_reader_gets_no_tags_and_private_no_store(client, glossary):
    client.force_login(UserFactory())
    for path in ("/api/v1/terms/ai-act/", "/glossary/ai-act/", "/api/v1/letters/"):
        response = client.get(path)
        assert response.status_code == 200
        assert untagged(response), path
        assert directives(response) == {"private", "no-store"}, path


def test_a_preview_stays_private_without_tags(client, glossary):
    from terms.preview import preview_token

    draft = TermFactory(slug="draft", status="draft")
    token = preview_token(draft)
    for path in (f"/api/v1/terms/draft/?preview={token}", f"/glossary/draft/?preview={token}"):
        response = client.get(path)
        assert response.status_code == 200
        assert untagged(response), path
        assert directives(response) == {"private", "no-store"}, path


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/terms/missing/",
        "/glossary/missing/",
        "/api/v1/terms/?letter=Q1",
        "/glossary/?page=x",
    ],
)
def test_errors_are_never_kept_by_a_shared_cache(client, glossary, path):
    response = client.get(path)
    assert response.status_code >= 400
    assert untagged(response)
    assert directives(response) == {"no-store"}


def test_too_many_requests_is_never_kept_by_a_shared_cache(client, low_rate, glossary):
    responses = [client.get("/api/v1/letters/") for _ in range(5)]
    throttled = [response for response in responses if response.status_code == 429]
    assert throttled
    assert all(untagged(response) for response in throttled)
    assert all("no-store" in directives(response) for response in throttled)


def test_the_contact_form_and_the_admin_are_not_for_shared_caches(client, glossary):
    for path in ("/advisory/", "/admin/login/"):
        response = client.get(path)
        assert untagged(response), path
        assert "public" not in directives(response), path
        assert directives(response) & {"private", "no-store", "no-cache"}, path
