"""The server-rendered glossary: the index, category and term pages, their SEO markup,
sitemap.xml and robots.txt."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache

from terms.models import SiteSettings, Term
from terms.preview import preview_token

from ..factories import (
    CategoryFactory,
    FAQFactory,
    KeyConsiderationFactory,
    ReferenceFactory,
    TermFactory,
    TermReferenceFactory,
)
from ..helpers.pages import Page, get_page, listed

pytestmark = pytest.mark.django_db

SITE_URL = "https://glossary.example.com"


@pytest.fixture(autouse=True)
def _fresh_cache_and_site_url(settings):
    """Counts are cached per content change, which only a commit moves: start each test
    without them. Absolute links use SITE_URL."""
    cache.clear()
    settings.SITE_URL = SITE_URL


@pytest.fixture
def full_term():
    """A term with every part of an entry filled in, and its category's shared FAQ."""
    category = CategoryFactory(name="Interpretability & Explainability", slug="interpretability")
    term = TermFactory(
        title="Mechanistic Interpretability",
        slug="mechanistic-interpretability",
        aliases="mech interp",
        category=category,
        summary="Reverse-engineering what a neural network computes.",
        definition="The study of the *internal mechanisms* of neural networks.",
        why_it_matters="Regulators ask **why** a model decided.",
    )
    KeyConsiderationFactory(term=term, text="Expensive at scale", position=1)
    KeyConsiderationFactory(term=term, text="Still a research field", position=2)
    FAQFactory(term=term, question="Is it the same as explainability?", answer="Not *quite*.")
    FAQFactory(term=None, category=category, question="Why explain models?", answer="Trust.")
    reference = ReferenceFactory(
        title="Zoom In: An Introduction to Circuits",
        publisher="Distill",
        year=2020,
        url="https://distill.pub/2020/circuits/zoom-in/",
    )
    TermReferenceFactory(term=term, reference=reference)
    related = TermFactory(title="Explainability", slug="explainability", summary="Why, in words.")
    term.related.add(related)
    return term


# The term page -------------------------------------------------------------------------


def test_a_term_page_shows_every_part_of_the_entry_in_order(client, full_term):
    html, page = get_page(client, "/glossary/mechanistic-interpretability/")

    assert page.headings == [
        ("h1", "Mechanistic Interpretability"),
        ("h2", "Definition"),
        ("h2", "Why it matters for business"),
        ("h2", "Key considerations"),
        ("h2", "Common questions"),
        ("h2", "References"),
        ("h2", "Related terms"),
        ("h2", "Need help implementing Mechanistic Interpretability?"),
    ]
    in_order = [
        'href="/glossary/"',
        'href="/glossary/category/interpretability/"',
        "<h1>Mechanistic Interpretability</h1>",
        "<em>internal mechanisms</em>",
        "<strong>why</strong>",
        "Expensive at scale",
        "Still a research field",
        "<summary>Is it the same as explainability?</summary>",
        "<summary>Why explain models?</summary>",
        "Zoom In: An Introduction to Circuits</cite>, Distill (2020). ",
        'href="/glossary/explainability/"',
        "Why, in words.",
        'href="/advisory/?term=mechanistic-interpretability"',
    ]
    article = html[html.index("<article") :]
    positions = [article.index(text) for text in in_order]
    assert positions == sorted(positions)


def test_references_open_their_source_safely_in_a_new_tab(client, full_term):
    _html, page = get_page(client, "/glossary/mechanistic-interpretability/")

    [source] = [link for link in page.links if link.get("href", "").startswith("https://distill")]
    assert source["target"] == "_blank"
    assert source["rel"] == "noopener noreferrer"


def test_the_faqs_are_a_disclosure_list_of_the_terms_own_then_its_categorys(client, full_term):
    html, _page = get_page(client, "/glossary/mechanistic-interpretability/")

    questions = re.findall(r"<details>\s*<summary>(.*?)</summary>", html)
    assert questions == ["Is it the same as explainability?", "Why explain models?"]
    assert "<em>quite</em>" in html


