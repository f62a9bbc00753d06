"""A real Varnish (Debian's varnishd with vmod xkey, the shipped VCL) in front of a real
gunicorn, and the real worker sending purges: pages come from Varnish's cache, and a
publish shows through Varnish within a second of its commit.

Skipped when varnishd or vmod xkey is missing, unless REQUIRE_VARNISH=1 (CI sets it).
Redis database TEST_REDIS_DB (3 unless set) is emptied before and after each test."""

import glob
import http.client
import os
import shutil
import time

import pytest
from django.core.cache import cache

from glossary_project.cdn.vcl import render_vcl
from terms.services import term_publish

from ..factories import CategoryFactory, TermFactory
from ..helpers.processes import (
    HOST,
    START_TIMEOUT,
    gunicorn,
    server_environment,
    varnish,
    worker,
)

# As scripts/start runs the worker (--interval): a publish must show within a second.
START_WORKER_INTERVAL = "0.25"
DEADLINE = 1.0  # seconds after the commit
POLL = 0.05


def _varnish_missing() -> str | None:
    if not shutil.which("varnishd") and not os.path.exists("/usr/sbin/varnishd"):
        return "varnishd is not installed (apt-get install -y varnish varnish-modules)"
    if not glob.glob("/usr/lib/*/varnish/vmods/libvmod_xkey.so"):
        return "vmod xkey is not installed (apt-get install -y varnish-modules)"
    return None


@pytest.fixture(scope="module", autouse=True)
def _needs_varnish():
    missing = _varnish_missing()
    if missing:
        if os.environ.get("REQUIRE_VARNISH") == "1":
            pytest.fail(f"REQUIRE_VARNISH=1 but {missing}")
        pytest.skip(missing)


# serialized_rollback: the roles made by data migrations come back after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="module")
def processes(redis_url, static_root, tmp_path_factory, django_db_setup, django_db_blocker):
    """gunicorn, Varnish in front of it (purges allowed from 127.0.0.1), and the worker
    purging it, started once for the module; each test's process is the editor."""
    log_dir = tmp_path_factory.mktemp("varnish-stack")
    with django_db_blocker.unblock():
        site_environment = server_environment(
            CACHE_URL=redis_url,
            STATIC_ROOT=static_root,
            API_RESPONSE_CACHE="1",
            API_ANON_RATE="100000/minute",
        )
    with gunicorn(site_environment, workers=2, log_dir=log_dir) as site:
        vcl = render_vcl(backend_host=HOST, backend_port=site.port, purge_from=[HOST])
        with varnish(vcl, work_dir=log_dir / "varnish", log_dir=log_dir) as edge:
            backends = f"varnish:{edge.base_url}"
            worker_environment = {**site_environment, "CDN_PURGE_BACKENDS": backends}
            with worker(
                worker_environment,
                log_dir=log_dir,
                args=("--interval", START_WORKER_INTERVAL),
                timeout=START_TIMEOUT,
            ):
                yield site, edge


@pytest.fixture
def edge(processes, settings, redis_url):
    """Varnish, emptied; this process shares Redis with the site. Its changes are not
    purged (the glossary a test makes before reading is new to Varnish anyway) until the
    test turns purging on (``purging``)."""
    _site, edge = processes
    purge(edge, "glossary")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "glossary",  # as settings.py configures it from CACHE_URL
        }
    }
    settings.CDN_PURGE_BACKENDS = []
    cache.clear()
    yield edge
    cache.clear()


def purging(settings, edge) -> None:
    """From now on this process's changes are purged through the worker, as the site's
    own processes' are."""
    settings.CDN_PURGE_BACKENDS = [f"varnish:{edge.base_url}"]


def purge(edge, tags: str) -> int:
    connection = http.client.HTTPConnection(HOST, edge.port, timeout=10)
    try:
        connection.request("PURGE", "/", headers={"xkey-purge": tags})
        return connection.getresponse().status
    finally:
        connection.close()


def is_hit(response) -> bool:
    return (
        response.headers.get("x-cache") == "HIT" and len(response.headers["x-varnish"].split()) == 2
    )


def test_a_page_read_twice_comes_from_varnish_the_second_time(edge):
    term = TermFactory(slug="model-card", title="Model Card")
    for path in ("/api/v1/terms/model-card/", "/glossary/model-card/", "/api/v1/letters/"):
        first = edge.get(path)
        again = edge.get(path)
        assert first.status == again.status == 200, path
        assert not is_hit(first), path
        assert is_hit(again), path
        assert again.body == first.body
        assert f"term-{term.pk}" in again.headers["surrogate-key"].split() or path.endswith(
            "letters/"
        )
        assert "xkey" not in again.headers  # Varnish's own business


def test_cookies_other_than_the_session_do_not_split_or_bypass_the_cache(edge):
    TermFactory(slug="model-card")
    edge.get("/api/v1/terms/model-card/")
    again = edge.get("/api/v1/terms/model-card/", headers={"cookie": "_ga=GA1.2.3; theme=dark"})
    assert is_hit(again)


def test_credentials_go_past_the_cache(edge):
    TermFactory(slug="model-card")
    edge.get("/api/v1/terms/model-card/")
    for headers in ({"authorization": "Bearer some-key"}, {"cookie": "sessionid=abc"}):
        response = edge.get("/api/v1/terms/model-card/", headers=headers)
        assert not is_hit(response), headers
        assert "surrogate-key" not in response.headers, headers


def test_errors_are_not_kept(edge):
    edge.get("/api/v1/terms/missing/")
    again = edge.get("/api/v1/terms/missing/")
    assert again.status == 404
    assert not is_hit(again)


def test_a_publish_shows_through_varnish_within_a_second(edge, settings):
    category = CategoryFactory(slug="governance")
    TermFactory(slug="model-card", title="Model Card", category=category)
    draft = TermFactory(slug="ai-act", title="AI Act", category=category, status="draft")
    paths = {
        "/api/v1/terms/": lambda body: b'"ai-act"' in body,
        "/glossary/": lambda body: b"AI Act" in body,
        "/glossary/category/governance/": lambda body: b"AI Act" in body,
        "/api/v1/letters/": lambda body: b'"letter":"A","count":1' in body.replace(b" ", b""),
    }
    for path, shows_it in paths.items():
        edge.get(path)
        cached = edge.get(path)
        assert is_hit(cached) and not shows_it(cached.body), (path, cached.headers)

    purging(settings, edge)
    term_publish(term=draft)  # commits: the change feed announces it after the commit
    committed = time.monotonic()

    waiting = dict(paths)
    while waiting and time.monotonic() - committed < DEADLINE:
        for path, shows_it in list(waiting.items()):
            if shows_it(edge.get(path, timeout=DEADLINE).body):
                del waiting[path]
        time.sleep(POLL)
    elapsed = time.monotonic() - committed
    print(f"the publish showed through Varnish {elapsed:.3f} s after its commit")
    assert not waiting, f"still old after {elapsed:.2f} s: {sorted(waiting)}"
    assert edge.get("/api/v1/terms/ai-act/").status == 200


def test_purges_are_refused_from_addresses_outside_the_acl(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("varnish-acl")
    vcl = render_vcl(backend_host=HOST, backend_port=9, purge_from=["192.0.2.1"])
    with varnish(vcl, work_dir=log_dir / "varnish", log_dir=log_dir) as edge:
        assert purge(edge, "glossary") == 403
