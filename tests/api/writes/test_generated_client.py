"""The generated client works for writes too: a Python client generated from /api/schema/
by openapi-python-client creates and updates a term with an API key, through the
production WSGI application (httpx's WSGI transport: every request over the whole stack,
no server process)."""

import importlib
import subprocess
import sys

import httpx
import pytest

from apikeys.services import api_key_create
from glossary_project.wsgi import application
from terms.models import Term

from ...helpers.wsgi import connections_kept_open, served

pytestmark = pytest.mark.django_db
HOST = "glossary.test"


@pytest.fixture
def generated(tmp_path, client, monkeypatch):
    """The package openapi-python-client makes of the schema, imported from tmp_path."""
    schema = tmp_path / "schema.json"
    schema.write_bytes(client.get("/api/schema/", {"format": "json"}).content)
    config = tmp_path / "config.yml"
    config.write_text("post_hooks: []\n")  # no formatter: the client is imported, not read
    subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(tmp_path / "glossary_client"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [module for module in sys.modules if module.startswith("glossary_client")]:
        del sys.modules[name]
    return importlib.import_module("glossary_client")


def test_a_generated_client_creates_and_updates_a_term_with_an_api_key(
    generated, settings, superuser, category
):
    settings.ALLOWED_HOSTS = [HOST]
    from glossary_client.api.v1 import (
        v1_terms_create,
        v1_terms_partial_update,
        v1_terms_record_retrieve,
    )
    from glossary_client.models import (
        Error,
        PatchedTermRecordRequest,
        RecordFAQRequest,
        TermRecordRequest,
        TermStatusEnum,
        TermVersion,
    )

    key = api_key_create(name="Generated", scopes=["content:write"], created_by=superuser)
    api = generated.AuthenticatedClient(
        base_url=f"http://{HOST}",
        token=key.text,
        httpx_args={"transport": httpx.WSGITransport(app=served(application))},
    )
    with connections_kept_open(), api:
        created = v1_terms_create.sync_detailed(
            client=api,
            body=TermRecordRequest(
                slug="model-card",
                title="Model Card",
                category="evaluation",
                status=TermStatusEnum.PUBLISHED,
                summary="A short document about a trained model.",
                definition="Written alongside a model.",
                faqs=[RecordFAQRequest(question="Who writes it?", answer="Its makers.")],
            ),
        )
        assert created.status_code == 201, created.content
        assert isinstance(created.parsed, TermVersion)
        assert created.parsed.live is True
        etag = created.headers["ETag"]

        updated = v1_terms_partial_update.sync_detailed(
            "model-card",
            client=api,
            body=PatchedTermRecordRequest(summary="Changed by a generated client."),
            if_match=etag,
        )
        assert updated.status_code == 200, updated.content
        assert updated.parsed.record.summary == "Changed by a generated client."
        assert [faq.question for faq in updated.parsed.record.faqs] == ["Who writes it?"]

        stale = v1_terms_partial_update.sync_detailed(
            "model-card", client=api, body=PatchedTermRecordRequest(summary="Lost."), if_match=etag
        )
        assert stale.status_code == 412
        assert isinstance(stale.parsed, Error)

        read = v1_terms_record_retrieve.sync("model-card", client=api)
        assert read.record.summary == "Changed by a generated client."
    assert Term.objects.get(slug="model-card").summary == "Changed by a generated client."
