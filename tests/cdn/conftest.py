import pytest
from django.core.cache import cache

from ..helpers.standin import StandIn


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def stand_in():
    """A local server answering as Cloudflare's and Fastly's APIs do when all is well."""
    with StandIn() as server:
        yield server


@pytest.fixture
def cloudflare(settings, stand_in):
    settings.CDN_CLOUDFLARE_API_URL = f"{stand_in.url}/client/v4"
    settings.CDN_CLOUDFLARE_API_TOKEN = "cf-token"
    return stand_in


@pytest.fixture
def fastly(settings, stand_in):
    settings.CDN_FASTLY_API_URL = stand_in.url
    settings.CDN_FASTLY_API_KEY = "fastly-key"
    return stand_in
