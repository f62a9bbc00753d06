"""Requests this site makes to addresses people typed in (webhook endpoints): only to
public addresses, to the very address that was checked, never following a redirect.

A URL whose host resolves to a private, loopback, link-local, multicast, reserved or
unspecified address is refused (server-side request forgery: an endpoint must not reach
the database, the cloud's metadata service or an internal admin page), unless
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is on (the tests' loopback servers). The name is looked up
once and the connection made to the address found, so a name that answers differently the
second time (DNS rebinding) gains nothing; HTTPS still checks the certificate against the
name.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

SCHEMES = {"http": 80, "https": 443}


class AddressRefused(Exception):
    """The URL may not be called; the message says why, for a person."""


class LookupFailed(AddressRefused):
    """The host name could not be looked up (perhaps only for now)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (the Host header, the certificate's name)
    port: int
    path: str  # path and query
    address: str  # the checked IP address to connect to


def address_refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why this address may not be called, or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flagged in (
        (_("a loopback address"), ip.is_loopback),
        (_("an unspecified address"), ip.is_unspecified),
        (_("a link-local address"), ip.is_link_local),
        (_("a multicast address"), ip.is_multicast),
        (_("a private address"), ip.is_private),
        (_("a reserved address"), ip.is_reserved),
        (_("a non-public address"), not ip.is_global),
    ):
        if flagged:
            return kind
    return None


def resolve(url: str, *, allow_private: bool | None = None) -> Target:
    """Check ``url`` and look its host up once: the address to connect to.

    Raises AddressRefused with a sentence for the person who typed it."""
    if allow_private is None:
        allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise AddressRefused(_("Only http:// and https:// addresses can be called."))
    try:
        host, port = parts.hostname, parts.port or SCHEMES[scheme]
    except ValueError as error:
        raise AddressRefused(_("The address has an invalid port.")) from error
    if not host:
        raise AddressRefused(_("The address has no host name."))
    if parts.username or parts.password:
        raise AddressRefused(_("Put no user name or password in the address."))
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise LookupFailed(
            _("The host name %(host)s could not be looked up.") % {"host": host}
        ) from error
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    for address in addresses:
        # All of them, not the first: a name with one public and one internal address
        # is refused, whichever the resolver would list first next time.
        refusal = address_refusal(ipaddress.ip_address(address.split("%")[0]))
        if refusal and not allow_private:
            raise AddressRefused(
                _("%(host)s is %(kind)s (%(address)s): only public addresses can be called.")
                % {"host": host, "kind": refusal, "address": address}
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port, path, addresses[0])


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes  # the first ``keep`` bytes


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address
        self.opened: socket.socket | None = None  # kept: http.client forgets it early

    def connect(self):
        self.sock = self.opened = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self.address = target.address
        self.opened: socket.socket | None = None

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.opened = self._context.wrap_socket(sock, server_hostname=self.host)


def post(
    target: Target, body: bytes, *, headers: dict[str, str], timeout: float, keep: int = 1024
) -> Answer:
    """POST ``body`` to the checked address; any HTTP status is an Answer (redirects
    are not followed). The whole request, from connecting to the last byte kept, takes
    at most ``timeout`` seconds: a server that answers a byte at a time is cut off too.
    Raises TimeoutError, OSError (refused, reset) and http.client.HTTPException (not
    HTTP) when there is no answer."""
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    cut_off = threading.Event()

    def cut():
        cut_off.set()
        if connection.opened is not None:
            with contextlib.suppress(OSError):
                # The plain socket's shutdown (no TLS goodbye): wakes a blocked receive.
                socket.socket.shutdown(connection.opened, socket.SHUT_RDWR)

    watchdog = threading.Timer(timeout, cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        kept = response.read(keep)
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
    except Exception as error:
        if cut_off.is_set():
            raise TimeoutError(f"no whole answer within {timeout:g} s") from error
        raise
    finally:
        watchdog.cancel()
        connection.close()
        if connection.opened is not None:
            connection.opened.close()
    if cut_off.is_set():
        raise TimeoutError(f"no whole answer within {timeout:g} s")
    return Answer(response.status, answer_headers, kept)
