"""Keys in the admin: made by those allowed, shown once, stored hashed, revoked, audited."""

import re

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import models
from django.test import Client

from apikeys.models import ApiKey, ApiKeyUse
from terms.roles import ADVISORY_TEAM, EDITORS

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/apikeys/apikey/add/"
CHANGELIST = "/admin/apikeys/apikey/"
KEY_TEXT = re.compile(r"gk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_with(*codenames: str, roles=()):
    user = UserFactory(is_staff=True, roles=list(roles))
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def create(client, **fields):
    data = {"name": "Next.js front end", "description": "", "scopes": ["content:write"]}
    return client.post(ADD, {**data, **fields}, follow=True)


def every_stored_text():
    """Every text value in every table: where a key could have been written."""
    for model in apps.get_models():
        names = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        if names:
            for row in model.objects.values_list(*names):
                yield from (str(value) for value in row if value)


def test_a_superuser_creates_a_key_shown_once_and_stored_only_as_a_hash(superuser):
    client = logged_in(superuser)

    response = create(client, scopes=["content:write", "content:read-unpublished"])

    assert response.status_code == 200
    [text] = KEY_TEXT.findall(response.content.decode())
    key = ApiKey.objects.get()
    assert text.startswith(f"gk_{key.prefix}_")
    assert key.scope_list == ["content:read-unpublished", "content:write"]
    assert key.created_by == superuser
    secret = text.split("_", 2)[2]
    assert not [value for value in every_stored_text() if secret in value]
    change_page = client.get(f"{CHANGELIST}{key.pk}/change/").content.decode()
    assert secret not in change_page
    assert key.display_key in change_page
    assert secret not in client.get(CHANGELIST).content.decode()


def test_reloading_the_page_of_a_new_key_neither_shows_it_again_nor_makes_another(superuser):
    client = logged_in(superuser)
    response = create(client)
    [(shown_at, _status)] = response.redirect_chain
    assert len(KEY_TEXT.findall(response.content.decode())) == 1

    again = client.get(shown_at)

    assert again.status_code == 200 and "no-store" in again["Cache-Control"]
    assert KEY_TEXT.findall(again.content.decode()) == []
    assert "was shown already" in again.content.decode()
    assert ApiKey.objects.count() == 1


def test_the_created_key_works_at_once(superuser):
    response = create(logged_in(superuser), scopes=["inquiries:read"])
    [text] = KEY_TEXT.findall(response.content.decode())

    answer = Client().get("/api/v1/inquiries/", headers={"Authorization": f"Bearer {text}"})

    assert answer.status_code == 200


def test_staff_without_the_add_permission_cannot_create_keys():
    client = logged_in(staff_with("view_apikey", roles=[EDITORS]))

    assert client.get(ADD).status_code == 403
    assert create(client).status_code == 403
    assert not ApiKey.objects.exists()


def test_only_those_who_may_read_inquiries_may_give_a_key_inquiries_read():
    client = logged_in(staff_with("add_apikey", "view_apikey"))

    response = create(client, scopes=["content:write", "inquiries:read"])

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "scopes": ["Only users who may read advisory inquiries can give a key inquiries:read."]
    }
    assert not ApiKey.objects.exists()


def test_an_advisory_member_with_the_add_permission_may_give_inquiries_read():
    client = logged_in(staff_with("add_apikey", "view_apikey", roles=[ADVISORY_TEAM]))

    response = create(client, scopes=["inquiries:read"])

    assert response.status_code == 200
    assert ApiKey.objects.get().scope_list == ["inquiries:read"]


def test_an_expiry_in_the_past_is_refused_next_to_the_field(superuser):
    response = create(logged_in(superuser), expires_at_0="2020-01-01", expires_at_1="10:00")

    assert "expires_at" in response.context["adminform"].form.errors
    assert not ApiKey.objects.exists()


def test_revoking_a_key_stops_it_and_is_recorded(superuser, new_key, keyed_client):
    created = new_key("content:write")
    client = logged_in(superuser)

    response = client.post(
        CHANGELIST,
        {"action": "revoke", "_selected_action": [created.key.pk]},
        follow=True,
    )

    assert "1 key revoked." in response.content.decode()
    created.key.refresh_from_db()
    assert created.key.revoked_by == superuser
    assert created.key.state() == ApiKey.State.REVOKED
    assert LogEntry.objects.get(object_id=str(created.key.pk)).user == superuser
    assert keyed_client(created.text).get("/api/v1/letters/").status_code == 401


def test_the_list_shows_prefix_scopes_creator_and_state(superuser, new_key):
    created = new_key("content:read-unpublished")

    page = logged_in(superuser).get(CHANGELIST).content.decode()

    for shown in [created.key.display_key, "content:read-unpublished", superuser.username]:
        assert shown in page
    assert "active" in page


def test_a_keys_uses_are_shown_read_only(superuser, new_key, keyed_client):
    created = new_key("content:write")
    keyed_client(created.text).get("/api/v1/letters/?format=json")
    client = logged_in(superuser)

    change_page = client.get(f"{CHANGELIST}{created.key.pk}/change/").content.decode()
    uses = client.get(f"/admin/apikeys/apikeyuse/?key__id__exact={created.key.pk}")
    use = ApiKeyUse.objects.get()

    assert "/api/v1/letters/?format=json" in change_page
    assert uses.status_code == 200
    assert "/api/v1/letters/?format=json" in uses.content.decode()
    assert client.get(f"/admin/apikeys/apikeyuse/{use.pk}/delete/").status_code == 403
    assert client.get("/admin/apikeys/apikeyuse/add/").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        CHANGELIST,
        f"{CHANGELIST}?q=front",
        f"{CHANGELIST}?state=revoked",
        "/admin/apikeys/apikeyuse/",
    ],
)
def test_admin_pages_open_for_a_user_who_may_view_keys(url, new_key):
    new_key("content:write")
    client = logged_in(staff_with("view_apikey", "view_apikeyuse"))

    assert client.get(url).status_code == 200
