"""Where purges go: Varnish servers (vmod xkey), Cloudflare and Fastly, by their
documented purge-by-tag APIs. Each backend purges a list of tags (in as many requests as
its limit per request needs) or everything, and raises PurgeFailed when it could not.

CDN_PURGE_BACKENDS names them, comma-separated: ``varnish:http://10.0.0.5:6081`` (one per
Varnish server), ``cloudflare:<zone id>`` (token: CDN_CLOUDFLARE_API_TOKEN),
``fastly:<service id>`` (key: CDN_FASTLY_API_KEY). The API addresses are settings too
(CDN_CLOUDFLARE_API_URL, CDN_FASTLY_API_URL), so tests point them at a local server.
"""

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .tags import ALL

KINDS = ("varnish", "cloudflare", "fastly")
# At most this many tags in one purge request:
# https://developers.cloudflare.com/cache/how-to/purge-cache/ ("Max operations per request")
CLOUDFLARE_TAGS_PER_REQUEST = 100
# https://www.fastly.com/documentation/reference/api/purging/ ("Up to 256 surrogate keys")
FASTLY_KEYS_PER_REQUEST = 256
# One xkey-purge header, well inside Varnish's http_req_hdr_len (8 KB by default).
VARNISH_TAGS_PER_REQUEST = 200


class PurgeFailed(Exception):
    """The backend did not confirm the purge (unreachable, timed out, or refused)."""


def batches(tags: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(tags), size):
        yield list(tags[start : start + size])


def _send(url: str, *, method: str = "POST", headers: dict, body: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 - configured addresses
    try:
        with urllib.request.urlopen(request, timeout=settings.CDN_PURGE_TIMEOUT) as response:  # noqa: S310
            return response.read()
    except urllib.error.HTTPError as error:
        detail = error.read()[:200].decode("utf-8", "replace")
        raise PurgeFailed(f"{method} {url} answered {error.code}: {detail}") from error
    except (OSError, ValueError) as error:  # refused, timed out, reset, bad address
        raise PurgeFailed(f"{method} {url} failed: {error}") from error


@dataclass(frozen=True)
class Varnish:
    """A Varnish server running glossary_project/cdn/varnish.vcl: ``PURGE /`` with the
    tags in ``xkey-purge`` (space-separated), allowed from the VCL's purge ACL."""

    name: str
    url: str

    def purge(self, tags: Sequence[str]) -> None:
        for batch in batches(tags, VARNISH_TAGS_PER_REQUEST):
            _send(
                self.url.rstrip("/") + "/",
                method="PURGE",
                headers={"xkey-purge": " ".join(batch)},
            )

    def purge_everything(self) -> None:
        self.purge([ALL])  # every response the site lets Varnish keep carries it


@dataclass(frozen=True)
class Cloudflare:
    """POST /zones/{zone_id}/purge_cache with {"tags": [...]} (or purge_everything),
    Authorization: Bearer <token>; a 200 with "success": true is a purge."""

    name: str
    zone_id: str

    def _post(self, payload: dict) -> None:
        body = _send(
            f"{settings.CDN_CLOUDFLARE_API_URL.rstrip('/')}/zones/{self.zone_id}/purge_cache",
            headers={
                "Authorization": f"Bearer {settings.CDN_CLOUDFLARE_API_TOKEN}",
                "Content-Type": "application/json",
            },
            body=json.dumps(payload).encode(),
        )
        try:
            success = json.loads(body).get("success") is True
        except (ValueError, AttributeError):
            success = False
        if not success:
            raise PurgeFailed(f"Cloudflare did not confirm the purge: {body[:200]!r}")

    def purge(self, tags: Sequence[str]) -> None:
        for batch in batches(tags, CLOUDFLARE_TAGS_PER_REQUEST):
            self._post({"tags": batch})

    def purge_everything(self) -> None:
        self._post({"purge_everything": True})


@dataclass(frozen=True)
class Fastly:
    """POST /service/{service_id}/purge with {"surrogate_keys": [...]} (or
    /service/{service_id}/purge_all), Fastly-Key: <API token>."""

    name: str
    service_id: str

    def _post(self, path: str, payload: dict | None = None) -> None:
        headers = {"Fastly-Key": settings.CDN_FASTLY_API_KEY, "Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        _send(
            f"{settings.CDN_FASTLY_API_URL.rstrip('/')}/service/{self.service_id}/{path}",
            headers=headers,
            body=json.dumps(payload).encode() if payload is not None else b"",
        )

    def purge(self, tags: Sequence[str]) -> None:
        for batch in batches(tags, FASTLY_KEYS_PER_REQUEST):
            self._post("purge", {"surrogate_keys": batch})

    def purge_everything(self) -> None:
        self._post("purge_all")


Backend = Varnish | Cloudflare | Fastly


def backend_from_name(name: str) -> Backend:
    """The backend ``name`` (as CDN_PURGE_BACKENDS writes it) stands for."""
    kind, _, where = name.partition(":")
    kind, where = kind.strip().lower(), where.strip()
    if kind not in KINDS or not where:
        raise ImproperlyConfigured(
            f"CDN_PURGE_BACKENDS: {name!r} is not varnish:<url>, cloudflare:<zone id> "
            "or fastly:<service id>."
        )
    if kind == "varnish":
        if urlsplit(where).scheme not in ("http", "https") or not urlsplit(where).netloc:
            raise ImproperlyConfigured(
                f"CDN_PURGE_BACKENDS: {name!r} needs a Varnish address such as "
                "varnish:http://10.0.0.5:6081."
            )
        return Varnish(name=name, url=where)
    if kind == "cloudflare":
        return Cloudflare(name=name, zone_id=where)
    return Fastly(name=name, service_id=where)


def configured() -> list[Backend]:
    return [backend_from_name(name) for name in settings.CDN_PURGE_BACKENDS]


def named(name: str) -> Backend | None:
    """The configured backend called ``name`` (None: no longer configured)."""
    return next((backend for backend in configured() if backend.name == name), None)
