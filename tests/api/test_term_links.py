"""Links between terms in the API: resolved HTML and `links_to` on the term detail,
`description_html` on categories, `cta.body_html`; fresh after the target changes even
with the response cache on."""

import pytest

from terms.models import SiteSettings, Term
from terms.services import term_archive

from ..factories import CategoryFactory, FAQFactory, TermFactory

SERVER = "http://testserver"
PAGE = "/api/v1/terms/datasheet/"


def link(term: Term, label: str = "it") -> str:
    return f"[{label}](term:{term.pk})"


def linked(href: str, label: str) -> str:
    return f'<a href="{href}" class="term-link">{label}</a>'


@pytest.mark.django_db
class TestTheTermDetail:
    def test_lists_the_published_terms_it_links_to_once_each_in_page_order(self, client):
        card = TermFactory(title="Model Card", slug="model-card")
        audit = TermFactory(title="Audit", slug="audit")
        hidden = TermFactory(title="Secret", slug="secret", status=Term.Status.DRAFT)
        term = TermFactory(
            slug="datasheet",
            definition=f"{link(audit)}, {link(hidden)}, {link(audit)}",
            why_it_matters=link(card),
        )
        FAQFactory(term=term, answer=link(card))

        page = client.get(PAGE).json()

        assert page["links_to"] == [
            {
                "slug": "audit",
                "title": "Audit",
                "url": f"{SERVER}/api/v1/terms/audit/",
                "web_url": f"{SERVER}/glossary/audit/",
            },
            {
                "slug": "model-card",
                "title": "Model Card",
                "url": f"{SERVER}/api/v1/terms/model-card/",
                "web_url": f"{SERVER}/glossary/model-card/",
            },
        ]
        assert page["definition_html"] == (
            f"<p>{linked('/glossary/audit/', 'it')}, it, {linked('/glossary/audit/', 'it')}</p>"
        )
        assert page["faqs"][0]["answer_html"] == f"<p>{linked('/glossary/model-card/', 'it')}</p>"

    def test_never_names_a_target_readers_cannot_see(self, client):
        hidden = TermFactory(title="Secret Project", slug="secret-project")
        category = CategoryFactory()
        term = TermFactory(slug="datasheet", category=category, definition=link(hidden, "the plan"))
        FAQFactory(term=None, category=category, answer=link(hidden, "the plan"))
        term.cta_body = f"Ask about {link(hidden, 'the plan')}."
        term.save()
        term_archive(term=hidden)

        response = client.get(PAGE)

        page = response.json()
        assert page["links_to"] == []
        assert page["definition_html"] == "<p>the plan</p>"
        assert page["cta"]["body_html"] == "<p>Ask about the plan.</p>"
        assert "secret-project" not in response.content.decode()
        assert "Secret Project" not in response.content.decode()

    def test_shows_the_call_to_action_as_markdown_beside_the_plain_text(self, client):
        SiteSettings.load()
        TermFactory(slug="datasheet", title="Datasheet", cta_body="Ask about **{term}**.")

        cta = client.get(PAGE).json()["cta"]

        assert cta["body"] == "Ask about **Datasheet**."
        assert cta["body_html"] == "<p>Ask about <strong>Datasheet</strong>.</p>"


@pytest.mark.django_db
def test_a_category_has_its_description_as_html_with_links_resolved(client):
    card = TermFactory(title="Model Card", slug="model-card")
    CategoryFactory(slug="governance", description=f"Rules *&* {link(card, 'cards')}.")

    listed = client.get("/api/v1/categories/").json()
    detail = client.get("/api/v1/categories/governance/").json()

    expected = f"<p>Rules <em>&amp;</em> {linked('/glossary/model-card/', 'cards')}.</p>"
    governance = next(item for item in listed if item["slug"] == "governance")
    assert governance["description_html"] == expected
    assert governance["description"] == f"Rules *&* {link(card, 'cards')}."
    assert detail["description_html"] == expected
    assert detail["json_ld"]["@graph"][0]["description"] == "Rules & cards."


# With the response cache on ------------------------------------------------------------
# As in test_response_cache.py: committed for real, so that the content generation moves.


@pytest.fixture
def response_cache(settings):
    settings.API_RESPONSE_CACHE = True


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("response_cache")
def test_a_cached_page_shows_the_target_renamed_then_taken_down_at_once(client):
    SiteSettings.load()
    card = TermFactory(title="Model Card", slug="model-card")
    TermFactory(slug="datasheet", definition=f"See {link(card, 'cards')}.")
    first = client.get(PAGE).json()
    assert client.get(PAGE).json() == first  # answered from the cache from now on
    assert first["definition_html"] == f"<p>See {linked('/glossary/model-card/', 'cards')}.</p>"

    card.slug = "model-cards"
    card.save()
    renamed = client.get(PAGE).json()
    assert renamed["definition_html"] == (
        f"<p>See {linked('/glossary/model-cards/', 'cards')}.</p>"
    )
    assert [item["slug"] for item in renamed["links_to"]] == ["model-cards"]

    term_archive(term=Term.objects.get(pk=card.pk))
    archived = client.get(PAGE).json()
    assert archived["definition_html"] == "<p>See cards.</p>"
    assert archived["links_to"] == []
