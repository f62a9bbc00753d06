"""Links between terms: written `[label](term:<id>)`, stored by identity, shown to readers
at the target's current address while it is published, and as the label alone otherwise."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from terms.markdown import render_markdown
from terms.models import FAQ, SiteSettings, Term
from terms.services import glossary_export, glossary_import, term_archive, working_copy_start
from terms.term_links import render_for_editor
from tests.factories import CategoryFactory, FAQFactory, TermFactory
from tests.helpers.pages import Page
from tests.helpers.term_admin import ADD_TERM, field_errors, term_form

from ..helpers.glossary_files import glossary_file, import_problems, term_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def target():
    return TermFactory(title="Model Card", slug="model-card")


def linking(target, text="See [the card](term:{pk}) first.", **fields):
    return TermFactory(
        title="Datasheet", slug="datasheet", definition=text.format(pk=target.pk), **fields
    )


def term_page(client, slug: str) -> str:
    response = client.get(f"/glossary/{slug}/")
    assert response.status_code == 200
    return response.content.decode()


def term_links_in(html: str) -> list[dict]:
    return [link for link in Page(html).links if "term-link" in (link.get("class") or "")]


# Readers -------------------------------------------------------------------------------


def test_a_link_to_a_published_term_leads_to_its_page(client, target):
    linking(target)

    html = term_page(client, "datasheet")

    assert term_links_in(html) == [{"href": "/glossary/model-card/", "class": "term-link"}]
    assert '<a href="/glossary/model-card/" class="term-link">the card</a>' in html


def test_a_link_follows_its_target_when_the_target_is_renamed(client, target):
    linking(target)
    target.slug = "model-cards"
    target.save()

    html = term_page(client, "datasheet")

    assert [link["href"] for link in term_links_in(html)] == ["/glossary/model-cards/"]


@pytest.mark.parametrize(
    "hide",
    [
        pytest.param(lambda term: term_archive(term=term), id="archived"),
        pytest.param(
            lambda term: Term.objects.filter(pk=term.pk).update(status="draft"), id="draft"
        ),
        pytest.param(lambda term: term.delete(), id="deleted"),
    ],
)
def test_a_link_to_a_term_readers_cannot_see_is_its_label_alone(client, hide):
    hidden = TermFactory(title="Secret Project", slug="secret-project")
    linking(hidden, "See [the plan](term:{pk}) first.")
    hide(hidden)

    html = term_page(client, "datasheet")

    assert "<p>See the plan first.</p>" in html
    assert term_links_in(html) == []
    assert "secret-project" not in html
    assert "Secret Project" not in html


@pytest.mark.parametrize(
    "markdown",
    [
        "[a](term:{pk} onclick=alert(1))",
        '[a](term:{pk} "x" onclick="alert(1)")',
        "[a](term:javascript:alert(1))",
        "[a](term:)",
        '<a href="term:{pk}" onclick="alert(1)">a</a>',
        '<a href="term:{pk}&quot; onclick=&quot;alert(1)">a</a>',
        "[a](term:{pk}><script>alert(1)</script>)",
        "[a](term:99999999999999999999999)",
        "[a](term:١٢)",
    ],
)
def test_a_crafted_link_runs_no_script_and_adds_no_attribute(client, target, markdown):
    term = linking(target, markdown)

    html = term_page(client, "datasheet")

    definition = html.split('id="definition"', 1)[1].split("</section>", 1)[0]
    assert "onclick" not in definition
    assert "javascript" not in definition
    assert "<script" not in definition
    for link in Page(definition).links:
        assert set(link) <= {"href", "class", "rel", "title"}
        assert link.get("href", "/glossary/").startswith("/glossary/")
    assert term.definition_html  # rendered, not refused at save


def test_a_raw_html_link_to_a_term_is_treated_as_the_markdown_one(client, target):
    linking(target, '<a href="term:{pk}">the card</a>')

    assert [link["href"] for link in term_links_in(term_page(client, "datasheet"))] == [
        "/glossary/model-card/"
    ]


def test_links_in_why_it_matters_and_in_own_and_shared_faq_answers_resolve(client, target):
    term = linking(target, "No link here.", why_it_matters=f"Read [it](term:{target.pk}).")
    FAQFactory(term=term, answer=f"Yes, [own](term:{target.pk}).")
    FAQFactory(term=None, category=term.category, answer=f"Yes, [shared](term:{target.pk}).")

    html = term_page(client, "datasheet")

    assert [link["href"] for link in term_links_in(html)] == ["/glossary/model-card/"] * 3
    assert '<p>Yes, <a href="/glossary/model-card/" class="term-link">shared</a>.</p>' in html


def test_the_category_page_renders_its_description_and_shared_answers_as_markdown(client, target):
    category = CategoryFactory(
        slug="governance", description=f"Rules *and* [cards](term:{target.pk})."
    )
    FAQFactory(term=None, category=category, answer=f"See [it](term:{target.pk}).")

    response = client.get("/glossary/category/governance/")

    html = response.content.decode()
    assert (
        '<p>Rules <em>and</em> <a href="/glossary/model-card/" class="term-link">cards</a>.</p>'
        in html
    )
    assert len(term_links_in(html)) == 2
    assert Page(html).meta["description"] == "Rules and cards."


def test_the_call_to_action_is_markdown_and_shows_the_title_as_written(client, target):
    TermFactory(
        title="C*-algebra [draft]",
        slug="c-algebra",
        cta_body=f"We help with **{{term}}**; see [cards](term:{target.pk}).",
    )

    html = term_page(client, "c-algebra")

    cta = html.split('class="cta"', 1)[1].split("</aside>", 1)[0]
    assert (
        "<p>We help with <strong>C*-algebra [draft]</strong>; see "
        '<a href="/glossary/model-card/" class="term-link">cards</a>.</p>'
    ) in cta


def test_the_default_call_to_action_is_markdown_too(client):
    settings = SiteSettings.load()
    settings.default_cta_body = "Talk to us about *{term}*."
    settings.save()
    TermFactory(title="Embedding", slug="embedding")

    assert "<p>Talk to us about <em>Embedding</em>.</p>" in term_page(client, "embedding")


@pytest.mark.usefixtures("next_scheduled_change_known")
def test_a_page_with_links_costs_one_query_more_than_one_without_however_many_links(client, target):
    SiteSettings.load()
    TermFactory(slug="plain")
    many = " ".join(f"[{n}](term:{TermFactory().pk})" for n in range(5))
    linking(target, many + " [card](term:{pk})")

    def queries(path):
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    assert queries("/glossary/datasheet/") == queries("/glossary/plain/") + 1


# The editor's preview --------------------------------------------------------------------


def test_the_editors_preview_shows_what_each_link_points_at(target):
    draft = TermFactory(title="Red Teaming", slug="red-teaming", status=Term.Status.DRAFT)

    html = render_for_editor(
        f"[live](term:{target.pk}), [draft](term:{draft.pk}), [gone](term:99999), **bold**"
    )

    assert html == (
        '<p><a href="/glossary/model-card/" class="term-link">live</a>, '
        '<span class="term-link term-link-unpublished" '
        'title="Not published: readers see plain text">draft</span>, '
        '<span class="term-link term-link-missing" title="No such term">gone</span>, '
        "<strong>bold</strong></p>"
    )


def test_the_editors_preview_sanitises_as_the_site_does():
    text = "<script>alert(1)</script> [x](javascript:alert(1)) [y](term:javascript:1) *ok*"

    assert render_for_editor(text) == render_markdown(text)
    assert "<script" not in render_for_editor(text)


# Validation ------------------------------------------------------------------------------


def messages(error: ValidationError, field: str) -> list[str]:
    return error.message_dict[field]


def test_a_link_to_no_term_is_refused_next_to_its_field(target):
    term = TermFactory.build(
        slug="new",
        title="New",
        category=target.category,
        definition="[a](term:99999) and [b](term:no-such-term)",
    )

    with pytest.raises(ValidationError) as refused:
        term.full_clean()

    assert messages(refused.value, "definition") == [
        "Links to terms that do not exist: 99999, no-such-term."
    ]


def test_a_link_to_a_working_copy_is_refused(target, editor):
    copy = working_copy_start(entry=target)
    term = TermFactory.build(
        slug="new", title="New", category=target.category, why_it_matters=f"[a](term:{copy.pk})"
    )

    with pytest.raises(ValidationError) as refused:
        term.full_clean()

    assert messages(refused.value, "why_it_matters") == [
        f"Links to working copies, not to glossary entries: {copy.pk}. Link to the entry itself."
    ]


def test_a_term_cannot_link_to_itself_nor_its_working_copy_to_its_entry(target):
    target.definition = f"[me](term:{target.pk})"
    with pytest.raises(ValidationError) as refused:
        target.full_clean()
    assert messages(refused.value, "definition") == ["A term cannot link to itself."]

    copy = working_copy_start(entry=Term.objects.get(pk=target.pk))
    copy.cta_body = f"[me](term:{target.pk})"
    with pytest.raises(ValidationError) as refused:
        copy.full_clean()
    assert messages(refused.value, "cta_body") == ["A term cannot link to itself."]


def test_a_link_whose_target_was_deleted_since_does_not_stop_the_next_save(target):
    gone = TermFactory(slug="gone")
    gone_pk = gone.pk
    term = linking(target, "[old](term:" + str(gone_pk) + ") and [the card](term:{pk})")
    gone.delete()

    term.summary = "Changed for another reason."
    term.full_clean()

    term.definition += f" and [new](term:{gone_pk + 1000})"
    with pytest.raises(ValidationError) as refused:
        term.full_clean()
    assert messages(refused.value, "definition") == [
        f"Links to terms that do not exist: {gone_pk + 1000}."
    ]


def test_a_link_typed_by_slug_is_stored_by_id(target):
    term = TermFactory.build(
        slug="new", title="New", category=target.category, definition="[a](term:model-card)"
    )

    term.full_clean()
    term.save()

    assert Term.objects.get(slug="new").definition == f"[a](term:{target.pk})"


def test_faq_answers_and_category_descriptions_are_checked_too(target):
    faq = FAQ(term=target, question="Q?", answer="[a](term:nope)")
    with pytest.raises(ValidationError) as refused:
        faq.full_clean()
    assert messages(refused.value, "answer") == ["Links to terms that do not exist: nope."]

    category = CategoryFactory.build(slug="new", name="New", description="[a](term:model-card)")
    category.full_clean()
    assert category.description == f"[a](term:{target.pk})"


def test_the_admin_form_shows_the_refused_link_next_to_the_field(editor_client, target):
    data = term_form(target.category, definition="See [x](term:nope).")

    response = editor_client.post(ADD_TERM, data)

    assert response.status_code == 200
    assert field_errors(response, "definition") == ["Links to terms that do not exist: nope."]
    assert not Term.objects.filter(slug="mechanistic-interpretability").exists()


def test_the_admin_form_stores_a_link_typed_by_slug_by_id(editor_client, target):
    data = term_form(
        target.category,
        definition="See [x](term:model-card).",
        faqs=[("Why?", "See [it](term:model-card).")],
    )

    response = editor_client.post(ADD_TERM, data)

    assert response.status_code == 302
    stored = Term.objects.get(slug="mechanistic-interpretability")
    assert stored.definition == f"See [x](term:{target.pk})."
    assert stored.faqs.get().answer == f"See [it](term:{target.pk})."


def test_the_admin_form_refuses_a_bad_link_in_an_faq_answer(editor_client, target):
    data = term_form(target.category, faqs=[("Why?", "See [it](term:123456).")])

    response = editor_client.post(ADD_TERM, data)

    assert field_errors(response, "answer", formset="faqs") == [
        "Links to terms that do not exist: 123456."
    ]


# The interchange format ----------------------------------------------------------------


def test_export_writes_links_by_slug_and_a_link_to_a_deleted_term_as_its_label(target):
    gone = TermFactory(slug="gone")
    term = linking(target, "[the card](term:{pk}) and [old](term:" + str(gone.pk) + ")")
    FAQFactory(term=term, answer=f'[it](term:{target.pk} "Card")')
    Term.objects.filter(pk=gone.pk).delete()

    exported = {record["slug"]: record for record in glossary_export()["terms"]}

    assert exported["datasheet"]["definition"] == "[the card](term:model-card) and old"
    assert exported["datasheet"]["faqs"][0]["answer"] == '[it](term:model-card "Card")'


def test_a_glossary_round_trips_its_links_into_an_empty_database(target):
    term = linking(target, cta_body=f"Ask about [cards](term:{target.pk}).")
    FAQFactory(term=term, answer=f"[it](term:{target.pk})")
    category = target.category
    category.description = f"Home of [the card](term:{target.pk})."
    category.save()
    FAQFactory(term=None, category=category, answer=f"[Datasheet](term:{term.pk})")
    exported = glossary_export()
    FAQ.objects.all().delete()
    Term.objects.all().delete()
    category.delete()

    glossary_import(data=exported)

    card, sheet = Term.objects.get(slug="model-card"), Term.objects.get(slug="datasheet")
    assert sheet.definition == f"See [the card](term:{card.pk}) first."
    assert sheet.cta_body == f"Ask about [cards](term:{card.pk})."
    assert sheet.faqs.get().answer == f"[it](term:{card.pk})"
    new_category = card.category
    assert new_category.description == f"Home of [the card](term:{card.pk})."
    assert new_category.shared_faqs.get().answer == f"[Datasheet](term:{sheet.pk})"
    assert f'href="term:{card.pk}"' in sheet.definition_html
    assert glossary_import(data=glossary_export()).changed_anything is False


def test_an_import_links_to_terms_later_in_the_file_and_to_stored_ones(target):
    data = glossary_file(
        term_record("alpha", "Alpha", definition="[b](term:beta) and [c](term:model-card)"),
        term_record("beta", "Beta", definition="Plain."),
    )
    data["categories"][0]["description"] = "Start with [alpha](term:alpha)."

    glossary_import(data=data)

    alpha, beta = Term.objects.get(slug="alpha"), Term.objects.get(slug="beta")
    assert alpha.definition == f"[b](term:{beta.pk}) and [c](term:{target.pk})"
    assert alpha.category.description == f"Start with [alpha](term:{alpha.pk})."


def test_an_import_names_the_record_and_field_of_a_link_to_no_term():
    data = glossary_file(
        term_record("alpha", "Alpha", definition="[x](term:nope)"),
        term_record("beta", "Beta", faqs=[{"question": "Q?", "answer": "[y](term:alpha)"}]),
        term_record("gamma", "Gamma", why_it_matters="[me](term:gamma)"),
    )

    assert import_problems(data) == {
        ("term", "alpha", "definition"): ["links to no term with slug 'nope'"],
        ("term", "gamma", "why_it_matters"): ["A term cannot link to itself."],
    }
