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


@pytest.fixture
def announced():
    """The change feed's announcements (terms.changes.content_changed) during the test."""
    from terms import changes

    heard = []

    def listen(sender, change, **kwargs):
        heard.append(change)

    changes.content_changed.connect(listen, dispatch_uid="write-api-test-listener")
    yield heard
    changes.content_changed.disconnect(dispatch_uid="write-api-test-listener")


@pytest.fixture
def committed(announced, django_capture_on_commit_callbacks):
    """Run a request as if its transaction committed on its own, after the setup's
    (announced first, then forgotten), as tests/terms/test_changes.py's fixture does."""
    from django.db import transaction

    def run(request):
        connection = transaction.get_connection()
        setup = [callback for _ids, callback, _robust in connection.run_on_commit]
        connection.run_on_commit.clear()
        for callback in setup:
            callback()
        announced.clear()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return request()

    return run
