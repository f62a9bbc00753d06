"""What the logs show an operator: one JSON line per request with its id, the id on every
other line of the request and in the response, and no personal data."""

import io
import json
import logging
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from wsgiref.util import FileWrapper

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from glossary_project.logs import JsonFormatter, RequestLogMiddleware, current_request_id
from glossary_project.wsgi import application
from terms.models import SiteSettings

from ..factories import InquiryFactory, TermFactory
from ..helpers.processes import gunicorn
from ..helpers.wsgi import call_wsgi, connections_kept_open
from ..helpers.wsgi import environ_for as helper_environ

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REQUEST_LINE_FIELDS = {
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "event",
    "method",
    "path",
    "status",
    "duration_ms",
    "cache",
    "degraded",
}


def is_fresh_id(value: str) -> bool:
    """32 hex digits of a random UUID, as the site makes when a request brings no sane id."""
    made = uuid.UUID(hex=value)
    return made.hex == value and made.version == 4


class Log:
    """Every record logged while a test runs, as the JSON lines production writes."""

    def __init__(self):
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines()]

    def requests(self) -> list[dict]:
        return [line for line in self.lines() if line.get("event") == "request"]


@pytest.fixture
def log():
    captured = Log()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield captured
    root.removeHandler(handler)


@pytest.fixture
def site(settings, db):
    """The real WSGI application, serving glossary.test with the response cache on."""
    settings.ALLOWED_HOSTS = ["glossary.test"]
    settings.API_RESPONSE_CACHE = True
    cache.clear()
    with connections_kept_open():
        yield
    cache.clear()


def environ_for(**request) -> dict:
    return helper_environ(HTTP_USER_AGENT="Mozilla/5.0 (Ada's laptop)", **request)


def call(app=application, **request) -> tuple[int, dict, bytes]:
    return call_wsgi(app, environ_for(**request))


# The line per request


def test_each_request_is_one_json_line_with_its_id_status_and_time(site, log):
    TermFactory(title="Model Card", slug="model-card")

    status, headers, _body = call(path="/api/v1/terms/model-card/")

    assert status == 200
    (line,) = log.requests()
    assert set(line) == REQUEST_LINE_FIELDS
    assert line["request_id"] == headers["X-Request-ID"]
    assert is_fresh_id(line["request_id"])
    assert (line["logger"], line["level"]) == ("glossary.request", "INFO")
    assert (line["method"], line["path"], line["status"]) == (
        "GET",
        "/api/v1/terms/model-card/",
        200,
    )
    assert line["cache"] in {"hit", "miss", "bypass"}
    assert line["degraded"] == []
    assert 0 < line["duration_ms"] < 10_000


# Committed for real: nothing is cached from inside a transaction that changed content.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_request_answered_from_the_cache_before_django_gets_its_header_and_line_too(site, log):
    SiteSettings.load()  # stored, as after the first page view: reading it inserts nothing
    TermFactory(title="Model Card", slug="model-card")
    call(path="/api/v1/terms/model-card/")

    with CaptureQueriesContext(connection) as queries:
        status, headers, body = call(path="/api/v1/terms/model-card/", method="HEAD")

    assert len(queries) == 0  # the WSGI fast path answered
    assert (status, body) == (200, b"")
    _first, second = log.requests()
    assert second["request_id"] == headers["X-Request-ID"]
    assert (second["method"], second["status"]) == ("HEAD", 200)


def test_a_sane_request_id_from_the_proxy_is_kept_in_the_log_and_the_response(site, log):
    _status, headers, _body = call(HTTP_X_REQUEST_ID="edge-7f3a.2_b")

    assert headers["X-Request-ID"] == "edge-7f3a.2_b"
    assert [line["request_id"] for line in log.requests()] == ["edge-7f3a.2_b"]


