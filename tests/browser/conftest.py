"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Chromium is a system package, not a Python one. Without it these tests skip with a message,
unless REQUIRE_BROWSER=1 (CI sets it) turns the skip into a failure. Screenshots, the ones
the tests take and one of every open page when a test fails, go to test-artifacts/.

Every browser test must be transactional with serialized_rollback=True: the live server
answers from another thread, so it only sees committed data, and the flush after a
transactional test would otherwise delete the Editors and Advisory team groups that the
data migrations made.
"""

import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connections
from playwright.sync_api import sync_playwright

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Playwright's own browser download is not used: it launches the distribution's Chromium.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000

report_key = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(report_key, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium executable, or a skip (a failure with REQUIRE_BROWSER=1) saying why not."""
    executable = Path(os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM)
    if not (executable.is_file() and os.access(executable, os.X_OK)):
        message = f"Chromium not found at {executable}: apt-get install -y chromium"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return executable


@pytest.fixture
def browser(chromium, transactional_db):
    """Chromium, started after the test's database is set up and stopped before it is
    flushed: once per test, not once per session, though that costs about a second.

    Playwright's sync API runs an asyncio event loop in this thread and leaves it marked
    as running between calls for as long as Playwright is started. Meanwhile Django
    refuses ORM calls here (SynchronousOnlyOperation) unless DJANGO_ALLOW_ASYNC_UNSAFE is
    set, and hands out other connection objects than the ones that hold the serialized
    database: serialized_rollback would silently restore nothing, and every test after
    the first flush would find no Editors or Advisory team (pytest-django#1117).
    """
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()  # those this test opened while the loop was marked running


@pytest.fixture
def open_page(browser, live_server, request):
    """Open a page in a fresh browser context (its own cookies: one per person), with
    addresses relative to the live server. Each context is closed after the test."""
    contexts = []

    def open_page():
        context = browser.new_context(
            base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    report = request.node.stash.get(report_key, {}).get("call")
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pages = [page for context in contexts for page in context.pages]
        for number, page in enumerate(pages, start=1):
            page.screenshot(
                path=ARTIFACTS / f"failed-{request.node.name}-{number}.png", full_page=True
            )
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """Save the whole page as test-artifacts/<name>.png."""

    def screenshot(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    ARTIFACTS.mkdir(exist_ok=True)
    return screenshot


@pytest.fixture(autouse=True)
def _people_are_not_bots(settings):
    """A browser fills the contact form in well under ADVISORY_MIN_SECONDS, and several
    tests send it from the same address. The live server runs in a thread of this
    process, so it sees these settings too."""
    settings.ADVISORY_MIN_SECONDS = 0
    settings.ADVISORY_RATE = "1000/hour"
    # The local-memory cache outlives a test: no cached pages, settings or rate counts.
    cache.clear()
