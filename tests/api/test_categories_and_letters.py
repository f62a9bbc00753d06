"""Categories with their shared FAQs, and the A–Z index."""

import pytest

from terms.models import Term

from ..factories import CategoryFactory, FAQFactory, TermFactory

pytestmark = pytest.mark.django_db

SERVER = "http://testserver"


@pytest.fixture
def governance():
    category = CategoryFactory(
        name="AI Governance", slug="governance", description="Rules, roles and oversight.", order=1
    )
    FAQFactory(term=None, category=category, question="Second?", answer="*B*.", position=2)
    FAQFactory(term=None, category=category, question="First?", answer="A.", position=1)
    for title in ("Model Card", "AI Act"):
        TermFactory(title=title, category=category)
    TermFactory(title="Draft Policy", category=category, status=Term.Status.DRAFT)
    TermFactory(title="Old Policy", category=category, status=Term.Status.ARCHIVED)
    return category


SHARED_FAQS = [
    {"question": "First?", "answer": "A.", "answer_html": "<p>A.</p>"},
    {"question": "Second?", "answer": "*B*.", "answer_html": "<p><em>B</em>.</p>"},
]


# Categories ----------------------------------------------------------------------------


def test_the_category_list_describes_each_category(client, governance):
    CategoryFactory(name="Architectures", slug="architectures", description="", order=2)

    response = client.get("/api/v1/categories/")

    assert response.status_code == 200
    assert response.json() == [
        {
            "slug": "governance",
            "name": "AI Governance",
            "description": "Rules, roles and oversight.",
            "description_html": "<p>Rules, roles and oversight.</p>",
            "term_count": 2,
            "faqs": SHARED_FAQS,
            "url": f"{SERVER}/api/v1/categories/governance/",
            "web_url": f"{SERVER}/glossary/category/governance/",
            "terms_url": f"{SERVER}/api/v1/terms/?category=governance",
        },
        {
            "slug": "architectures",
            "name": "Architectures",
            "description": "",
            "description_html": "",
            "term_count": 0,
            "faqs": [],
            "url": f"{SERVER}/api/v1/categories/architectures/",
            "web_url": f"{SERVER}/glossary/category/architectures/",
            "terms_url": f"{SERVER}/api/v1/terms/?category=architectures",
        },
    ]


def test_term_count_counts_published_terms_only(client, governance):
    TermFactory(title="In Review", category=governance, status=Term.Status.REVIEW)

    [category] = client.get("/api/v1/categories/").json()

    assert category["term_count"] == 2


def test_a_categorys_terms_url_lists_its_published_terms(client, governance):
    terms_url = client.get("/api/v1/categories/governance/").json()["terms_url"]
    body = client.get(terms_url.removeprefix(SERVER)).json()
    assert [item["title"] for item in body["results"]] == ["AI Act", "Model Card"]


def test_the_category_page_adds_its_json_ld(client, governance):
    response = client.get("/api/v1/categories/governance/")

    assert response.status_code == 200
    page = response.json()
    category_url = f"{SERVER}/glossary/category/governance/"
    assert {name: page[name] for name in ("slug", "name", "description", "term_count")} == {
        "slug": "governance",
        "name": "AI Governance",
        "description": "Rules, roles and oversight.",
        "term_count": 2,
    }
    assert page["faqs"] == SHARED_FAQS
    assert page["json_ld"] == {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "DefinedTermSet",
                "@id": category_url,
                "name": "AI Governance",
                "url": category_url,
                "description": "Rules, roles and oversight.",
            },
            {
                "@type": "FAQPage",
                "@id": f"{category_url}#faq",
                "mainEntity": [
                    {
                        "@type": "Question",
                        "name": "First?",
                        "acceptedAnswer": {"@type": "Answer", "text": "<p>A.</p>"},
                    },
                    {
                        "@type": "Question",
                        "name": "Second?",
                        "acceptedAnswer": {"@type": "Answer", "text": "<p><em>B</em>.</p>"},
                    },
                ],
            },
        ],
    }


def test_a_category_without_shared_faqs_has_no_faq_page(client):
    CategoryFactory(slug="architectures")
    graph = client.get("/api/v1/categories/architectures/").json()["json_ld"]["@graph"]
    assert [node["@type"] for node in graph] == ["DefinedTermSet"]


def test_a_terms_own_faqs_are_not_shared_by_its_category(client, governance):
    FAQFactory(term=Term.objects.get(title="AI Act"), question="Own?")
    page = client.get("/api/v1/categories/governance/").json()
    assert [faq["question"] for faq in page["faqs"]] == ["First?", "Second?"]


def test_an_unknown_category_is_a_json_404(client):
    response = client.get("/api/v1/categories/nowhere/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Category matches the given query."}


# Letters -------------------------------------------------------------------------------


def test_the_letter_index_is_a_to_z_then_0_9(client):
    response = client.get("/api/v1/letters/")

    assert response.status_code == 200
    rows = response.json()
    assert [row["letter"] for row in rows] == [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0-9"]
    assert rows[0] == {"letter": "A", "count": 0, "terms_url": f"{SERVER}/api/v1/terms/?letter=A"}
    assert rows[-1] == {
        "letter": "0-9",
        "count": 0,
        "terms_url": f"{SERVER}/api/v1/terms/?letter=0-9",
    }


def test_each_letter_counts_its_published_terms(client):
    for title in ("Attention", "agent", "Embedding", "2-Bit Quantisation", "3D Reconstruction"):
        TermFactory(title=title)
    TermFactory(title="Autopilot Draft", status=Term.Status.DRAFT)
    TermFactory(title="Zombie", status=Term.Status.ARCHIVED)

    counts = {row["letter"]: row["count"] for row in client.get("/api/v1/letters/").json()}

    assert {letter: count for letter, count in counts.items() if count} == {
        "A": 2,
        "E": 1,
        "0-9": 2,
    }


def test_a_letters_count_matches_its_filtered_list(client):
    for title in ("Attention", "agent", "Embedding", "2-Bit Quantisation"):
        TermFactory(title=title)

    for row in client.get("/api/v1/letters/").json():
        listed = client.get("/api/v1/terms/", {"letter": row["letter"]}).json()
        assert listed["count"] == row["count"], row["letter"]