@pytest.mark.parametrize(
    "sent",
    ["x" * 500, "abc\ndef", "abc\r\nSet-Cookie: a=b", "two words", '"quoted"', "ü", ""],
    ids=["500 chars", "newline", "header injection", "space", "quotes", "non-ascii", "empty"],
)
def test_a_request_id_that_is_not_a_sane_token_is_replaced_by_a_fresh_one(site, log, sent):
    _status, headers, _body = call(HTTP_X_REQUEST_ID=sent)

    fresh = headers["X-Request-ID"]
    assert is_fresh_id(fresh)
    assert [line["request_id"] for line in log.requests()] == [fresh]
    if sent:
        assert json.dumps(sent)[1:-1] not in log.text


def test_every_request_gets_its_own_id(site, log):
    first = call()[1]["X-Request-ID"]
    second = call()[1]["X-Request-ID"]

    assert first != second
    assert [line["request_id"] for line in log.requests()] == [first, second]


# No personal data


def test_an_admin_inbox_search_for_an_address_leaves_no_trace_of_it_in_the_log(
    site, log, client, advisory_member
):
    InquiryFactory(name="Ada Lovelace", email="ada@example.com")
    client.force_login(advisory_member)

    status, _headers, body = call(
        path="/admin/advisory/inquiry/",
        query="q=ada@example.com",
        HTTP_COOKIE=f"sessionid={client.cookies['sessionid'].value}",
    )

    assert status == 200
    assert b"ada@example.com" in body  # the search ran and found her
    (line,) = log.requests()
    assert line["path"] == "/admin/advisory/inquiry/"
    for trace in ("ada@example.com", "ada%40example.com", "q=", "Lovelace"):
        assert trace not in log.text
    for trace in ("192.0.2.10", "Mozilla", "sessionid", advisory_member.username):
        assert trace not in log.text


def test_an_error_response_to_a_query_with_an_address_logs_the_path_but_not_the_query(site, log):
    status, headers, _body = call(path="/api/v1/terms/", query="email=ada@example.com")

    assert status == 400
    warning = next(line for line in log.lines() if line["logger"] == "django.request")
    assert warning["request_id"] == headers["X-Request-ID"]
    assert warning["message"] == "Bad Request: /api/v1/terms/"
    # Not "ada" alone: a random request id (hex) may hold those letters.
    for trace in ("ada@example.com", "ada%40example.com", "email="):
        assert trace not in log.text


# Errors and other lines during a request


@pytest.mark.urls("tests.project.urls")
def test_a_line_logged_during_a_request_carries_the_request_id(site, log):
    _status, headers, _body = call(path="/noisy/")

    warning = next(line for line in log.lines() if line["logger"] == "tests.project")
    assert warning["message"] == "something worth a look"
    assert warning["request_id"] == headers["X-Request-ID"]


def test_a_line_logged_outside_any_request_has_no_request_id(site, log):
    call()

    logging.getLogger("tests.project").warning("after the request")

    assert "request_id" not in log.lines()[-1]


@pytest.mark.urls("tests.project.urls")
def test_an_exception_in_a_view_is_logged_with_its_traceback_request_id_and_status_500(site, log):
    status, headers, _body = call(path="/broken/")

    assert status == 500
    request_id = headers["X-Request-ID"]
    error = next(line for line in log.lines() if line["level"] == "ERROR")
    assert error["request_id"] == request_id
    assert "RuntimeError: the view broke" in error["exception"]
    (line,) = log.requests()
    assert (line["request_id"], line["status"]) == (request_id, 500)


def test_an_application_that_raises_is_logged_as_500_and_the_error_reaches_the_server(log):
    def failing_app(environ, start_response):
        raise RuntimeError("no response at all")

    with pytest.raises(RuntimeError, match="no response at all"):
        call(RequestLogMiddleware(failing_app))

    (line,) = log.requests()
    assert line["status"] == 500
    assert current_request_id.get() is None