def test_a_term_still_being_developed_says_so_under_its_title(client):
    TermFactory(title="Agentic AI", slug="agentic-ai", in_development=True)
    TermFactory(title="Finished", slug="finished")

    developing, _page = get_page(client, "/glossary/agentic-ai/")
    finished, _page = get_page(client, "/glossary/finished/")

    note = "The content of this entry is still being developed."
    assert developing.index("<h1>Agentic AI</h1>") < developing.index(note)
    assert note not in finished


@pytest.mark.parametrize(
    "status", [Term.Status.DRAFT, Term.Status.REVIEW, Term.Status.ARCHIVED], ids=str
)
def test_a_term_that_is_not_published_is_not_found(client, status):
    TermFactory(slug="hidden", status=status)

    assert client.get("/glossary/hidden/").status_code == 404


def test_a_preview_link_shows_an_unpublished_term_with_a_banner_and_keeps_it_unindexed(client):
    term = TermFactory(title="Coming Soon", slug="coming-soon", status=Term.Status.DRAFT)

    response = client.get("/glossary/coming-soon/", {"preview": preview_token(term)})

    assert response.status_code == 200
    assert "Preview — not published" in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex"


def test_the_call_to_action_names_the_term_and_links_to_the_advisory_form(client):
    TermFactory(title="Guardrails", slug="guardrails")

    html, page = get_page(client, "/glossary/guardrails/")

    assert ("h2", "Need help implementing Guardrails?") in page.headings
    assert (
        "<p>Our advisory team helps businesses adopt AI strategically. "
        "Let's discuss how Guardrails fits into your AI roadmap.</p>" in html
    )
    [button] = [link for link in page.links if "button" in link.get("class", "")]
    assert button["href"] == "/advisory/?term=guardrails"


def test_a_reworded_default_call_to_action_puts_the_terms_title_for_term(client):
    SiteSettings.load()
    SiteSettings.objects.filter(pk=1).update(
        default_cta_heading="Questions about {term}?", default_cta_body="{term}: ask us."
    )
    TermFactory(title="Guardrails", slug="guardrails")

    html, page = get_page(client, "/glossary/guardrails/")

    assert ("h2", "Questions about Guardrails?") in page.headings
    assert "<p>Guardrails: ask us.</p>" in html


def test_a_call_to_action_stored_with_a_format_width_cannot_blow_up_the_page(client):
    """Stored before the rule (validation cannot reach old rows): shown as typed, not
    padded to two million characters."""
    SiteSettings.load()
    SiteSettings.objects.filter(pk=1).update(default_cta_heading="Need help with {term:>2000000}?")
    TermFactory(title="Guardrails", slug="guardrails")

    response = client.get("/glossary/guardrails/")

    assert response.status_code == 200
    assert len(response.content) < 50_000
    assert ("h2", "Need help with {term:>2000000}?") in Page(response.content.decode()).headings


def test_the_term_page_runs_a_fixed_number_of_queries(
    client, full_term, django_assert_num_queries, next_scheduled_change_known
):
    # The term, its lists, and the site settings for the call to action and for the
    # footer (one read per content generation outside a test's transaction).
    with django_assert_num_queries(4):
        response = client.get("/glossary/mechanistic-interpretability/")
    assert response.status_code == 200


# Markdown is sanitised ----------------------------------------------------------------

HOSTILE = (
    "Real **bold** text and [a source](https://example.com/paper).\n\n"
    "<script>alert('definition')</script>\n\n"
    "[click me](javascript:alert(1))\n\n"
    '<img src="x" onerror="alert(3)">\n'
)


def test_hostile_markdown_is_stripped_while_real_markdown_renders(client):
    term = TermFactory(slug="hostile", definition=HOSTILE, why_it_matters=HOSTILE)
    FAQFactory(term=term, question="<b>Loud</b> question?", answer="Yes.<script>alert(4)</script>")

    html, page = get_page(client, "/glossary/hostile/")

    for payload in ("alert('definition')", "javascript:", "onerror", "alert(3)", "alert(4)"):
        assert payload not in html
    assert "<script>" not in html.replace('<script type="application/ld+json">', "")
    assert "<strong>bold</strong>" in html
    assert "&lt;b&gt;Loud&lt;/b&gt; question?" in html
    [source, _same_in_why] = [
        link for link in page.links if link.get("href") == "https://example.com/paper"
    ]
    assert source["rel"] == "noopener noreferrer"
    assert "click me" in html  # the text stays; the link does not


