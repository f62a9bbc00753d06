"""What writing an import in bulk must keep (issue 13): inline order, links between the
file's terms, names, search rows, revisions equal to an editor's, and nothing written at
all by a file that matches what is stored."""

import pytest
from django.db import connection
from reversion.models import Revision, Version

from glossary_project.httpcache.models import ContentGeneration
from terms.history import snapshot_of_revision
from terms.models import FAQ, FormerSlug, Term, TermName, TermRevision
from terms.revisions import record_revision, record_revisions
from terms.search.engine import search
from terms.search.suggest import suggestions
from terms.selectors import current_slug
from terms.services import glossary_export, glossary_import
from tests.factories import CategoryFactory, TermFactory
from tests.helpers.glossary_files import glossary_file, term_record

pytestmark = pytest.mark.django_db

PUBLISHED = {"status": "published", "definition": "Testing a model by attacking it."}


def generation() -> int | None:
    return ContentGeneration.objects.values_list("value", flat=True).first()


def test_bullets_faqs_and_citations_keep_the_order_of_the_file_and_follow_a_reordering():
    faqs = [{"question": f"Q{n}?", "answer": f"A{n}."} for n in (3, 1, 2)]
    data = glossary_file(
        term_record(
            "red-teaming",
            "Red Teaming",
            key_considerations=["Zebra.", "Apple.", "Mango."],
            faqs=faqs,
            references=["nist-ai-rmf", {"title": "Alpha Study", "year": 2020}],
        )
    )
    data["categories"][0]["faqs"] = [
        {"question": "Z?", "answer": "Z."},
        {"question": "A?", "answer": "A."},
    ]
    glossary_import(data=data)
    term = Term.objects.get(slug="red-teaming")
    assert [item.text for item in term.key_considerations.all()] == ["Zebra.", "Apple.", "Mango."]
    assert [faq.question for faq in term.faqs.all()] == ["Q3?", "Q1?", "Q2?"]
    assert [c.reference.title for c in term.citations.all()] == [
        "AI Risk Management Framework",
        "Alpha Study",
    ]
    assert [faq.question for faq in FAQ.objects.filter(category__slug="safety")] == ["Z?", "A?"]

    record = data["terms"][0]
    record["key_considerations"].reverse()
    record["faqs"].reverse()
    record["references"].reverse()
    report = glossary_import(data=data)

    assert report.updated == {"term": 1}
    assert [item.text for item in term.key_considerations.all()] == ["Mango.", "Apple.", "Zebra."]
    assert [faq.question for faq in term.faqs.all()] == ["Q2?", "Q1?", "Q3?"]
    assert [c.reference.title for c in term.citations.all()] == [
        "Alpha Study",
        "AI Risk Management Framework",
    ]


def test_terms_of_one_file_link_to_each_other_in_either_order_and_render_the_links():
    data = glossary_file(
        term_record(
            "alpha",
            "Alpha",
            definition="Before [beta](term:beta).",
            faqs=[{"question": "And gamma?", "answer": "See [gamma](term:gamma)."}],
            related=["gamma"],
            **{k: v for k, v in PUBLISHED.items() if k != "definition"},
        ),
        term_record("beta", "Beta", why_it_matters="After [alpha](term:alpha)."),
        term_record("gamma", "Gamma", cta={"heading": "", "body": "Ask about [beta](term:beta)."}),
    )
    data["categories"][0]["faqs"] = [{"question": "Start?", "answer": "[Gamma](term:gamma)."}]

    glossary_import(data=data)

    ids = dict(Term.objects.values_list("slug", "pk"))
    alpha, beta, gamma = (Term.objects.get(slug=slug) for slug in ("alpha", "beta", "gamma"))
    assert alpha.definition == f"Before [beta](term:{ids['beta']})."
    assert f'href="term:{ids["beta"]}"' in alpha.definition_html
    assert alpha.faqs.get().answer == f"See [gamma](term:{ids['gamma']})."
    assert f'href="term:{ids["gamma"]}"' in alpha.faqs.get().answer_html
    assert beta.why_it_matters == f"After [alpha](term:{ids['alpha']})."
    assert f'href="term:{ids["alpha"]}"' in beta.why_it_matters_html
    assert gamma.cta_body == f"Ask about [beta](term:{ids['beta']})."
    assert FAQ.objects.get(category__slug="safety").answer == f"[Gamma](term:{ids['gamma']})."
    assert list(alpha.related.all()) == [gamma]
    assert glossary_import(data=data).changed_anything is False


def test_an_imported_term_is_found_by_its_names_and_its_words():
    glossary_import(
        data=glossary_file(
            term_record("red-teaming", "Red Teaming", aliases=["Adversarial probing"], **PUBLISHED),
            term_record("guardrails", "Guardrails", definition="Limits."),
        )
    )
    term = Term.objects.get(slug="red-teaming")

    assert set(TermName.objects.filter(term=term).values_list("key", flat=True)) == {
        "red teaming",
        "adversarial probing",
    }
    assert [found.title for found in search("attacking")[0:5]] == ["Red Teaming"]
    assert [found.title for found in search("adversarial")[0:5]] == ["Red Teaming"]
    assert [item.title for item in suggestions("advers")] == ["Red Teaming"]
    assert list(search("limits")[0:5]) == []  # a draft


def test_a_renamed_alias_frees_its_name_for_a_term_later_in_the_same_file():
    glossary_import(
        data=glossary_file(term_record("red-teaming", "Red Teaming", aliases=["Probing"]))
    )

    glossary_import(
        data=glossary_file(
            term_record("red-teaming", "Red Teaming", aliases=["Attacking"]),
            term_record("probing", "Probing"),
        )
    )

    names = dict(TermName.objects.values_list("key", "term__slug"))
    assert names == {"red teaming": "red-teaming", "attacking": "red-teaming", "probing": "probing"}