def test_a_streamed_body_is_timed_to_its_last_chunk_and_logged_once(log):
    def streaming_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        for chunk in (b"one ", b"two"):
            time.sleep(0.02)
            logging.getLogger("tests.project").warning("sent %s", chunk)
            yield chunk

    status, headers, body = call(RequestLogMiddleware(streaming_app), path="/stream/")

    assert (status, body) == (200, b"one two")
    (line,) = log.requests()
    assert line["duration_ms"] >= 40
    chunk_lines = [line for line in log.lines() if line["logger"] == "tests.project"]
    assert [chunk["request_id"] for chunk in chunk_lines] == [headers["X-Request-ID"]] * 2


def test_a_body_that_fails_halfway_is_logged_as_500(log):
    def breaking_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"half"
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        call(RequestLogMiddleware(breaking_app))

    (line,) = log.requests()
    assert line["status"] == 500


def test_a_path_that_is_not_ascii_is_logged_as_its_characters(log):
    def app(environ, start_response):
        start_response("404 Not Found", [])
        return [b""]

    # A WSGI server passes the path's UTF-8 bytes as Latin-1 characters.
    call(RequestLogMiddleware(app), path="/glossary/café/".encode().decode("latin-1"))

    (line,) = log.requests()
    assert line["path"] == "/glossary/café/"


def test_a_file_the_server_sends_itself_is_handed_over_untouched_and_logged(log):
    def file_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](io.BytesIO(b"bytes"))

    environ = {**environ_for(path="/static/file"), "wsgi.file_wrapper": FileWrapper}
    body = RequestLogMiddleware(file_app)(environ, lambda status, headers, exc_info=None: None)

    assert isinstance(body, FileWrapper)  # so gunicorn can still use sendfile
    (line,) = log.requests()
    assert (line["path"], line["status"]) == ("/static/file", 200)


def test_the_request_line_is_left_out_when_its_level_is_filtered_but_the_id_is_still_sent(
    site, log
):
    logging.getLogger("glossary.request").setLevel(logging.WARNING)
    try:
        _status, headers, _body = call()
    finally:
        logging.getLogger("glossary.request").setLevel(logging.INFO)

    assert is_fresh_id(headers["X-Request-ID"])
    assert log.requests() == []


# The formatter