def test_a_title_containing_a_closing_script_tag_cannot_leave_the_json_ld(client):
    title = "Evil </script><script>alert(1)</script>"
    TermFactory(title=title, slug="evil", summary="</script><script>alert(2)</script>")

    html, page = get_page(client, "/glossary/evil/")

    assert "<script>alert(" not in html
    assert page.of_type("DefinedTerm")[0]["name"] == title
    assert ("h1", title) in page.headings


# SEO -----------------------------------------------------------------------------------


def test_a_term_page_has_a_title_description_canonical_address_and_open_graph_tags(
    client, full_term
):
    _html, page = get_page(client, "/glossary/mechanistic-interpretability/")

    url = f"{SITE_URL}/glossary/mechanistic-interpretability/"
    summary = "Reverse-engineering what a neural network computes."
    assert page.canonical == url
    assert page.meta["description"] == summary
    assert page.meta["og:url"] == url
    assert page.meta["og:type"] == "article"
    assert page.meta["og:description"] == summary
    assert "Mechanistic Interpretability" in page.meta["og:title"]
    assert page.meta["og:site_name"] == "AI Glossary"


def test_the_term_json_ld_is_the_apis_markup_plus_a_breadcrumb_trail(client, settings, full_term):
    _html, page = get_page(client, "/glossary/mechanistic-interpretability/")
    settings.SITE_URL = "http://testserver"  # the API builds addresses from the request
    _html, local_page = get_page(client, "/glossary/mechanistic-interpretability/")
    api = client.get("/api/v1/terms/mechanistic-interpretability/").json()["json_ld"]

    [term] = page.of_type("DefinedTerm")
    assert term["name"] == "Mechanistic Interpretability"
    assert term["url"] == f"{SITE_URL}/glossary/mechanistic-interpretability/"
    assert term["inDefinedTermSet"]["@type"] == "DefinedTermSet"
    [faq_page] = page.of_type("FAQPage")
    questions = [question["name"] for question in faq_page["mainEntity"]]
    assert questions == ["Is it the same as explainability?"]  # not the category's
    [breadcrumb] = page.of_type("BreadcrumbList")
    assert [item["name"] for item in breadcrumb["itemListElement"]] == [
        "Glossary",
        "Interpretability & Explainability",
        "Mechanistic Interpretability",
    ]
    assert breadcrumb["itemListElement"][0]["item"] == f"{SITE_URL}/glossary/"
    local = local_page.graph()
    assert local["@context"] == api["@context"]
    assert [n for n in local["@graph"] if n["@type"] != "BreadcrumbList"] == api["@graph"]


def test_a_category_page_marks_up_its_term_set_and_shared_faqs(client, full_term):
    _html, page = get_page(client, "/glossary/category/interpretability/")

    [term_set] = page.of_type("DefinedTermSet")
    assert term_set["name"] == "Interpretability & Explainability"
    assert term_set["url"] == f"{SITE_URL}/glossary/category/interpretability/"
    [faq_page] = page.of_type("FAQPage")
    assert [question["name"] for question in faq_page["mainEntity"]] == ["Why explain models?"]
    assert page.canonical == f"{SITE_URL}/glossary/category/interpretability/"
    assert page.meta["og:type"] == "website"


def test_the_sitemap_lists_published_terms_and_categories_with_their_last_change(client):
    published = TermFactory(slug="published-term")
    TermFactory(slug="draft-term", status=Term.Status.DRAFT)
    empty = CategoryFactory(slug="nothing-published")
    TermFactory(slug="another-draft", category=empty, status=Term.Status.DRAFT)

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    entries = {
        url.findtext("s:loc", namespaces=namespace): url.findtext("s:lastmod", namespaces=namespace)
        # Our own response, not untrusted input.
        for url in ET.fromstring(response.content).findall("s:url", namespace)  # noqa: S314
    }
    assert set(entries) == {
        f"{SITE_URL}/glossary/",
        f"{SITE_URL}/glossary/published-term/",
        f"{SITE_URL}{published.category.get_absolute_url()}",
    }
    assert (
        entries[f"{SITE_URL}/glossary/published-term/"] == published.updated_at.date().isoformat()
    )
    assert all(entries.values())