def test_an_import_keeps_former_slugs_and_a_new_term_may_take_one():
    category = CategoryFactory(slug="safety", name="AI Safety")
    term = TermFactory(slug="red-team", title="Red Teaming", category=category, **PUBLISHED)
    term.slug = "red-teaming"
    term.save()
    assert current_slug("red-team") == "red-teaming"

    glossary_import(data=glossary_file(term_record("red-teaming", "Red Teaming", summary="New.")))
    assert current_slug("red-team") == "red-teaming"

    glossary_import(data=glossary_file(term_record("red-team", "Red Team Exercise")))
    assert list(FormerSlug.objects.values_list("slug", "term__slug")) == [
        ("red-team", "red-teaming")
    ]
    assert Term.objects.get(slug="red-team").title == "Red Team Exercise"


# Each import commits, as the generation moves; serialized_rollback: the content types the
# revisions name are back after an earlier test's flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_importing_an_unchanged_file_records_no_revision_and_moves_no_generation():
    data = glossary_file(
        term_record("red-teaming", "Red Teaming", key_considerations=["Scope it."], **PUBLISHED)
    )
    glossary_import(data=data)
    revisions, before = TermRevision.objects.count(), generation()

    glossary_import(data=data)

    assert (TermRevision.objects.count(), generation()) == (revisions, before)
    data["terms"][0]["summary"] = "Changed."
    glossary_import(data=data)
    assert TermRevision.objects.count() == revisions + 1
    assert generation() != before


def test_an_import_revision_holds_what_an_editors_revision_holds():
    data = glossary_file(
        term_record(
            "red-teaming",
            "Red Teaming",
            key_considerations=["Scope it.", "Report it."],
            faqs=[{"question": "Who?", "answer": "Outsiders."}],
            references=["nist-ai-rmf"],
            related=["guardrails"],
            **PUBLISHED,
        ),
        term_record("guardrails", "Guardrails"),
    )
    glossary_import(data=data)
    term = Term.objects.get(slug="red-teaming")
    imported = TermRevision.objects.get(entry=term).revision

    record_revision(term, source=Term.Source.ADMIN, comment="Edited")
    edited = TermRevision.objects.filter(entry=term).exclude(revision=imported).get().revision

    def held(revision: Revision):
        versions = Version.objects.filter(revision=revision)
        return sorted(
            (v.content_type_id, v.object_id, v.object_repr, str(v.field_dict)) for v in versions
        )

    assert held(imported) == held(edited)
    assert snapshot_of_revision(imported).fields == snapshot_of_revision(edited).fields
    assert imported.comment == "Imported"
    assert TermRevision.objects.get(revision=imported).source == "import"


def test_revisions_in_bulk_take_a_few_queries_however_many_terms(django_assert_max_num_queries):
    category = CategoryFactory()
    terms = [TermFactory(category=category) for _ in range(30)]
    for other in terms[1:]:
        terms[0].related.add(other)

    # The terms with their related terms, bullets, FAQs, citations and references; then
    # the revisions, their versions and their TermRevision rows; the content types.
    with django_assert_max_num_queries(9):
        record_revisions(list(Term.objects.filter(category=category)), source=Term.Source.IMPORT)

    assert TermRevision.objects.count() == 30


def test_an_exported_glossary_imports_into_an_empty_database_with_its_search_rows():
    glossary_import(data=glossary_file(term_record("red-teaming", "Red Teaming", **PUBLISHED)))
    exported = glossary_export()
    Term.objects.all().delete()

    glossary_import(data=exported)

    term = Term.objects.get(slug="red-teaming")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT term_id FROM terms_term_search")
        else:
            cursor.execute("SELECT rowid FROM terms_term_fts")
        assert [row[0] for row in cursor.fetchall()] == [term.pk]


# The change feed ------------------------------------------------------------------------


def test_an_import_announces_what_the_public_sees_change(announced, committed):
    draft = dict(PUBLISHED, status="draft")
    data = glossary_file(
        term_record("red-teaming", "Red Teaming", **PUBLISHED),
        term_record("guardrails", "Guardrails", **PUBLISHED),
        term_record("evals", "Evals", **draft),
    )
    committed(lambda: glossary_import(data=data))
    [change] = announced
    assert sorted(term.slug for term in change.published) == ["guardrails", "red-teaming"]
    assert [category.slug for category in change.categories] == ["safety"]
    assert change.imported == {
        "created": ["red-teaming", "guardrails", "evals"],
        "updated": [],
        "unpublished": [],
        "unchanged": 0,
    }
    assert change.source == Term.Source.IMPORT

    data["terms"][0]["summary"] = "Attacking it first."
    data["terms"][1]["status"] = "archived"
    data["terms"][2]["summary"] = "A draft's change."
    committed(lambda: glossary_import(data=data))
    [change] = announced
    assert [term.slug for term in change.updated] == ["red-teaming"]
    assert [(term.slug, term.category) for term in change.unpublished] == [("guardrails", "safety")]
    assert not change.published and not change.categories
    assert change.imported == {
        "created": [],
        "updated": ["red-teaming", "guardrails", "evals"],
        "unpublished": ["guardrails"],
        "unchanged": 0,
    }


def test_an_unchanged_import_is_announced_with_nothing_changed(announced, committed):
    data = glossary_file(term_record("red-teaming", "Red Teaming", **PUBLISHED))
    committed(lambda: glossary_import(data=data))

    committed(lambda: glossary_import(data=data))

    [change] = announced
    assert not change.terms and not change.categories
    assert change.imported == {"created": [], "updated": [], "unpublished": [], "unchanged": 1}
