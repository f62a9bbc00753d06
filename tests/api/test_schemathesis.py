"""Property-based testing of the API against its own OpenAPI schema (schemathesis).

Generated requests, valid and odd, must never cause a server error, and every response
must match what the schema documents: status code, content type and body.
"""

import json
from pathlib import Path

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from terms.services import glossary_import

DEMO = Path(__file__).resolve().parents[2] / "terms" / "demo" / "glossary.json"


@pytest.fixture
def api_schema(db, settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1000000/minute"},
    }
    cache.clear()
    glossary_import(data=json.loads(DEMO.read_text(encoding="utf-8")))
    # As Django's test client does: keep the test's connection (and transaction) open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_every_generated_request_as_its_schema_documents(case):
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
