"""A renamed term keeps its old addresses: the old page and the old API URL answer 301
with the new ones, only while readers may see the term (or with a preview link). A
published term that uses the slug now wins over the redirect, only while it is published:
a draft never takes an old address from readers."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from terms.models import FormerSlug, Term
from terms.preview import preview_token
from terms.services import term_archive, term_publish

from ..factories import TermFactory
from ..helpers.term_admin import ADD_TERM, change_url, term_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


def page(slug: str) -> str:
    return reverse("terms:term_detail", kwargs={"slug": slug})


def api(slug: str) -> str:
    return reverse("api:term-detail", kwargs={"slug": slug})


def working_copy_url(client, term: Term) -> str:
    """A published term is changed through its working copy: the change page to post to."""
    response = client.get(change_url(term))
    assert response.status_code == 302
    return response["Location"]


def rename(term: Term, slug: str, **save_options) -> None:
    term.slug = slug
    term.save(**save_options)


def heading(response) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.DOTALL)
    return " ".join(match[1].split()) if match else ""


@pytest.mark.parametrize("save_options", [{}, {"update_fields": ["slug"]}])
def test_renaming_a_published_term_redirects_its_old_page_to_the_new_one(client, save_options):
    term = TermFactory(title="Model Card", slug="model-cards")
    rename(term, "model-card", **save_options)

    response = client.get(page("model-cards"))

    assert response.status_code == 301
    assert response["Location"] == page("model-card")
    new = client.get(response["Location"])
    assert new.status_code == 200
    assert heading(new) == "Model Card"


def test_the_old_page_address_redirects_keeping_the_query_string(client):
    term = TermFactory(title="Model Card", slug="model-cards")
    rename(term, "model-card")

    response = client.get(page("model-cards"), {"utm_source": "newsletter"})

    assert response.status_code == 301
    assert response["Location"] == page("model-card") + "?utm_source=newsletter"


def test_the_old_api_address_redirects_to_the_new_one_keeping_the_query_string(client):
    term = TermFactory(title="Model Card", slug="model-cards")
    rename(term, "model-card")

    response = client.get(f"{api('model-cards')}?format=json")

    assert response.status_code == 301
    assert response["Location"] == f"{api('model-card')}?format=json"
    new = client.get(response["Location"])
    assert new.status_code == 200
    assert (new.json()["slug"], new.json()["title"]) == ("model-card", "Model Card")


def test_the_old_api_address_without_a_query_string_redirects_to_the_plain_new_one(client):
    rename(TermFactory(slug="model-cards"), "model-card")
    response = client.get(api("model-cards"))
    assert response.status_code == 301
    assert response["Location"] == api("model-card")


def test_renaming_in_the_admin_change_form_redirects_the_old_addresses(publisher_client):
    term = TermFactory(title="Model Card", slug="model-cards", aliases="")
    data = term_form(
        term.category, title="Model Card", slug="model-card", aliases="", status="published"
    )

    response = publisher_client.post(working_copy_url(publisher_client, term), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    reader = Client()
    old_page = reader.get(page("model-cards"))
    assert (old_page.status_code, old_page["Location"]) == (301, page("model-card"))
    old_api = reader.get(api("model-cards"))
    assert (old_api.status_code, old_api["Location"]) == (301, api("model-card"))
    assert reader.get(page("model-card")).status_code == 200


def test_after_two_renames_both_old_slugs_go_straight_to_the_newest(client):
    term = TermFactory(slug="model-cards")
    rename(term, "model-card-v2")
    rename(term, "model-card")

    for old in ("model-cards", "model-card-v2"):
        site = client.get(page(old))
        assert (site.status_code, site["Location"]) == (301, page("model-card")), old
        data = client.get(api(old))
        assert (data.status_code, data["Location"]) == (301, api("model-card")), old


def test_a_term_reloaded_after_an_admin_rename_redirects_every_old_slug_when_renamed_again(
    publisher_client,
):
    term = TermFactory(title="Model Card", slug="model-cards", aliases="")
    data = term_form(
        term.category, title="Model Card", slug="model-card-v2", aliases="", status="published"
    )
    response = publisher_client.post(working_copy_url(publisher_client, term), data)
    assert response.status_code == 302

    term.refresh_from_db()
    rename(term, "model-card")

    for old in ("model-cards", "model-card-v2"):
        response = Client().get(page(old))
        assert (response.status_code, response["Location"]) == (301, page("model-card")), old


def test_renaming_back_to_a_former_slug_serves_the_page_there_again(client):
    term = TermFactory(title="Model Card", slug="model-card")
    rename(term, "model-cards")
    rename(term, "model-card")

    assert client.get(page("model-card")).status_code == 200
    response = client.get(page("model-cards"))
    assert (response.status_code, response["Location"]) == (301, page("model-card"))


@pytest.mark.parametrize("how", ["created", "renamed"])
def test_a_term_that_takes_a_former_slug_is_served_instead_of_the_redirect(client, how):
    first = TermFactory(title="Datasheets for Datasets", slug="datasheet")
    rename(first, "datasheets-for-datasets")
    if how == "created":
        TermFactory(title="Datasheet", slug="datasheet")
    else:
        rename(TermFactory(title="Datasheet", slug="data-sheet"), "datasheet")

    site = client.get(page("datasheet"))
    data = client.get(api("datasheet"))

    assert site.status_code == 200
    assert heading(site) == "Datasheet"
    assert data.status_code == 200
    assert data.json()["title"] == "Datasheet"
    assert client.get(page("datasheets-for-datasets")).status_code == 200


@pytest.mark.parametrize("status", [Term.Status.DRAFT, Term.Status.REVIEW, Term.Status.ARCHIVED])
def test_a_former_slug_of_an_unpublished_term_is_not_found_and_keeps_the_new_slug_secret(
    client, status
):
    term = TermFactory(slug="red-team", status=status)
    rename(term, "red-teaming-exercise")

    site = client.get(page("red-team"))
    data = client.get(api("red-team"))

    assert site.status_code == 404
    assert data.status_code == 404
    assert "red-teaming-exercise" not in site.content.decode()
    assert "red-teaming-exercise" not in data.content.decode()


def test_an_archived_term_stops_redirecting_from_its_former_slug(client):
    term = TermFactory(slug="red-team")
    rename(term, "red-teaming")
    assert client.get(page("red-team")).status_code == 301

    term.status = Term.Status.ARCHIVED
    term.save()

    assert client.get(page("red-team")).status_code == 404
    assert client.get(api("red-team")).status_code == 404


def test_a_former_slug_of_a_draft_redirects_with_its_preview_link(client):
    draft = TermFactory(title="Red Teaming", slug="red-team", status=Term.Status.DRAFT)
    rename(draft, "red-teaming")
    token = preview_token(draft)

    site = client.get(page("red-team"), {"preview": token})
    data = client.get(api("red-team"), {"preview": token, "format": "json"})

    assert site.status_code == 301
    location = urlsplit(site["Location"])
    assert location.path == page("red-teaming")
    assert parse_qs(location.query) == {"preview": [token]}
    assert data.status_code == 301
    location = urlsplit(data["Location"])
    assert location.path == api("red-teaming")
    assert parse_qs(location.query) == {"preview": [token], "format": ["json"]}
    assert "no-store" in data["Cache-Control"]
    assert "no-store" in site["Cache-Control"]
    assert site["X-Robots-Tag"] == "noindex"

    shown = client.get(site["Location"])
    assert shown.status_code == 200
    assert heading(shown) == "Red Teaming"
    assert client.get(data["Location"]).json()["slug"] == "red-teaming"


def test_a_former_slug_of_a_draft_is_not_found_with_another_terms_preview_link(client):
    draft = TermFactory(slug="red-team", status=Term.Status.DRAFT)
    rename(draft, "red-teaming")
    other = TermFactory(status=Term.Status.DRAFT)

    site = client.get(page("red-team"), {"preview": preview_token(other)})
    data = client.get(api("red-team"), {"preview": preview_token(other)})

    assert site.status_code == 404
    assert data.status_code == 404
    assert "red-teaming" not in data.content.decode()


def test_a_former_slug_of_a_draft_is_not_found_once_the_preview_link_expired(client, settings):
    draft = TermFactory(slug="red-team", status=Term.Status.DRAFT)
    rename(draft, "red-teaming")
    token = preview_token(draft)
    settings.PREVIEW_LINK_MAX_AGE = -1

    assert client.get(page("red-team"), {"preview": token}).status_code == 404
    assert client.get(api("red-team"), {"preview": token}).status_code == 404


def test_deleting_a_term_deletes_its_former_slugs(client):
    term = TermFactory(slug="model-cards")
    rename(term, "model-card-v2")
    rename(term, "model-card")
    kept = TermFactory(slug="datasheets")
    rename(kept, "datasheet")

    term.delete()

    assert list(FormerSlug.objects.values_list("slug", flat=True)) == ["datasheets"]
    for slug in ("model-cards", "model-card-v2", "model-card"):
        assert client.get(page(slug)).status_code == 404, slug
        assert client.get(api(slug)).status_code == 404, slug
    assert client.get(page("datasheets")).status_code == 301


def test_a_publisher_deletes_a_renamed_term_in_the_admin_and_its_old_address_goes(
    publisher_client,
):
    term = TermFactory(slug="model-cards")
    rename(term, "model-card")
    delete = reverse("admin:terms_term_delete", args=[term.pk])

    confirm = publisher_client.get(delete)
    response = publisher_client.post(delete, {"post": "yes"})

    assert confirm.status_code == 200
    assert "permission" not in confirm.content.decode().lower()
    assert response.status_code == 302
    assert not FormerSlug.objects.exists()
    assert Client().get(page("model-cards")).status_code == 404


def test_a_redirect_costs_two_queries_however_often_the_term_was_renamed(
    client, django_assert_num_queries, next_scheduled_change_known
):
    term = TermFactory(slug="name-0")
    draft = TermFactory(slug="draft-0", status=Term.Status.DRAFT)
    for number in range(1, 6):
        rename(term, f"name-{number}")
        rename(draft, f"draft-{number}")
    token = preview_token(draft)

    for old in ("name-0", "name-3"):
        with django_assert_num_queries(2):
            assert client.get(page(old)).status_code == 301
        with django_assert_num_queries(2):
            assert client.get(api(old)).status_code == 301
    with django_assert_num_queries(2):
        assert client.get(page("draft-0"), {"preview": token}).status_code == 301
    with django_assert_num_queries(2):
        assert client.get(api("draft-0"), {"preview": token}).status_code == 301


# A former slug belongs to the public: drafts do not take it -----------------------------


def redirects(client, old: str, new: str) -> bool:
    """Whether the old page and the old API address both answer 301 to the new ones."""
    site, data = client.get(page(old)), client.get(api(old))
    return (site.status_code, site.get("Location"), data.status_code, data.get("Location")) == (
        301,
        page(new),
        301,
        api(new),
    )


@pytest.fixture
def renamed():
    """Foundation Models, published, renamed from foundation-model to foundation-models."""
    term = TermFactory(title="Foundation Models", slug="foundation-model")
    rename(term, "foundation-models")
    return term


@pytest.mark.parametrize("status", [Term.Status.DRAFT, Term.Status.REVIEW, Term.Status.ARCHIVED])
def test_an_unpublished_term_with_a_former_slug_leaves_the_redirect_to_readers(
    client, renamed, status
):
    other = TermFactory(title="Foundation Model Licence", slug="foundation-model", status=status)
    assert redirects(client, "foundation-model", "foundation-models")

    other.delete()

    assert redirects(client, "foundation-model", "foundation-models")


def test_a_draft_renamed_to_a_former_slug_and_away_again_leaves_the_redirect(client, renamed):
    draft = TermFactory(title="Foundation Model Licence", slug="fm-licence", status="draft")
    rename(draft, "foundation-model")
    assert redirects(client, "foundation-model", "foundation-models")

    rename(draft, "foundation-model-licence")

    assert redirects(client, "foundation-model", "foundation-models")
    term_publish(term=draft)
    assert redirects(client, "foundation-model", "foundation-models")
    assert client.get(page("foundation-model-licence")).status_code == 200


def test_the_preview_link_of_a_draft_with_a_former_slug_shows_the_draft(client, renamed):
    draft = TermFactory(title="Foundation Model Licence", slug="foundation-model", status="draft")
    token = preview_token(draft)

    site = client.get(page("foundation-model"), {"preview": token})
    data = client.get(api("foundation-model"), {"preview": token})

    assert site.status_code == 200
    assert heading(site) == "Foundation Model Licence"
    assert "no-store" in site["Cache-Control"]
    assert data.status_code == 200
    assert data.json()["title"] == "Foundation Model Licence"
    assert redirects(Client(), "foundation-model", "foundation-models")


@pytest.mark.parametrize("off_the_site", ["archived", "back to draft", "to review", "deleted"])
def test_a_term_that_took_a_former_slug_gives_the_redirect_back_when_it_leaves_the_site(
    client, renamed, off_the_site
):
    claimant = TermFactory(title="Foundation Model Licence", slug="foundation-model")
    assert heading(client.get(page("foundation-model"))) == "Foundation Model Licence"

    if off_the_site == "archived":
        term_archive(term=claimant)
    elif off_the_site == "deleted":
        claimant.delete()
    else:
        claimant.status = Term.Status.DRAFT if off_the_site == "back to draft" else "review"
        claimant.save()

    assert redirects(client, "foundation-model", "foundation-models")


def test_a_draft_that_took_a_former_slug_and_is_then_published_is_served_there(client, renamed):
    draft = TermFactory(title="Foundation Model Licence", slug="foundation-model", status="draft")

    term_publish(term=draft)

    response = client.get(page("foundation-model"))
    assert response.status_code == 200
    assert heading(response) == "Foundation Model Licence"
    assert client.get(api("foundation-model")).json()["title"] == "Foundation Model Licence"


def test_a_published_term_that_took_a_former_slug_takes_the_redirect_when_renamed(client, renamed):
    claimant = TermFactory(title="Foundation Model Licence", slug="foundation-model")

    rename(claimant, "foundation-model-licence")

    assert redirects(client, "foundation-model", "foundation-model-licence")
    assert client.get(page("foundation-models")).status_code == 200


def test_the_sitemap_lists_the_current_address_whatever_a_draft_does(client, renamed):
    def addresses() -> list[str]:
        return re.findall(r"<loc>[^<]*(/glossary/[^<]*)</loc>", client.get("/sitemap.xml").text)

    TermFactory(title="Foundation Model Licence", slug="foundation-model", status="draft")

    assert page("foundation-models") in addresses()
    assert page("foundation-model") not in addresses()
    Term.objects.get(slug="foundation-model").delete()
    assert page("foundation-models") in addresses()
    assert page("foundation-model") not in addresses()


# Editors are told when a slug is another term's old address ---------------------------


def saved_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def slug_help(response) -> str:
    """The text shown under the slug field of the term form."""
    match = re.search(
        r'<div class="help" id="id_slug_helptext">(.*?)</div>\s*</div>', response.text, re.DOTALL
    )
    return " ".join(re.sub(r"<[^>]+>", " ", match[1]).split()) if match else ""


def test_an_editor_giving_a_draft_another_terms_old_slug_is_told_what_publishing_will_do(
    editor_client, renamed
):
    data = term_form(
        renamed.category, title="Foundation Model Licence", slug="foundation-model", aliases=""
    )

    response = editor_client.post(ADD_TERM, data, follow=True)

    assert Term.objects.filter(slug="foundation-model", status="draft").exists()
    [warning] = [message for message in saved_messages(response) if "old address" in message]
    assert "“foundation-model” is the old address of “Foundation Models”" in warning
    assert "(now /glossary/foundation-models/)" in warning
    assert "still lead there. Once you publish this term, they show this term" in warning
    assert redirects(Client(), "foundation-model", "foundation-models")


def test_a_publisher_publishing_a_term_on_another_terms_old_slug_is_told_readers_see_it_now(
    publisher_client, renamed
):
    draft = TermFactory(title="Foundation Model Licence", slug="foundation-model", status="draft")
    data = term_form(
        draft.category,
        title="Foundation Model Licence",
        slug="foundation-model",
        aliases="",
        status="published",
    )

    response = publisher_client.post(change_url(draft), data, follow=True)

    [warning] = [message for message in saved_messages(response) if "old address" in message]
    assert "Readers who follow old links to it see this term instead" in warning
    assert "if this term is unpublished or deleted, the links lead to “Foundation Models”" in (
        warning
    )
    assert heading(Client().get(page("foundation-model"))) == "Foundation Model Licence"


def test_the_term_form_warns_next_to_the_slug_that_it_is_another_terms_old_address(
    editor_client, renamed
):
    draft = TermFactory(title="Foundation Model Licence", slug="foundation-model", status="draft")

    shown = slug_help(editor_client.get(change_url(draft)))

    assert shown.startswith("Part of the web address")
    assert "“foundation-model” is the old address of “Foundation Models”" in shown
    assert "Once you publish this term" in shown


def test_a_refused_form_still_warns_next_to_the_slug_typed(publisher_client, renamed):
    data = term_form(
        renamed.category, title="", slug="foundation-model", aliases="", status="published"
    )

    response = publisher_client.post(ADD_TERM, data)

    assert response.status_code == 200
    assert "“foundation-model” is the old address of “Foundation Models”" in slug_help(response)
    assert "Readers who follow old links to it see this term instead" in slug_help(response)


def test_no_warning_for_a_new_slug_or_a_terms_own_former_slug(publisher_client, renamed):
    data = term_form(
        renamed.category,
        title="Foundation Models",
        slug="foundation-model",
        aliases="",
        status="published",
    )
    copy_url = working_copy_url(publisher_client, renamed)
    response = publisher_client.post(copy_url, data, follow=True)
    fresh = term_form(renamed.category, title="Diffusion Model", slug="diffusion-model")
    added = publisher_client.post(ADD_TERM, fresh, follow=True)

    assert not [message for message in saved_messages(response) if "old address" in message]
    assert not [message for message in saved_messages(added) if "old address" in message]
    shown = publisher_client.get(change_url(renamed), follow=True)
    assert "old address" not in slug_help(shown)
    assert redirects(Client(), "foundation-models", "foundation-model")
