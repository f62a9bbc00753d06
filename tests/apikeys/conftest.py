import pytest
from django.core.cache import cache
from django.test import Client

from apikeys.services import api_key_create


@pytest.fixture(autouse=True)
def _empty_cache():
    """Start each test without cached responses or throttle history."""
    cache.clear()


@pytest.fixture
def new_key(superuser):
    """Make a key as the admin does (``new_key("inquiries:read", expires_at=…)``): the
    CreatedKey, whose ``text`` is the whole key, as shown once."""

    def make(*scopes: str, **fields):
        return api_key_create(
            name=fields.pop("name", "Integration"),
            scopes=list(scopes),
            created_by=fields.pop("created_by", superuser),
            **fields,
        )

    return make


@pytest.fixture
def keyed_client():
    """A client sending ``Authorization: Bearer <text>`` with every request."""

    def make(text: str) -> Client:
        return Client(headers={"Authorization": f"Bearer {text}"})

    return make