def test_robots_txt_allows_the_site_but_not_the_admin_and_names_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Allow: /" in lines
    assert "Disallow: /admin/" in lines
    assert "Disallow: /advisory/thanks/" in lines
    assert f"Sitemap: {SITE_URL}/sitemap.xml" in lines


# The index -----------------------------------------------------------------------------


@pytest.fixture
def small_glossary():
    models = CategoryFactory(name="Models", slug="models")
    risk = CategoryFactory(name="Risk", slug="risk")
    TermFactory(title="Alignment", slug="alignment", category=risk, summary="Goals we intend.")
    TermFactory(title="Attention", slug="attention", category=models, summary="Weighing inputs.")
    TermFactory(title="Bias", slug="bias", category=risk, summary="Systematic error.")
    TermFactory(title="3D Generation", slug="3d-generation", category=models, summary="Shapes.")
    TermFactory(title="Benchmark", slug="benchmark", category=models, status=Term.Status.DRAFT)


def test_the_index_lists_published_terms_with_their_summaries(client, small_glossary):
    html, page = get_page(client, "/glossary/")

    assert listed(page) == ["3D Generation", "Alignment", "Attention", "Bias"]
    assert "Weighing inputs." in html
    assert "Benchmark" not in html


def test_the_index_offers_every_letter_with_its_count_linking_only_those_with_terms(
    client, small_glossary
):
    html, _page = get_page(client, "/glossary/")

    nav = html[html.index('aria-label="Browse by letter"') :]
    nav = nav[: nav.index("</nav>")]
    letters = re.findall(r'href="\?letter=([^"]+)"[^>]*>([^<]+)<span class="count"[^>]*>(\d+)', nav)
    assert letters == [
        ("A", "A", "2"),
        ("B", "B", "1"),
        ("0-9", "0-9", "1"),
    ]
    empty = re.findall(r'<span class="letter-empty"[^>]*>([^<]+)<', nav)
    assert empty == list("CDEFGHIJKLMNOPQRSTUVWXYZ")


def test_the_index_filters_by_letter(client, small_glossary):
    _html, page = get_page(client, "/glossary/", {"letter": "A"})

    assert listed(page) == ["Alignment", "Attention"]
    assert ("h2", "Terms starting with A") in page.headings


def test_the_index_filters_by_category_and_by_both(client, small_glossary):
    _html, by_category = get_page(client, "/glossary/", {"category": "risk"})
    _html, by_both = get_page(client, "/glossary/", {"category": "models", "letter": "A"})

    assert listed(by_category) == ["Alignment", "Bias"]
    assert listed(by_both) == ["Attention"]


def test_the_search_box_is_labelled_and_finds_terms(client, small_glossary):
    html, page = get_page(client, "/glossary/", {"q": "bias"})

    assert '<label for="id_q">Search the glossary</label>' in html
    assert listed(page) == ["Bias"]
    assert ("h2", "1 result for “bias”") in page.headings
    assert page.meta["robots"] == "noindex, follow"


def test_a_search_within_a_category_finds_only_that_categorys_terms(client, small_glossary):
    _html, page = get_page(client, "/glossary/", {"q": "attention", "category": "risk"})

    assert listed(page) == []


@pytest.mark.postgres
def test_a_misspelt_search_still_finds_the_term(client):
    TermFactory(title="Hallucination", slug="hallucination", summary="A fluent, wrong answer.")
    TermFactory(title="Retrieval-Augmented Generation", slug="rag", summary="Grounded answers.")

    _html, page = get_page(client, "/glossary/", {"q": "halucination"})

    assert listed(page)[0] == "Hallucination"


