"""scripts/start, the README's first command, run for real: twice on the same database,
as a developer restarting it does."""

import os
import re
import sqlite3

import pytest
import requests
from django.db import connection

from tests.helpers.processes import PROJECT_ROOT, ManagedProcess, free_port

START_TIMEOUT = 180.0  # a fresh database is migrated and the demo imported first
DEMO_TERM = "transformer"

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="scripts/start's default database is SQLite: the PostgreSQL run leaves it out",
)


@pytest.fixture
def start(tmp_path):
    """Run scripts/start on a database file of this test and a free port; yield the site's
    address once it answers, stop the server and its worker afterwards."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'glossary.sqlite3'}",
        "EMAIL_FILE_PATH": str(tmp_path / "sent-mail"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    for name in ("SITE_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE"):
        environment.pop(name, None)
    running = []

    def start() -> str:
        process = ManagedProcess(
            ["bash", PROJECT_ROOT / "scripts" / "start"],
            env=environment,
            name="scripts-start",
            log_dir=tmp_path,
        ).start()
        running.append(process)
        address = f"http://127.0.0.1:{port}"
        process.wait_until(
            lambda: requests.get(f"{address}/health/ready", timeout=5).ok,
            timeout=START_TIMEOUT,
            message=f"scripts/start answering on port {port}",
        )
        return address

    def stop() -> None:
        running.pop().stop()

    start.stop = stop
    start.database = tmp_path / "glossary.sqlite3"
    yield start
    for process in running:
        process.stop()


def log_in(address: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{address}/admin/login/", timeout=10)
    answer = session.post(
        f"{address}/admin/login/?next=/admin/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{address}/admin/login/"},
        timeout=10,
    )
    assert answer.url == f"{address}/admin/", "the demo login did not log in"
    return session


def still_logged_in(session: requests.Session, address: str) -> bool:
    answer = session.get(f"{address}/admin/", timeout=10, allow_redirects=False)
    return answer.status_code == 200


def test_a_restart_keeps_an_edited_demo_term_and_the_editors_session(start):
    address = start()
    editor = log_in(address, "editor", "editor")
    with sqlite3.connect(start.database) as database:
        database.execute(
            "UPDATE terms_term SET summary = ? WHERE slug = ? AND draft_of_id IS NULL",
            ["Edited by an editor between two starts.", DEMO_TERM],
        )
    start.stop()

    address = start()

    page = requests.get(f"{address}/glossary/{DEMO_TERM}/", timeout=10)
    assert "Edited by an editor between two starts." in page.text
    assert still_logged_in(editor, address)


def test_absolute_links_point_at_the_port_it_serves(start):
    address = start()

    page = requests.get(f"{address}/glossary/{DEMO_TERM}/", timeout=10).text
    sitemap = requests.get(f"{address}/sitemap.xml", timeout=10).text

    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', page).group(1)
    assert canonical == f"{address}/glossary/{DEMO_TERM}/"
    assert f"<loc>{address}/glossary/{DEMO_TERM}/</loc>" in sitemap
    assert ":8000" not in page + sitemap
