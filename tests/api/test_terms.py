"""The term list and the term page, as a front end reads them from /api/v1/terms/."""

import datetime

import pytest

from terms.models import FAQ, SiteSettings, Term
from terms.services import term_mark_reviewed

from ..factories import (
    CategoryFactory,
    FAQFactory,
    KeyConsiderationFactory,
    ReferenceFactory,
    TermFactory,
    TermReferenceFactory,
)

pytestmark = pytest.mark.django_db

TERMS = "/api/v1/terms/"
SERVER = "http://testserver"
MOMENT = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC)


def iso(moment: datetime.datetime) -> str:
    """A time the way the API writes it."""
    return moment.isoformat().replace("+00:00", "Z")


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["results"]]


def stamp(term: Term, **times: datetime.datetime) -> None:
    """Set updated_at / published_at without save() overwriting them."""
    Term.objects.filter(pk=term.pk).update(**times)


# The list ------------------------------------------------------------------------------


def test_the_list_comes_in_pages_of_20_with_count_next_and_previous(client):
    for number in range(25):
        TermFactory(title=f"Term {number:02}")

    first = client.get(TERMS)
    second = client.get(TERMS, {"page": 2})

    assert first.status_code == 200
    body = first.json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert (body["count"], body["next"], body["previous"]) == (25, f"{SERVER}{TERMS}?page=2", None)
    assert titles(first) == [f"Term {number:02}" for number in range(20)]
    body = second.json()
    assert (body["count"], body["next"], body["previous"]) == (25, None, f"{SERVER}{TERMS}")
    assert titles(second) == [f"Term {number:02}" for number in range(20, 25)]


def test_page_size_asks_for_up_to_100_items_a_page(client):
    for number in range(101):
        TermFactory(title=f"Term {number:03}")

    small = client.get(TERMS, {"page_size": 5})
    largest = client.get(TERMS, {"page_size": 100})

    assert titles(small) == [f"Term {number:03}" for number in range(5)]
    assert small.json()["next"] == f"{SERVER}{TERMS}?page=2&page_size=5"
    assert len(titles(largest)) == 100
    assert largest.json()["next"] == f"{SERVER}{TERMS}?page=2&page_size=100"
    assert client.get(TERMS, {"page_size": 101}).json() == {
        "page_size": ["At most 100 items a page."]
    }


def test_an_empty_glossary_is_one_empty_page(client):
    response = client.get(TERMS)
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_list_item_carries_exactly_the_list_fields(client):
    category = CategoryFactory(name="Interpretability & Explainability", slug="interpretability")
    term = TermFactory(
        title="Mechanistic Interpretability",
        slug="mechanistic-interpretability",
        aliases="mech interp\nMI",
        summary="Reverse-engineering what a neural network computes.",
        category=category,
        in_development=True,
    )
    term.refresh_from_db()

    [item] = client.get(TERMS).json()["results"]

    assert item == {
        "slug": "mechanistic-interpretability",
        "title": "Mechanistic Interpretability",
        "aliases": ["mech interp", "MI"],
        "summary": "Reverse-engineering what a neural network computes.",
        "category": {"slug": "interpretability", "name": "Interpretability & Explainability"},
        "in_development": True,
        "status": "published",
        "updated_at": iso(term.updated_at),
        "reviewed_at": None,
        "url": f"{SERVER}/api/v1/terms/mechanistic-interpretability/",
        "web_url": f"{SERVER}/glossary/mechanistic-interpretability/",
    }


def test_a_term_without_aliases_lists_an_empty_alias_list(client):
    TermFactory(aliases="")
    [item] = client.get(TERMS).json()["results"]
    assert (item["aliases"], item["in_development"]) == ([], False)


# Filters -------------------------------------------------------------------------------


def test_the_category_filter_keeps_the_terms_of_one_category(client):
    governance = CategoryFactory(slug="governance")
    TermFactory(title="Model Card", category=governance)
    TermFactory(title="AI Act", category=governance)
    TermFactory(title="Embedding")

    response = client.get(TERMS, {"category": "governance"})

    assert titles(response) == ["AI Act", "Model Card"]
    assert response.json()["count"] == 2


