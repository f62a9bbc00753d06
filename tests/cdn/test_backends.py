"""The purge backends against a local stand-in for each API, checking the requests
their documentation describes: method, path, credentials, body, and batching."""

import pytest
from django.core.management import call_command

from glossary_project.cdn.backends import PurgeFailed, backend_from_name
from glossary_project.cdn.checks import purge_backends_check

from ..helpers.processes import free_port

TAGS = [f"term-{n}" for n in range(250)]


def test_cloudflare_purges_tags_in_batches_of_100_with_the_token(cloudflare):
    backend_from_name("cloudflare:zone123").purge(TAGS)

    assert [request.json()["tags"] for request in cloudflare.requests] == [
        TAGS[:100],
        TAGS[100:200],
        TAGS[200:],
    ]
    for request in cloudflare.requests:
        assert request.method == "POST"
        assert request.path == "/client/v4/zones/zone123/purge_cache"
        assert request.headers["authorization"] == "Bearer cf-token"
        assert request.headers["content-type"] == "application/json"


def test_cloudflare_purges_everything(cloudflare):
    backend_from_name("cloudflare:zone123").purge_everything()
    [request] = cloudflare.requests
    assert request.path == "/client/v4/zones/zone123/purge_cache"
    assert request.json() == {"purge_everything": True}


@pytest.mark.parametrize(
    "answer",
    [
        (500, b'{"success": false}'),
        (200, b'{"success": false, "errors": [{"code": 1}]}'),
        (429, b"{}"),
    ],
)
def test_cloudflare_not_confirming_is_a_failure(cloudflare, answer):
    cloudflare.answers = [answer]
    with pytest.raises(PurgeFailed):
        backend_from_name("cloudflare:zone123").purge(["term-1"])


def test_fastly_purges_surrogate_keys_in_batches_of_256_with_its_key(fastly):
    keys = [f"term-{n}" for n in range(300)]
    backend_from_name("fastly:service9").purge(keys)

    assert [request.json()["surrogate_keys"] for request in fastly.requests] == [
        keys[:256],
        keys[256:],
    ]
    for request in fastly.requests:
        assert request.method == "POST"
        assert request.path == "/service/service9/purge"
        assert request.headers["fastly-key"] == "fastly-key"
        assert "fastly-soft-purge" not in request.headers  # gone at once, not stale


def test_fastly_purges_everything(fastly):
    backend_from_name("fastly:service9").purge_everything()
    [request] = fastly.requests
    assert (request.method, request.path) == ("POST", "/service/service9/purge_all")
    assert request.headers["fastly-key"] == "fastly-key"


def test_fastly_refusing_is_a_failure(fastly):
    fastly.answers = [(401, b'{"msg": "Provided credentials are missing or invalid"}')]
    with pytest.raises(PurgeFailed, match="401"):
        backend_from_name("fastly:service9").purge(["term-1"])


def test_varnish_is_sent_purge_with_the_tags_in_xkey_purge(stand_in):
    backend_from_name(f"varnish:{stand_in.url}").purge(["term-1", "category-2"])
    [request] = stand_in.requests
    assert (request.method, request.path) == ("PURGE", "/")
    assert request.headers["xkey-purge"] == "term-1 category-2"


def test_varnish_purges_everything_by_the_tag_every_response_carries(stand_in):
    backend_from_name(f"varnish:{stand_in.url}").purge_everything()
    [request] = stand_in.requests
    assert request.headers["xkey-purge"] == "glossary"


def test_an_unreachable_server_is_a_failure(settings):
    settings.CDN_PURGE_TIMEOUT = 1
    with pytest.raises(PurgeFailed):
        backend_from_name(f"varnish:http://127.0.0.1:{free_port()}").purge(["term-1"])


def test_a_misspelt_backend_or_a_missing_credential_is_reported_by_the_checks(settings):
    settings.CDN_PURGE_BACKENDS = ["varnsh:http://10.0.0.5", "varnish:10.0.0.5", "cloudflare:z"]
    settings.CDN_CLOUDFLARE_API_TOKEN = ""
    ids = [error.id for error in purge_backends_check(None)]
    assert ids == ["cdn.E001", "cdn.E001", "cdn.E002"]


def test_the_vcl_command_fills_in_the_backend_and_the_purge_acl(capsys):
    call_command("varnish_vcl", "--backend", "10.0.0.9:8001", "--purge-from", "10.0.0.0/8")
    vcl = capsys.readouterr().out
    assert '.host = "10.0.0.9";' in vcl
    assert '.port = "8001";' in vcl
    assert '"10.0.0.0"/8;' in vcl
    assert "@@" not in vcl
