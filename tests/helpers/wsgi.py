"""Calling a WSGI application the way a server does, without one."""

import io
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.db import close_old_connections


def environ_for(path="/", method="GET", query="", host="glossary.test", **headers) -> dict:
    """A WSGI environ for one request to ``host``; ``headers`` as WSGI names (HTTP_…)."""
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "glossary.test",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "REMOTE_ADDR": "192.0.2.10",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        **headers,
    }


def call_wsgi(app, environ: dict) -> tuple[int, dict, bytes]:
    """Call ``app`` as a server does: start, read the body, close it."""
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"] = int(status.split()[0])
        started["headers"] = dict(response_headers)

    body = app(environ, start_response)
    try:
        content = b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()
    return started["status"], started["headers"], content


@contextmanager
def connections_kept_open() -> Iterator[None]:
    """As Django's test client does: keep the test's database connection (and its
    transaction) open across the requests the application answers meanwhile."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def served(app):
    """``app`` as a server runs it: each body read to its end and closed there and then.
    For WSGI test clients that leave the closing to whoever reads the response (the
    request log ends a request when its body is closed)."""

    def application(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return application