@pytest.mark.parametrize(
    ("letter", "expected"),
    [
        ("A", ["Agent", "attention head"]),
        ("E", ["Embedding"]),
        ("0-9", ["2-Bit Quantisation", "3D Reconstruction"]),
        ("Z", []),
    ],
)
def test_the_letter_filter_keeps_titles_starting_with_that_letter_or_a_digit(
    client, letter, expected
):
    for title in ("attention head", "Agent", "Embedding", "2-Bit Quantisation"):
        TermFactory(title=title)
    TermFactory(title="3D Reconstruction")

    response = client.get(TERMS, {"letter": letter})

    assert titles(response) == expected
    assert response.json()["count"] == len(expected)


def test_updated_since_keeps_terms_changed_at_or_after_that_time(client):
    for title, days in (("Old", -2), ("Exactly then", 0), ("New", 1)):
        stamp(TermFactory(title=title), updated_at=MOMENT + datetime.timedelta(days=days))

    response = client.get(TERMS, {"updated_since": "2025-03-01T12:00:00Z"})
    with_offset = client.get(TERMS, {"updated_since": "2025-03-01T14:00:00+02:00"})

    assert titles(response) == ["Exactly then", "New"]
    assert titles(with_offset) == ["Exactly then", "New"]


def test_filters_combine(client):
    governance = CategoryFactory(slug="governance")
    stamp(TermFactory(title="Model Card", category=governance), updated_at=MOMENT)
    stamp(TermFactory(title="Guardrails", category=governance), updated_at=MOMENT)
    stamp(TermFactory(title="Mixture of Experts"), updated_at=MOMENT)
    stamp(
        TermFactory(title="Monitoring", category=governance), updated_at=MOMENT.replace(year=2020)
    )

    response = client.get(
        TERMS, {"category": "governance", "letter": "M", "updated_since": "2025-01-01"}
    )

    assert titles(response) == ["Model Card"]


def test_terms_come_in_title_order_unless_ordering_says_otherwise(client):
    rows = [  # title, days since published, days since updated
        ("Beta", 1, 3),
        ("Alpha", 2, 1),
        ("Gamma", 3, 2),
    ]
    for title, published, updated in rows:
        stamp(
            TermFactory(title=title),
            published_at=MOMENT + datetime.timedelta(days=published),
            updated_at=MOMENT + datetime.timedelta(days=updated),
        )

    assert titles(client.get(TERMS)) == ["Alpha", "Beta", "Gamma"]
    assert titles(client.get(TERMS, {"ordering": "title"})) == ["Alpha", "Beta", "Gamma"]
    assert titles(client.get(TERMS, {"ordering": "-updated_at"})) == ["Beta", "Gamma", "Alpha"]
    assert titles(client.get(TERMS, {"ordering": "published_at"})) == ["Beta", "Alpha", "Gamma"]


def test_title_order_is_alphabetical_whatever_the_case_of_the_first_letter(client):
    for title in ("Zero-Shot Learning", "k-Means Clustering", "Attention"):
        TermFactory(title=title)

    response = client.get(TERMS, {"ordering": "title"})

    assert titles(response) == ["Attention", "k-Means Clustering", "Zero-Shot Learning"]


# The term page -------------------------------------------------------------------------


@pytest.fixture
def example_term():
    """The example entry, with everything a term page shows."""
    category = CategoryFactory(name="Interpretability & Explainability", slug="interpretability")
    term = TermFactory(
        title="Mechanistic Interpretability",
        slug="mechanistic-interpretability",
        aliases="mech interp",
        category=category,
        summary="Reverse-engineering what a neural network computes.",
        definition="The study of the **internal mechanisms** of neural networks.",
        why_it_matters="It lets a business *explain* model behaviour.",
    )
    for position, text in ((2, "Results are partial"), (1, "Needs specialist skills")):
        KeyConsiderationFactory(term=term, text=text, position=position)
    FAQFactory(term=term, question="Second own?", answer="Yes.", position=2)
    FAQFactory(term=term, question="First own?", answer="It is *active* research.", position=1)
    FAQFactory(term=None, category=category, question="Shared first?", answer="A.", position=1)
    FAQFactory(term=None, category=category, question="Shared second?", answer="B.", position=2)
    nist = ReferenceFactory(
        title="AI RMF 1.0", publisher="NIST", year=2023, url="https://www.nist.gov/rmf"
    )
    notes = ReferenceFactory(title="Internal notes", publisher="", year=None, url="")
    TermReferenceFactory(term=term, reference=notes, position=2)
    TermReferenceFactory(term=term, reference=nist, position=1)
    term.related.add(
        TermFactory(title="Sparse Autoencoder", slug="sparse-autoencoder", summary="Features."),
        TermFactory(title="Probing", slug="probing", summary="Classifiers on activations."),
        TermFactory(title="Circuit Draft", status=Term.Status.DRAFT),
    )
    term.refresh_from_db()
    return term


