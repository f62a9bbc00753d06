"""Fixtures of the terms tests: the change feed's announcements (terms/changes.py)."""

import pytest
from django.db import transaction

from terms import changes


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
            write()

    return run
