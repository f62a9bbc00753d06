import time
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from advisory.forms import form_token

from ..helpers.processes import free_port
from ..helpers.tcpproxy import TcpProxy


def resilient_cache(location: str) -> dict:
    """CACHES for the app's own Redis backend at ``location``, as settings.py makes it."""
    return {
        "default": {
            "BACKEND": "glossary_project.httpcache.backends.ResilientRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "glossary",
            "OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25},
        }
    }


@pytest.fixture
def redis_proxy(settings, redis_url):
    """The app's cache on the real Redis, through a proxy the test can cut or stall, with
    the response cache on. Each test gets its own proxy port, hence its own breaker."""
    redis = urlsplit(redis_url)
    with TcpProxy(redis.hostname, redis.port, port=free_port()) as proxy:
        settings.CACHES = resilient_cache(f"redis://127.0.0.1:{proxy.port}{redis.path}")
        settings.CACHE_RETRY_SECONDS = 0.5
        settings.API_RESPONSE_CACHE = True
        cache.clear()
        yield proxy
        proxy.forward()
        cache.clear()


@pytest.fixture
def valid_inquiry_body():
    """A JSON inquiry as a front end sends it, its form shown ten seconds ago."""
    return {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "company": "Analytical Engines Ltd",
        "message": "We would like to discuss a pilot for document search.",
        "consent": True,
        "form_token": form_token(now=time.time() - 10),
    }
