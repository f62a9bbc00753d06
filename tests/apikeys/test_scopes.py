"""What each scope opens, endpoint by endpoint, and what it does not."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from advisory.models import Inquiry
from apikeys.models import ApiKeyUse
from apikeys.services import api_key_revoke
from terms.models import Term
from terms.preview import preview_token
from terms.services import working_copy_start

from ..factories import InquiryFactory, TermFactory

pytestmark = pytest.mark.django_db

TERMS = "/api/v1/terms/"
INQUIRIES = "/api/v1/inquiries/"
PUBLIC_ENDPOINTS = [TERMS, "/api/v1/categories/", "/api/v1/letters/", "/api/v1/suggest/?q=a"]


@pytest.fixture
def draft():
    return TermFactory(title="Draft Idea", slug="draft-idea", status=Term.Status.DRAFT)


@pytest.fixture
def unpublished_reader(new_key, keyed_client):
    return keyed_client(new_key("content:read-unpublished").text)


@pytest.fixture
def inquiry():
    return InquiryFactory(name="Grace Hopper", email="grace@navy.example")


# content:read-unpublished


def test_a_read_unpublished_key_sees_a_draft_the_anonymous_reader_gets_404_for(
    client, draft, unpublished_reader
):
    assert client.get(f"{TERMS}draft-idea/").status_code == 404

    response = unpublished_reader.get(f"{TERMS}draft-idea/")

    assert response.status_code == 200
    assert (response.json()["title"], response.json()["status"]) == ("Draft Idea", "draft")


@pytest.mark.parametrize("status", ["review", "scheduled", "archived"])
def test_a_read_unpublished_key_lists_entries_of_every_status(client, unpublished_reader, status):
    TermFactory(slug="live")
    extra = {"go_live_at": timezone.now() + timedelta(days=3)} if status == "scheduled" else {}
    TermFactory(slug="other", status=status, **extra)

    keyed = unpublished_reader.get(TERMS).json()
    public = client.get(TERMS).json()

    assert {item["slug"]: item["status"] for item in keyed["results"]} == {
        "live": "published",
        "other": status,
    }
    assert keyed["count"] == 2
    assert [item["slug"] for item in public["results"]] == ["live"]


def test_a_read_unpublished_key_reads_a_live_entrys_working_copy_on_asking(
    client, unpublished_reader
):
    entry = TermFactory(slug="guardrails", summary="Live summary.")
    with transaction.atomic():
        copy = working_copy_start(entry=entry)
    Term.objects.filter(pk=copy.pk).update(summary="Summary being edited.")

    live = unpublished_reader.get(f"{TERMS}guardrails/").json()
    working = unpublished_reader.get(f"{TERMS}guardrails/?version=working-copy").json()
    listed = unpublished_reader.get(TERMS).json()["results"]

    assert (live["summary"], live["status"]) == ("Live summary.", "published")
    assert (working["summary"], working["status"]) == ("Summary being edited.", "draft")
    assert [item["summary"] for item in listed] == ["Live summary."]  # entries, not copies
    assert client.get(f"{TERMS}guardrails/").json()["summary"] == "Live summary."


def test_asking_for_the_working_copy_of_an_entry_without_one_shows_the_entry(
    draft, unpublished_reader
):
    response = unpublished_reader.get(f"{TERMS}draft-idea/?version=working-copy")

    assert response.status_code == 200
    assert response.json()["slug"] == "draft-idea"


def test_version_without_the_scope_is_refused_and_a_bad_version_named(
    client, draft, new_key, keyed_client, unpublished_reader
):
    writer = keyed_client(new_key("content:write").text)

    assert client.get(f"{TERMS}draft-idea/?version=entry").status_code == 401
    refused = writer.get(f"{TERMS}draft-idea/?version=working-copy")
    assert refused.status_code == 403
    assert "content:read-unpublished" in refused.json()["detail"]
    bad = unpublished_reader.get(f"{TERMS}draft-idea/?version=latest")
    assert bad.status_code == 400
    assert list(bad.json()) == ["version"]


def test_keys_without_read_unpublished_see_only_published_content(draft, new_key, keyed_client):
    for scope in ("content:write", "inquiries:read"):
        keyed = keyed_client(new_key(scope).text)
        assert keyed.get(f"{TERMS}draft-idea/").status_code == 404
        assert keyed.get(TERMS).json()["count"] == 0


def test_preview_tokens_still_show_a_draft_without_a_key(client, draft):
    response = client.get(f"{TERMS}draft-idea/", {"preview": preview_token(draft)})

    assert response.status_code == 200
    assert response.json()["status"] == "draft"


# inquiries:read


def test_an_inquiries_key_reads_the_list_and_detail_with_personal_data_named(
    inquiry, new_key, keyed_client
):
    reader = keyed_client(new_key("inquiries:read").text)

    listed = reader.get(INQUIRIES)
    one = reader.get(f"{INQUIRIES}{inquiry.reference}/")

    assert listed.status_code == 200
    [item] = listed.json()["results"]
    assert (item["name"], item["email"]) == ("Grace Hopper", "grace@navy.example")
    assert one.json()["reference"] == str(inquiry.reference)
    assert {"name", "email", "phone", "message"} <= set(one.json()["personal_data"])
    assert "status" not in one.json()["personal_data"]
    assert one["Cache-Control"] == "private, no-store"
    assert [use.path for use in ApiKeyUse.objects.order_by("at", "id")] == [
        INQUIRIES,
        f"{INQUIRIES}{inquiry.reference}/",
    ]


def test_a_write_only_key_cannot_read_inquiries(inquiry, new_key, keyed_client):
    writer = keyed_client(new_key("content:write", "content:read-unpublished").text)

    for path in (INQUIRIES, f"{INQUIRIES}{inquiry.reference}/"):
        response = writer.get(path)
        assert response.status_code == 403
        assert "Grace" not in response.content.decode()
        assert "inquiries:read" in response.json()["detail"]


def test_a_revoked_or_expired_inquiries_key_gets_401(inquiry, new_key, keyed_client, superuser):
    revoked = new_key("inquiries:read")
    api_key_revoke(key=revoked.key, by=superuser)
    expired = new_key("inquiries:read", expires_at=timezone.now() - timedelta(seconds=1))

    for created in (revoked, expired):
        response = keyed_client(created.text).get(INQUIRIES)
        assert response.status_code == 401
        assert "Grace" not in response.content.decode()


def test_inquiries_filter_by_status_and_time_received(new_key, keyed_client):
    old = InquiryFactory(status="won")
    new = InquiryFactory(status="new")
    Inquiry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    reader = keyed_client(new_key("inquiries:read").text)
    since = (timezone.now() - timedelta(days=1)).isoformat()

    def references(**query):
        response = reader.get(INQUIRIES, query)
        assert response.status_code == 200, response.content
        return [item["reference"] for item in response.json()["results"]]

    assert references() == [str(new.reference), str(old.reference)]
    assert references(status="won") == [str(old.reference)]
    assert references(created_since=since) == [str(new.reference)]
    assert references(status="won", created_since=since) == []


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"status": "archived"}, "status"),
        ({"created_since": "yesterday"}, "created_since"),
        ({"status": ""}, "status"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_inquiry_filter_is_a_400_naming_it(new_key, keyed_client, query, named):
    response = keyed_client(new_key("inquiries:read").text).get(INQUIRIES, query)

    assert response.status_code == 400
    assert list(response.json()) == [named]


def test_the_advisory_teams_login_still_reads_inquiries(inquiry, advisory_member):
    client = Client()
    client.force_login(advisory_member)

    assert client.get(INQUIRIES).status_code == 200


# No scope needed


@pytest.mark.parametrize("path", PUBLIC_ENDPOINTS)
def test_any_valid_key_reads_the_public_endpoints(path, new_key, keyed_client):
    TermFactory()

    assert keyed_client(new_key("content:write").text).get(path).status_code == 200


@pytest.mark.parametrize("path", PUBLIC_ENDPOINTS)
def test_a_revoked_key_gets_401_on_every_endpoint(path, new_key, keyed_client, superuser):
    created = new_key("content:read-unpublished")
    api_key_revoke(key=created.key, by=superuser)

    response = keyed_client(created.text).get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
