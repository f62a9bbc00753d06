import pytest
from django.core.cache import cache
from django.test import Client


@pytest.fixture(autouse=True)
def _empty_cache():
    """The local-memory cache outlives a test: start each one without cached content,
    counts or throttle history."""
    cache.clear()


@pytest.fixture
def reader():
    """An anonymous reader with its own client, for tests where `client` logs in."""
    return Client()
