"""Property-based testing of the API against its own OpenAPI schema (schemathesis).

Every check schemathesis has, over every operation of the production WSGI application:
100 generated requests an operation, valid and invalid (fewer where fewer differ: an
operation without parameters has one), its coverage cases (each boundary, each missing
or mistyped part), then its stateful phase (sequences of calls along the schema's
links). No server error; every status, content type, header and body as documented;
every invalid request refused and every valid one accepted; public operations open to
anonymous clients and the advisory team's closed to them. Deterministic: the same
requests on every run (a fixed seed, derandomised, no example database or cache).

Values that name what the server holds (a category, a term, a form token, a fresh
Idempotency-Key) come from the API itself, as for a front end: tests/helpers/
schemathesis_hooks.py says why.
"""

import json
from pathlib import Path

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS

from glossary_project.wsgi import application
from terms.roles import ADVISORY_TEAM
from terms.services import glossary_import

from ..factories import UserFactory
from ..helpers import schemathesis_hooks  # noqa: F401 - registers the before_call hook
from ..helpers.wsgi import connections_kept_open, served

DEMO = Path(__file__).resolve().parents[2] / "terms" / "demo" / "glossary.json"
MAX_EXAMPLES = 100
SEED = 20_251_201

HEALTH_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=HEALTH_CHECKS,
)
# max_response_time is a time limit, not behaviour: on a shared CI machine any limit would
# measure the machine. Every other check runs (what `schemathesis run --checks all` does).
NOT_A_BEHAVIOUR = {"max_response_time"}


def configuration(session_key: str) -> schemathesis.Config:
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # No state kept between runs (.schemathesis/): each run the same requests.
            "cache": {"enabled": False},
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True},
            },
            # The advisory team's session, for the operations that declare cookieAuth;
            # the public ones are called without it too (they also declare `{}`).
            "auth": {"openapi": {"cookieAuth": {"api_key": session_key}}},
        }
    )
    config.projects.get_default().checks.update(included_check_names=["all"])
    return config


@pytest.fixture
def api_schema(db, settings, client):
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1000000/minute"},
    }
    settings.ADVISORY_RATE = "1000000/hour"
    cache.clear()
    glossary_import(data=json.loads(DEMO.read_text(encoding="utf-8")))
    client.force_login(UserFactory(is_staff=True, roles=[ADVISORY_TEAM]))
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    with connections_kept_open():
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json", served(application), config=configuration(session_key)
        )


schema = schemathesis.pytest.from_fixture("api_schema")


def test_every_check_schemathesis_has_is_run(api_schema):
    checks = api_schema.config.checks_config_for()
    names = set(CHECKS.get_all_names()) - NOT_A_BEHAVIOUR

    assert {name for name in names if not checks.get_by_name(name=name).enabled} == set()


@schema.parametrize()
@HYPOTHESIS
def test_the_api_answers_every_generated_request_as_its_schema_documents(case):
    case.call_and_validate()


def test_sequences_of_calls_along_the_schemas_links_hold_every_check(api_schema):
    api_schema.as_state_machine().run(
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=6,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=HEALTH_CHECKS,
        )
    )