def test_the_term_page_has_every_field_a_page_shows(client, example_term):
    response = client.get(f"{TERMS}mechanistic-interpretability/")

    assert response.status_code == 200
    page = response.json()
    assert set(page) == {
        *("slug", "title", "aliases", "summary", "category", "in_development", "updated_at"),
        *("reviewed_at", "url", "web_url", "definition", "definition_html", "why_it_matters"),
        *("why_it_matters_html", "key_considerations", "faqs", "references", "related"),
        *("links_to", "cta", "published_at", "json_ld", "status"),
    }
    assert page["slug"] == "mechanistic-interpretability"
    assert page["title"] == "Mechanistic Interpretability"
    assert page["aliases"] == ["mech interp"]
    assert page["category"] == {
        "slug": "interpretability",
        "name": "Interpretability & Explainability",
    }
    assert page["url"] == f"{SERVER}/api/v1/terms/mechanistic-interpretability/"
    assert page["web_url"] == f"{SERVER}/glossary/mechanistic-interpretability/"
    assert page["definition"] == "The study of the **internal mechanisms** of neural networks."
    assert page["definition_html"] == (
        "<p>The study of the <strong>internal mechanisms</strong> of neural networks.</p>"
    )
    assert page["why_it_matters"] == "It lets a business *explain* model behaviour."
    assert (
        page["why_it_matters_html"] == "<p>It lets a business <em>explain</em> model behaviour.</p>"
    )
    assert page["published_at"] == iso(example_term.published_at)
    assert page["updated_at"] == iso(example_term.updated_at)


def test_key_considerations_are_strings_in_their_order(client, example_term):
    page = client.get(f"{TERMS}mechanistic-interpretability/").json()
    assert page["key_considerations"] == ["Needs specialist skills", "Results are partial"]


def test_faqs_are_the_terms_own_then_its_categorys_shared_ones_in_order(client, example_term):
    page = client.get(f"{TERMS}mechanistic-interpretability/").json()
    assert page["faqs"] == [
        {
            "question": "First own?",
            "answer": "It is *active* research.",
            "answer_html": "<p>It is <em>active</em> research.</p>",
        },
        {"question": "Second own?", "answer": "Yes.", "answer_html": "<p>Yes.</p>"},
        {"question": "Shared first?", "answer": "A.", "answer_html": "<p>A.</p>"},
        {"question": "Shared second?", "answer": "B.", "answer_html": "<p>B.</p>"},
    ]


def test_references_come_in_their_order_with_title_publisher_year_and_url(client, example_term):
    page = client.get(f"{TERMS}mechanistic-interpretability/").json()
    assert page["references"] == [
        {
            "title": "AI RMF 1.0",
            "publisher": "NIST",
            "year": 2023,
            "url": "https://www.nist.gov/rmf",
        },
        {"title": "Internal notes", "publisher": "", "year": None, "url": ""},
    ]


def test_related_terms_are_the_published_ones_only(client, example_term):
    page = client.get(f"{TERMS}mechanistic-interpretability/").json()
    assert page["related"] == [
        {"slug": "probing", "title": "Probing", "summary": "Classifiers on activations."},
        {"slug": "sparse-autoencoder", "title": "Sparse Autoencoder", "summary": "Features."},
    ]


def test_the_call_to_action_uses_the_default_wording_with_the_terms_title(client, example_term):
    page = client.get(f"{TERMS}mechanistic-interpretability/").json()
    assert page["cta"] == {
        "heading": "Need help implementing Mechanistic Interpretability?",
        "body": "Our advisory team helps businesses adopt AI strategically. "
        "Let's discuss how Mechanistic Interpretability fits into your AI roadmap.",
        "body_html": "<p>Our advisory team helps businesses adopt AI strategically. "
        "Let's discuss how Mechanistic Interpretability fits into your AI roadmap.</p>",
        "inquiry_url": f"{SERVER}/advisory/?term=mechanistic-interpretability",
    }


def test_a_term_can_override_the_call_to_action(client):
    TermFactory(
        slug="red-teaming", cta_heading="Book a red-team exercise", cta_body="We attack it first."
    )
    cta = client.get(f"{TERMS}red-teaming/").json()["cta"]
    assert cta == {
        "heading": "Book a red-team exercise",
        "body": "We attack it first.",
        "body_html": "<p>We attack it first.</p>",
        "inquiry_url": f"{SERVER}/advisory/?term=red-teaming",
    }


