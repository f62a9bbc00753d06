"""Structured logs: one JSON object per line, a request id on every line logged during a
request, and one line per request (README "Logs").

No personal data: the request line holds the method, the path without its query string
(an admin search can be an email address), the status, the time taken and what the cache
did. Never an IP address, user agent, user name, cookie or query string.
"""

import json
import logging
import os
import re
import time
from contextvars import ContextVar

from django.http import HttpRequest

from glossary_project.httpcache.state import request_state

# The id of the request being answered, for every log record made while it is.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or client may choose as the id: nothing a log line or header could carry
# further than itself.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_logger = logging.getLogger("glossary.request")

# Django's request and security loggers pass the request in extra={...}: its text is the
# full path, query string included. The request line has the method and path.
_NEVER_WRITTEN = frozenset({"request"})
# Attributes every LogRecord has; anything else on a record came from extra={...}.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time (UTC), level, logger, message, request_id, the
    fields passed in extra={...}, and exception. Whatever a caller passes, it gives a line."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            entry = self._entry(record)
            try:
                return _encoder.encode(entry)
            except (TypeError, ValueError, RecursionError):
                return _encoder.encode({key: _json_safe(value) for key, value in entry.items()})
        except Exception as error:  # a formatter must not lose the record or raise
            return json.dumps(
                {
                    "time": _utc_time(record),
                    "level": getattr(record, "levelname", "ERROR"),
                    "logger": getattr(record, "name", ""),
                    "message": _text(getattr(record, "msg", "")),
                    "format_error": _text(error),
                }
            )

    def _entry(self, record: logging.LogRecord) -> dict:
        message, unformatted = _message(record)
        entry = {
            "time": _utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        if unformatted:
            entry["args"] = unformatted
        request_id = getattr(record, "request_id", None) or current_request_id.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key in _RECORD_ATTRIBUTES or key in entry or key in _NEVER_WRITTEN:
                continue
            if isinstance(value, HttpRequest):  # its text holds the query string
                continue
            entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return entry


class TextFormatter(logging.Formatter):
    """One readable line for development: time (UTC), level, logger, [request id], message."""

    converter = time.gmtime
    default_msec_format = "%s.%03d"

    def format(self, record: logging.LogRecord) -> str:
        message, unformatted = _message(record)
        if unformatted:
            message += f" {unformatted}"
        line = f"{self.formatTime(record)} {record.levelname} {record.name}"
        request_id = getattr(record, "request_id", None) or current_request_id.get()
        if request_id:
            line += f" [{request_id}]"
        line += f" {message}"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += f"\n{record.exc_text}"
        if record.stack_info:
            line += f"\n{self.formatStack(record.stack_info)}"
        return line


class RequestLogMiddleware:
    """The outermost WSGI application: gives each request an id and logs one line for it.

    The id is the client's or proxy's X-Request-ID when that is a sane token, else a new
    one; it goes into the request state, onto every log record made while the request is
    answered, and into the response's X-Request-ID header. The line is logged (at INFO on
    "glossary.request", so a level can turn it off) once the response is produced: when
    the server closes the body, so a streamed body is timed to its end; at once for a
    body that is a list (the fast path's) or a file the server sends itself
    (wsgi.file_wrapper, which must reach the server untouched for sendfile).
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        state = request_state(environ)
        request_id = environ.get("HTTP_X_REQUEST_ID", "")
        if not SANE_REQUEST_ID.fullmatch(request_id):
            request_id = new_request_id()
        state.request_id = request_id
        exchange = _Exchange(environ, state, start_response, current_request_id.set(request_id))
        try:
            body = self.app(environ, exchange.start_response)
        except BaseException:
            exchange.finish(failed=True)
            raise
        if type(body) is list or _sent_by_the_server(body, environ):
            exchange.finish()  # already produced: nothing left to time
            return body
        exchange.body = body
        return exchange


def _sent_by_the_server(body, environ) -> bool:
    file_wrapper = environ.get("wsgi.file_wrapper")
    return isinstance(file_wrapper, type) and isinstance(body, file_wrapper)


def new_request_id() -> str:
    """A random UUID (version 4) as 32 hex digits, as uuid.uuid4().hex gives, without
    building the UUID object (which costs more than the rest of the wrapper)."""
    value = int.from_bytes(os.urandom(16), "big")
    return f"{(value & _UUID4_CLEAR) | _UUID4_SET:032x}"


# The version (4) and variant (RFC 4122) bits of a random UUID.
_UUID4_CLEAR = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_UUID4_SET = (0x4 << 76) | (0x2 << 62)


class _Exchange:
    """One request between the server and the application: the body the server iterates
    and closes, and the request line logged when it does."""

    __slots__ = ("body", "environ", "finished", "respond", "state", "status", "token")

    def __init__(self, environ, state, respond, token):
        self.environ = environ
        self.state = state
        self.respond = respond
        self.token = token
        self.status = ""
        self.body = ()
        self.finished = False

    def start_response(self, status, headers, exc_info=None):
        self.status = status
        return self.respond(
            status, [*headers, (REQUEST_ID_HEADER, self.state.request_id)], exc_info
        )

    def __iter__(self):
        try:
            yield from self.body
        except BaseException:
            self.status = "500"
            raise

    def close(self):
        if self.finished:
            return
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.finish()

    def finish(self, failed: bool = False) -> None:
        self.finished = True
        try:
            if request_logger.isEnabledFor(logging.INFO):
                self.log(500 if failed else _status_code(self.status))
        finally:
            try:
                current_request_id.reset(self.token)
            except (ValueError, RuntimeError):  # closed in another context than it began
                current_request_id.set(None)

    def log(self, status: int) -> None:
        state = self.state
        environ = self.environ
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        if not path.isascii():  # WSGI gives the path's bytes as Latin-1
            path = path.encode("latin-1", "replace").decode("utf-8", "replace")
        duration_ms = round((time.perf_counter() - state.started) * 1000, 3)
        degraded = sorted(state.degraded)
        request_logger.info(
            "%s %s %s %.1fms cache=%s%s",
            method,
            path,
            status,
            duration_ms,
            state.cache,
            f" degraded={','.join(degraded)}" if degraded else "",
            extra={
                "event": "request",
                "request_id": state.request_id,
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "cache": state.cache,
                "degraded": degraded,
            },
        )


def _status_code(status: str) -> int:
    """500 when the application never started a response (the server then answers 500)."""
    try:
        return int(status[:3])
    except ValueError:
        return 500


def _message(record: logging.LogRecord) -> tuple[str, list[str] | None]:
    """The formatted message; when its arguments do not fit its %-format, the format as
    it stands and the arguments as text."""
    try:
        return str(record.getMessage()), None
    except Exception:
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        return _text(record.msg), [_text(arg) for arg in args]


_second = (0, "1970-01-01T00:00:00")  # the last second written, formatted once


def _utc_time(record: logging.LogRecord) -> str:
    global _second
    created = getattr(record, "created", None) or time.time()
    whole = int(created)
    second, text = _second
    if whole != second:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _second = (whole, text)
    return f"{text}.{int((created - whole) * 1000):03d}Z"


def _json_safe(value):
    """The value if it can be written as JSON, else its text."""
    try:
        _encoder.encode(value)
    except (TypeError, ValueError, RecursionError):
        return _text(value)
    return value


def _text(value) -> str:
    try:
        return str(value)
    except Exception:
        try:
            return repr(value)
        except Exception:
            return f"<unprintable {type(value).__name__}>"


# One encoder for every line (json.dumps with options builds a new one per call). Values
# JSON has no form for are written as their text; NaN and infinity are not valid JSON.
_encoder = json.JSONEncoder(default=_text, allow_nan=False)