def test_page_links_keep_the_other_parameters(client):
    category = CategoryFactory(slug="many")
    for number in range(51):
        TermFactory(title=f"Tool {number:02}", slug=f"tool-{number}", category=category)

    html, page = get_page(client, "/glossary/", {"letter": "T", "category": "many"})
    second_html, second = get_page(
        client, "/glossary/", {"letter": "T", "category": "many", "page": 2}
    )

    assert len(listed(page)) == 50
    assert 'href="?letter=T&amp;category=many&amp;page=2"' in html
    assert listed(second) == ["Tool 50"]
    assert 'href="?letter=T&amp;category=many&amp;page=1"' in second_html
    assert (
        client.get("/glossary/", {"letter": "T", "category": "many", "page": 3}).status_code == 404
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"letter": "AB"}, "“AB” is not in the index"),
        ({"category": "no-such-category"}, "There is no category “no-such-category”."),
        ({"q": "x" * 201}, "Search for at most 200 characters"),
        ({"page": "two"}, "The page must be a whole number"),
        ({"page": "0"}, "Page numbers start at 1."),
    ],
)
def test_bad_parameters_are_a_400_that_says_what_is_wrong(client, small_glossary, params, message):
    html, page = get_page(client, "/glossary/", params, status=400)

    assert message in html
    assert 'role="alert"' in html
    assert ("h1", "AI Glossary") in page.headings


def test_the_index_runs_as_many_queries_for_many_terms_as_for_a_few(
    client, django_assert_max_num_queries, next_scheduled_change_known
):
    def queries() -> int:
        cache.clear()
        with django_assert_max_num_queries(6) as captured:
            assert client.get("/glossary/", {"category": category.slug}).status_code == 200
        return len(captured.captured_queries)

    category = CategoryFactory()
    TermFactory.create_batch(2, category=category)
    with_a_few = queries()
    TermFactory.create_batch(30, category=category)

    assert queries() == with_a_few


# Categories ----------------------------------------------------------------------------


def test_a_category_page_shows_its_published_terms_and_shared_questions(client, full_term):
    TermFactory(title="Unfinished", category=full_term.category, status=Term.Status.DRAFT)

    html, page = get_page(client, "/glossary/category/interpretability/")

    assert ("h1", "Interpretability & Explainability") in page.headings
    assert "Concepts that belong together." in html
    assert listed(page) == ["Mechanistic Interpretability"]
    assert "Reverse-engineering what a neural network computes." in html
    assert re.findall(r"<summary>(.*?)</summary>", html) == ["Why explain models?"]
    assert "Unfinished" not in html


def test_an_unknown_category_is_not_found(client):
    assert client.get("/glossary/category/nothing-here/").status_code == 404


def test_the_category_page_runs_a_fixed_number_of_queries(
    client, full_term, django_assert_num_queries, next_scheduled_change_known
):
    TermFactory.create_batch(10, category=full_term.category)

    with django_assert_num_queries(4):  # category, its FAQs, its terms, site settings
        response = client.get("/glossary/category/interpretability/")
    assert response.status_code == 200


# Every page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/glossary/", "/glossary/category/interpretability/", "/glossary/explainability/"]
)
def test_every_page_has_landmarks_a_skip_link_and_one_h1(client, full_term, path):
    html, page = get_page(client, path)

    assert {"header", "nav", "main", "footer"} <= set(page.tags)
    assert page.links[0] == {"class": "skip-link", "href": "#content"}
    assert 'id="content"' in html
    assert [tag for tag, _text in page.headings].count("h1") == 1
    assert "AI Advisory" in html  # the organisation, in the footer


def test_an_unknown_page_is_a_404_in_the_sites_own_design(client):
    response = client.get("/glossary/no-such-term/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>Page not found</h1>" in body
    assert 'href="/glossary/"' in body


def test_the_contact_form_page_names_the_organisation_in_its_footer(client):
    site = SiteSettings.load()
    site.organisation_name = "Northwind Advisory"
    site.save()

    response = client.get("/advisory/")

    assert "The AI Glossary by Northwind Advisory." in response.content.decode()
