import pytest
from django.test import Client

from apikeys.services import api_key_create

from ...factories import CategoryFactory


@pytest.fixture
def key_client(superuser):
    """A client sending a new key with these scopes (``key_client("content:write")``);
    its key is ``client.api_key``."""

    def make(*scopes: str, name: str = "Drafting script") -> Client:
        created = api_key_create(name=name, scopes=list(scopes), created_by=superuser)
        client = Client(headers={"Authorization": f"Bearer {created.text}"})
        client.api_key = created.key
        return client

    return make


@pytest.fixture
def writer(key_client):
    """A client with a content:write key."""
    return key_client("content:write")


@pytest.fixture
def category(db):
    return CategoryFactory(slug="evaluation", name="Evaluation")
