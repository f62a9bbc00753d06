import os
import socket
import subprocess
import sys
import time

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from rest_framework.throttling import AnonRateThrottle

from glossary_project.httpcache import schedule
from terms import changes
from terms.roles import ADVISORY_TEAM, EDITORS, PUBLISHERS
from terms.search import counting

from .factories import UserFactory
from .helpers import processes, tcpproxy

REDIS_ADDRESS = ("127.0.0.1", 6379)
leftovers_key = pytest.StashKey[list[str]]()


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs collectstatic; tests render pages without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL to a postgres:// URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def empty_cache():
    """The local-memory cache outlives a test: start without cached responses, content,
    counts or throttle history (tests/api and tests/advisory do this for every test)."""
    cache.clear()


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def editor(db):
    """A member of Editors with staff access, and nothing more."""
    return UserFactory(is_staff=True, roles=[EDITORS])


@pytest.fixture
def publisher(db):
    """A member of Editors and Publishers (who may publish), not a superuser."""
    return UserFactory(is_staff=True, roles=[EDITORS, PUBLISHERS])


@pytest.fixture
def publisher_client(client, publisher):
    client.force_login(publisher)
    return client


@pytest.fixture(autouse=True)
def _forget_scheduled_changes():
    """Each process remembers the next scheduled change per content generation; a flushed
    database starts generations afresh, so a test starts with nothing remembered."""
    schedule.forget()


@pytest.fixture(autouse=True)
def _forget_search_counts():
    """Searches are counted in a process-wide buffer that tests write when they ask
    (SEARCH_COUNT_FLUSH_SECONDS=0): each test starts with nothing counted."""
    counting.forget()


@pytest.fixture
def next_scheduled_change_known(db):
    """For tests that count a request's queries: the next scheduled change is looked up
    once per content generation and process, like the generation check, not per request
    (and tests that never commit keep one generation), so look it up before measuring."""
    schedule.changes_due()


@pytest.fixture
def advisory_member(db):
    return UserFactory(is_staff=True, roles=[ADVISORY_TEAM])


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def low_rate(monkeypatch, settings):
    """Two anonymous API requests a minute. DRF's own throttle copies the rates into its
    class when the class is defined, so patch the class as well as the setting.

    The limit counts in fixed windows (httpcache.throttle), so a test's requests must not
    straddle the turn of a minute, where the count starts again: near it, wait for it."""
    if (seconds_left := 60 - time.time() % 60) < 10:
        time.sleep(seconds_left + 0.05)
    rates = {"anon": "2/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> str:
    """The static files collected once, as a deployment does (a server's pages need the
    manifest): STATIC_ROOT for a server a test starts."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=processes.PROJECT_ROOT,
        env={**os.environ, "STATIC_ROOT": str(root)},
        check=True,
        timeout=120,
    )
    return str(root)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis, database TEST_REDIS_DB (3 unless set: give each checkout that
    runs at the same time its own). Skips without Redis, except in CI, where it fails."""
    try:
        socket.create_connection(REDIS_ADDRESS, timeout=1).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("Redis is not running on 127.0.0.1:6379; CI needs it.")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    host, port = REDIS_ADDRESS
    return f"redis://{host}:{port}/{int(os.environ.get('TEST_REDIS_DB', '3'))}"


# A process or proxy that a test leaves running is a bug: it is stopped, named, and the
# run fails. Checked before the test database is dropped (a server still connected to it
# would stop PostgreSQL dropping it) and again at the very end.


def _stop_leftovers(config: pytest.Config) -> None:
    leftovers = processes.stop_leftovers() + tcpproxy.stop_leftovers()
    config.stash.setdefault(leftovers_key, []).extend(leftovers)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, request):
    yield
    _stop_leftovers(request.config)


# Innermost wrapper: after session-scoped fixtures have stopped their own (even if that
# raised, as pytest's tmp_path does after Ctrl-C in a setup), before the summary is shown.
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_sessionfinish(session):
    finished = False
    try:
        result = yield
        finished = True
        return result
    finally:
        _stop_leftovers(session.config)
        if leftovers := session.config.stash[leftovers_key]:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            if not finished:  # no summary will follow
                sys.stderr.write("".join(f"left running, stopped: {x}\n" for x in leftovers))


def pytest_terminal_summary(terminalreporter, config):
    leftovers = config.stash.get(leftovers_key, [])
    if leftovers:
        terminalreporter.section("processes and proxies left running", sep="!", red=True)
        terminalreporter.line(
            "Tests left these running; they were stopped now and the run fails:", red=True
        )
        for leftover in leftovers:
            terminalreporter.line(f"  {leftover}", red=True)


# The change feed (terms/changes.py) -------------------------------------------------


@pytest.fixture
def announced():
    """The changes announced while the test runs."""
    heard = []

    def listen(sender, change, **kwargs):
        heard.append(change)

    changes.content_changed.connect(listen, dispatch_uid="test-listener")
    yield heard
    changes.content_changed.disconnect(dispatch_uid="test-listener")


@pytest.fixture
def committed(announced, django_capture_on_commit_callbacks):
    """Commit the block as one transaction, after the test's setup, whose announcements
    are forgotten. (The test's own transaction never commits: what would run at its
    commit is run here, as the capture of pytest-django does.)"""

    def run(write):
        connection = transaction.get_connection()
        setup = [callback for _ids, callback, _robust in connection.run_on_commit]
        connection.run_on_commit.clear()
        for callback in setup:
            callback()
        announced.clear()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return write()

    return run


@pytest.fixture
def shared_cache(settings, redis_url):
    """The machine's Redis as this process's cache (and, through ``redis_url``, the cache
    of the servers a test starts), emptied before and after."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "glossary",  # as settings.py configures it from CACHE_URL
        }
    }
    cache.clear()
    yield redis_url
    cache.clear()