def formatted(message, *args, extra=None, exc_info=None) -> dict:
    """A record as the production handler writes it, parsed back."""
    record = logging.getLogger("tests.project").makeRecord(
        "tests.project", logging.WARNING, __file__, 1, message, args, exc_info, extra=extra
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    return json.loads(line)


def test_structured_fields_are_written_as_json_and_other_values_as_text():
    class Unprintable:
        def __str__(self):
            raise ValueError("no")

        def __repr__(self):
            raise ValueError("no")

    circular = []
    circular.append(circular)
    line = formatted(
        "fields",
        extra={
            "count": 3,
            "ratio": 0.5,
            "tags": ["a", "b"],
            "nothing": None,
            "moment": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            "names": frozenset({"x"}),
            "not_a_number": math.nan,
            "tuple_keys": {(1, 2): "pair"},
            "circular": circular,
            "unprintable": Unprintable(),
            "raw": b"\xff\x00",
        },
    )

    assert (line["count"], line["ratio"], line["tags"], line["nothing"]) == (
        3,
        0.5,
        ["a", "b"],
        None,
    )
    assert line["moment"] == "2026-01-02 03:04:05+00:00"
    assert line["names"] == "frozenset({'x'})"
    assert line["not_a_number"] == "nan"
    assert line["tuple_keys"] == "{(1, 2): 'pair'}"
    assert line["circular"] == "[[...]]"
    assert line["unprintable"] == "<unprintable Unprintable>"
    assert line["raw"] == "b'\\xff\\x00'"


def test_a_message_whose_arguments_do_not_fit_its_format_still_gives_a_line():
    line = formatted("%s and %s", "only one")

    assert line["message"] == "%s and %s"
    assert line["args"] == ["only one"]


def test_an_exception_is_written_with_its_traceback_on_the_same_line():
    try:
        raise ValueError("bad value")
    except ValueError:
        line = formatted("it failed", exc_info=sys.exc_info())

    assert line["message"] == "it failed"
    assert line["exception"].startswith("Traceback (most recent call last)")
    assert line["exception"].endswith("ValueError: bad value")


def test_a_request_passed_in_extra_is_not_written_because_its_text_holds_the_query(rf):
    request = rf.get("/admin/advisory/inquiry/", {"q": "ada@example.com"})

    line = formatted("Not Found: %s", request.path, extra={"request": request, "status_code": 404})

    assert line["message"] == "Not Found: /admin/advisory/inquiry/"
    assert line["status_code"] == 404
    assert "ada" not in json.dumps(line)


def test_the_time_is_utc_with_milliseconds():
    line = formatted("now")

    logged_at = datetime.strptime(line["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert abs((datetime.now(UTC) - logged_at).total_seconds()) < 60


# The settings, in real processes


def clean_environment(static_root: Path, **values) -> dict:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DEBUG", "LOG_FORMAT", "LOG_REQUESTS", "LOG_LEVEL", "DATABASE_URL"}
    }
    return {
        **environment,
        "SECRET_KEY": "tests-only-not-secret",
        "ALLOWED_HOSTS": "glossary.test",
        "SECURE_SSL_REDIRECT": "0",
        # An empty folder, so whitenoise does not warn that collectstatic never ran.
        "STATIC_ROOT": str(static_root),
        **values,
    }


# A request Django refuses without the database: a Host the site does not serve.
ONE_REQUEST = """
import io
from glossary_project.wsgi import application
from terms.models import SiteSettings
environ = {
    "REQUEST_METHOD": "GET", "PATH_INFO": "/glossary/", "QUERY_STRING": "q=ada@example.com",
    "SERVER_NAME": "glossary.test", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
    "HTTP_HOST": "elsewhere.example", "HTTP_X_REQUEST_ID": "from-the-shell",
    "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
}
application(environ, lambda status, headers, exc_info=None: None).close()
"""


def manage_py(*arguments: str, static_root: Path, **environment) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT_ROOT,
        env=clean_environment(static_root, **environment),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_management_commands_write_json_lines_when_debug_is_off(tmp_path):
    result = manage_py("shell", "--no-imports", "-c", ONE_REQUEST, static_root=tmp_path, DEBUG="0")

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    refused, request = lines
    assert (refused["logger"], refused["request_id"]) == (
        "django.security.DisallowedHost",
        "from-the-shell",
    )
    assert request["event"] == "request"
    assert (request["request_id"], request["status"]) == ("from-the-shell", 400)
    assert "ada" not in result.stderr


def test_development_logs_are_readable_lines_that_name_the_request(tmp_path):
    result = manage_py("shell", "--no-imports", "-c", ONE_REQUEST, static_root=tmp_path, DEBUG="1")

    assert result.returncode == 0, result.stderr
    request_line = result.stderr.splitlines()[-1]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO glossary.request \[from-the-shell\] "
        r"GET /glossary/ 400 \d+\.\dms cache=bypass",
        request_line,
    )
    assert "ada" not in result.stderr


def test_runserver_keeps_djangos_own_access_line_in_development(tmp_path):
    access_line = (
        "import logging; logging.getLogger('django.server').info("
        "'\"%s\" %s %s', 'GET /glossary/?q=term HTTP/1.1', '200', '6170')"
    )

    result = manage_py("shell", "--no-imports", "-c", access_line, static_root=tmp_path, DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert re.fullmatch(
        r'\[\d\d/\w{3}/\d{4} [\d:,]+\] "GET /glossary/\?q=term HTTP/1.1" 200 6170\n',
        result.stderr,
    )


def test_log_requests_off_leaves_out_the_request_line_but_not_the_other_lines(tmp_path):
    result = manage_py(
        "shell",
        "--no-imports",
        "-c",
        ONE_REQUEST,
        static_root=tmp_path,
        DEBUG="0",
        LOG_REQUESTS="0",
    )

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [line["logger"] for line in lines] == ["django.security.DisallowedHost"]


def test_an_unknown_log_format_stops_the_site_with_a_message_that_says_why(tmp_path):
    result = manage_py("check", static_root=tmp_path, DEBUG="0", LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "LOG_FORMAT must be json or text, not 'xml'." in result.stderr


def test_a_gunicorn_worker_writes_the_request_line_as_json(tmp_path):
    # A socket file, so there is no port to pick; in a short path (a socket's is limited).
    with tempfile.TemporaryDirectory(prefix="glossary-logs-") as folder:
        address = Path(folder) / "gunicorn.sock"
        errors = Path(folder) / "stderr"
        with errors.open("wb") as stderr:
            server = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
                [sys.executable, "-m", "gunicorn", "glossary_project.wsgi",
                 "--workers", "1", "--bind", f"unix:{address}", "--no-control-socket"],
                cwd=PROJECT_ROOT,
                env=clean_environment(tmp_path, DEBUG="0"),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )  # fmt: skip
            try:
                response = http_over_socket(
                    address,
                    server,
                    b"GET /glossary/?q=ada@example.com HTTP/1.1\r\nHost: elsewhere.example\r\n"
                    b"X-Request-ID: through-gunicorn\r\nConnection: close\r\n\r\n",
                )
            finally:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=10)
        written = errors.read_text()

    assert response.startswith(b"HTTP/1.1 400 ")
    assert b"\r\nX-Request-ID: through-gunicorn\r\n" in response
    # gunicorn's own lines ("Booting worker") keep gunicorn's format; Django's are JSON.
    ours = [json.loads(line) for line in written.splitlines() if line.startswith("{")]
    (request,) = [line for line in ours if line.get("event") == "request"]
    assert (request["request_id"], request["status"]) == ("through-gunicorn", 400)
    assert "ada" not in written


def test_gunicorns_access_log_once_turned_on_holds_no_query_address_browser_or_referer(
    tmp_path,
):
    environment = clean_environment(tmp_path, DEBUG="0", ALLOWED_HOSTS="127.0.0.1")
    with gunicorn(
        environment, workers=1, ready_path="/health/live", args=("--access-logfile", "-")
    ) as server:
        response = server.get(
            "/admin/advisory/inquiry/?q=ada@example.com",
            headers={
                "User-Agent": "Mozilla/5.0 (Ada's laptop)",
                "Referer": "http://127.0.0.1/admin/advisory/inquiry/?q=ada%40example.com",
                "X-Request-ID": "through-the-access-log",
            },
        )
        # gunicorn writes the line once the response is sent.
        written = server.process.wait_until(
            lambda: "through-the-access-log" in (text := server.process.log_text()) and text,
            timeout=10,
            message="gunicorn writing the access line",
        )

    assert response.status == 302  # to the login page
    # The site's own line (JSON) carries the id too; gunicorn's is the other one.
    lines = [line for line in written.splitlines() if "through-the-access-log" in line]
    (access,) = [line for line in lines if not line.startswith("{")]
    assert '"GET /admin/advisory/inquiry/ HTTP/1.1" 302' in access
    for trace in ("ada", "q=", "127.0.0.1", "Mozilla", "laptop"):
        assert trace not in access


def http_over_socket(address: Path, server: subprocess.Popen, request: bytes) -> bytes:
    """Send one request once the server listens; the whole response (it closes after)."""
    deadline = time.monotonic() + 30
    while True:
        if server.poll() is not None:
            pytest.fail(f"gunicorn stopped with {server.returncode}")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection_:
                # The master accepts at once; its worker answers once it has imported
                # Django, which takes well over 5 s on a busy machine.
                connection_.settimeout(60)
                connection_.connect(str(address))
                connection_.sendall(request)
                chunks = []
                while chunk := connection_.recv(65536):
                    chunks.append(chunk)
                return b"".join(chunks)
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                pytest.fail("gunicorn did not listen within 30 seconds")
            time.sleep(0.1)