def test_the_site_wide_default_call_to_action_can_be_reworded(client):
    SiteSettings.objects.update_or_create(
        pk=1,
        defaults={"default_cta_heading": "Questions about {term}?", "default_cta_body": "Ask."},
    )
    TermFactory(title="Embedding", slug="embedding")
    cta = client.get(f"{TERMS}embedding/").json()["cta"]
    assert (cta["heading"], cta["body"]) == ("Questions about Embedding?", "Ask.")


def test_a_call_to_action_stored_with_a_format_width_is_sent_as_typed_not_two_megabytes(client):
    SiteSettings.objects.update_or_create(
        pk=1, defaults={"default_cta_heading": "Need help with {term:>2000000}?"}
    )
    TermFactory(title="Embedding", slug="embedding")
    response = client.get(f"{TERMS}embedding/")
    assert len(response.content) < 50_000
    assert response.json()["cta"]["heading"] == "Need help with {term:>2000000}?"


def test_definition_html_never_carries_scripts_or_javascript_links(client):
    TermFactory(
        slug="unsafe",
        definition="Hello <script>alert(1)</script> and [x](javascript:alert(1)).",
        why_it_matters='<img src=x onerror="alert(1)"> [y](JavaScript:alert(2))',
    )
    FAQFactory(term=Term.objects.get(slug="unsafe"), answer="<script>alert(3)</script>")

    page = client.get(f"{TERMS}unsafe/").json()

    for html in (
        page["definition_html"],
        page["why_it_matters_html"],
        page["faqs"][0]["answer_html"],
    ):
        assert "<script" not in html.lower()
        assert "javascript:" not in html.lower()
        assert "onerror" not in html.lower()
    assert "Hello" in page["definition_html"]


def test_json_ld_is_a_defined_term_in_its_set_with_a_faq_page_of_its_own_faqs(client, example_term):
    json_ld = client.get(f"{TERMS}mechanistic-interpretability/").json()["json_ld"]

    term_url = f"{SERVER}/glossary/mechanistic-interpretability/"
    category_url = f"{SERVER}/glossary/category/interpretability/"
    assert json_ld == {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "DefinedTerm",
                "@id": term_url,
                "name": "Mechanistic Interpretability",
                "url": term_url,
                "description": "Reverse-engineering what a neural network computes.",
                "inDefinedTermSet": {
                    "@type": "DefinedTermSet",
                    "@id": category_url,
                    "name": "Interpretability & Explainability",
                    "url": category_url,
                },
                "alternateName": ["mech interp"],
            },
            {
                "@type": "FAQPage",
                "@id": f"{term_url}#faq",
                "mainEntity": [
                    {
                        "@type": "Question",
                        "name": "First own?",
                        "acceptedAnswer": {
                            "@type": "Answer",
                            "text": "<p>It is <em>active</em> research.</p>",
                        },
                    },
                    {
                        "@type": "Question",
                        "name": "Second own?",
                        "acceptedAnswer": {"@type": "Answer", "text": "<p>Yes.</p>"},
                    },
                ],
            },
        ],
    }


def test_a_term_with_only_shared_faqs_has_no_faq_page_in_its_json_ld(client):
    term = TermFactory(slug="embedding", aliases="")
    FAQ.objects.create(category=term.category, question="Shared?", answer="Yes.")

    page = client.get(f"{TERMS}embedding/").json()

    assert [faq["question"] for faq in page["faqs"]] == ["Shared?"]
    assert [node["@type"] for node in page["json_ld"]["@graph"]] == ["DefinedTerm"]
    assert "alternateName" not in page["json_ld"]["@graph"][0]


def test_an_unknown_slug_is_a_json_404(client):
    response = client.get(f"{TERMS}no-such-term/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Term matches the given query."}


def test_the_list_and_the_page_say_when_the_term_was_last_reviewed(client):
    term_mark_reviewed(term=TermFactory(slug="reviewed"))
    TermFactory(slug="never-reviewed")
    reviewed_at = Term.objects.get(slug="reviewed").reviewed_at

    listed = {item["slug"]: item["reviewed_at"] for item in client.get(TERMS).json()["results"]}

    assert listed == {"reviewed": iso(reviewed_at), "never-reviewed": None}
    assert client.get(f"{TERMS}reviewed/").json()["reviewed_at"] == iso(reviewed_at)
    assert client.get(f"{TERMS}never-reviewed/").json()["reviewed_at"] is None
