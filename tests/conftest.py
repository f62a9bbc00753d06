import pytest
from django.db import connection

from terms.roles import ADVISORY_TEAM, EDITORS

from .factories import UserFactory


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
def editor(db):
    """A member of Editors with staff access, and nothing more."""
    return UserFactory(is_staff=True, roles=[EDITORS])


@pytest.fixture
def advisory_member(db):
    return UserFactory(is_staff=True, roles=[ADVISORY_TEAM])


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client
