"""Staff who open an admin page their role does not open get a 403 page in the admin's
design that names the role which opens it and the administrators to ask; everyone else
keeps the answers they had (the login redirect, the site's own page, JSON for the API)."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import strip_tags

from glossary_project.errors import permission_denied
from terms.models import Term

from ..factories import InquiryFactory, TermFactory, UserFactory
from ..helpers.pages import Page

INBOX = "/admin/advisory/inquiry/"
SITE_HEADER = "AI Glossary CMS"
DENIED = "You do not have access to this page"


def text_of(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


@pytest.fixture
def administrator(db):
    return UserFactory(
        username="grace", first_name="Grace", last_name="Hopper", is_staff=True, is_superuser=True
    )


def test_an_editor_opening_the_inbox_is_told_it_is_the_advisory_teams_and_whom_to_ask(
    editor_client, administrator
):
    InquiryFactory(name="Ada Lovelace", email="ada@example.com")

    response = editor_client.get(INBOX)

    assert response.status_code == 403
    page = Page(response.content.decode())
    assert ("h1", DENIED) in page.headings
    text = text_of(response)
    assert SITE_HEADER in text  # the admin's header, with the user's tools
    assert "Log out" in text
    assert "Opening it needs the Advisory team role." in text
    assert "ask an administrator: Grace Hopper (grace), grace@example.com" in text
    assert "mailto:grace@example.com" in page.hrefs()
    assert page.hrefs().count(reverse("admin:index")) >= 2  # breadcrumbs "Home", and back
    assert b"ada@example.com" not in response.content


def test_the_page_keeps_the_sites_content_security_policy(editor_client):
    response = editor_client.get(INBOX)

    assert response.status_code == 403
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_only_active_superusers_are_named_as_whom_to_ask(editor_client, administrator):
    UserFactory(username="former-admin", is_staff=True, is_superuser=True, is_active=False)

    text = text_of(editor_client.get(INBOX))

    assert "grace@example.com" in text
    assert "former-admin" not in text


def test_without_any_administrator_the_page_still_says_whom_to_ask(editor_client):
    text = text_of(editor_client.get(INBOX))

    assert "ask an administrator: whoever manages the staff accounts" in text


def test_an_editor_opening_the_audit_log_is_told_it_is_for_publishers(editor_client):
    response = editor_client.get(reverse("admin:terms_auditentry_changelist"))

    assert response.status_code == 403
    assert "Opening it needs the Publishers role." in text_of(response)


def test_an_editor_approving_a_term_is_told_that_takes_a_publisher(editor_client):
    term = TermFactory(status=Term.Status.REVIEW)

    response = editor_client.post(reverse("admin:terms_term_review", args=[term.pk, "approve"]))

    assert response.status_code == 403
    assert "Opening it needs the Publishers role." in text_of(response)


def test_the_advisory_team_opening_the_term_list_is_told_it_is_the_editors(client, advisory_member):
    client.force_login(advisory_member)

    response = client.get(reverse("admin:terms_term_changelist"))

    assert response.status_code == 403
    assert "Opening it needs the Editors or Publishers role." in text_of(response)


def test_an_editor_opening_the_user_accounts_is_told_only_superusers_may(editor_client):
    response = editor_client.get("/admin/auth/user/")

    assert response.status_code == 403
    assert "This page is for administrators (superusers) only." in text_of(response)


def test_anonymous_visitors_to_the_admin_are_still_sent_to_log_in(client):
    response = client.get(INBOX)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def refused(path: str, user):
    """The site's answer when a view at ``path`` refuses ``user`` (no public page does yet)."""
    request = RequestFactory().get(path)
    request.user = user
    return permission_denied(request, PermissionDenied())


def test_a_refusal_outside_the_admin_is_the_sites_own_page_even_for_staff(editor):
    response = refused("/glossary/some-page/", user=editor)

    assert response.status_code == 403
    text = text_of(response)
    assert "You may not open this page" in text
    assert "Browse the glossary" in text
    assert SITE_HEADER not in text
    assert DENIED not in text


def test_a_refusal_under_the_api_stays_json(editor):
    response = refused("/api/v1/inquiries/", user=editor)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "detail": "You do not have permission to perform this action."
    }
