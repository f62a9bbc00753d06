"""A key authenticates a request, or the request is a 401; never silently anonymous."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from apikeys.models import ApiKey, ApiKeyUse
from apikeys.permissions import KeyScope
from apikeys.services import api_key_revoke

pytestmark = pytest.mark.django_db

LETTERS = "/api/v1/letters/"


def test_a_valid_key_reads_the_public_api_and_its_use_is_audited(new_key, keyed_client):
    created = new_key("content:write")

    response = keyed_client(created.text).get(LETTERS, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    [use] = ApiKeyUse.objects.all()
    assert (use.key, use.method, use.path, use.status_code) == (
        created.key,
        "GET",
        LETTERS,
        200,
    )
    assert use.network and "203.0.113" not in use.network
    created.key.refresh_from_db()
    assert created.key.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [
        "Bearer gk_00000000_not-a-real-secret",
        "Bearer nonsense",
        "Bearer",
        "Bearer a b",
    ],
)
def test_an_unknown_or_malformed_key_is_a_401_asking_for_a_bearer_token(client, header):
    response = client.get(LETTERS, headers={"Authorization": header})

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert response.json()["detail"]


def test_a_known_prefix_with_a_wrong_secret_is_a_401(new_key, keyed_client):
    created = new_key("content:write")
    forged = created.text[:-4] + ("aaaa" if not created.text.endswith("aaaa") else "bbbb")

    response = keyed_client(forged).get(LETTERS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Unknown API key."}


def test_a_revoked_key_is_a_401_and_its_try_is_audited(new_key, keyed_client, superuser):
    created = new_key("content:read-unpublished")
    api_key_revoke(key=created.key, by=superuser)

    response = keyed_client(created.text).get(LETTERS)

    assert response.status_code == 401
    assert response.json() == {"detail": "This API key has been revoked."}
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert ApiKeyUse.objects.get().status_code == 401


def test_an_expired_key_is_a_401(new_key, keyed_client):
    created = new_key("content:read-unpublished", expires_at=timezone.now() - timedelta(1))

    response = keyed_client(created.text).get(LETTERS)

    assert response.status_code == 401
    assert response.json() == {"detail": "This API key has expired."}


def test_last_used_is_written_at_most_once_a_minute(new_key, keyed_client):
    created = new_key("content:write")
    client = keyed_client(created.text)
    client.get(LETTERS)
    created.key.refresh_from_db()
    first = created.key.last_used_at

    client.get(LETTERS)
    created.key.refresh_from_db()
    assert created.key.last_used_at == first
    ApiKey.objects.filter(pk=created.key.pk).update(last_used_at=first - timedelta(minutes=2))

    client.get(LETTERS)
    created.key.refresh_from_db()
    assert created.key.last_used_at > first
    assert ApiKeyUse.objects.count() == 3


def test_the_key_gains_no_django_permission_whoever_created_it(new_key, superuser):
    created = new_key("content:write", created_by=superuser)
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {created.text}")

    class Probe(APIView):
        def get(self, request):
            return Response(
                {
                    "staff": request.user.is_staff,
                    "superuser": request.user.is_superuser,
                    "perm": request.user.has_perm("advisory.view_inquiry"),
                    "key": request.auth.pk,
                }
            )

    response = Probe.as_view()(request)

    assert response.data == {
        "staff": False,
        "superuser": False,
        "perm": False,
        "key": created.key.pk,
    }


def scoped_view(scope: str):
    class Scoped(APIView):
        permission_classes = [KeyScope.required(scope)]

        def get(self, request):
            return Response({"ok": True})

    return Scoped.as_view()


def test_key_scope_lets_a_key_with_the_scope_in_and_refuses_others(new_key):
    view = scoped_view("content:write")
    writer, reader = new_key("content:write"), new_key("content:read-unpublished")
    factory = APIRequestFactory()

    allowed = view(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {writer.text}"))
    refused = view(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {reader.text}"))
    anonymous = view(factory.get("/"))

    assert allowed.status_code == 200
    assert refused.status_code == 403
    assert refused.data == {"detail": "This needs an API key with the content:write scope."}
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="api"'


def test_key_scope_refuses_an_unknown_scope_at_once():
    with pytest.raises(ValueError, match="content:wirte"):
        KeyScope.required("content:wirte")
