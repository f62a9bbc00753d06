"""A local HTTP server standing in for a third-party API (Cloudflare's, Fastly's) or any
other service a test calls: it records every request and answers each with what the
test told it to, in a thread of the test process, stopped when the block ends.

    with StandIn() as api:
        api.answers = [(500, b"{}")]        # then the default answer
        ...
        [request] = api.requests
        assert request.method == "POST" and request.json() == {...}
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .processes import HOST


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class StandIn:
    def __init__(self, default: tuple[int, bytes] = (200, b'{"success": true}')):
        self.default = default
        self.answers: list[tuple[int, bytes]] = []  # answered first, in order
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((HOST, 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, recorded: Recorded) -> tuple[int, bytes]:
        with self._lock:
            self.requests.append(recorded)
            return self.answers.pop(0) if self.answers else self.default

    def _handler(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer = stand_in._answer(
                    Recorded(
                        self.command,
                        self.path,
                        {name.lower(): value for name, value in self.headers.items()},
                        body,
                    )
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PURGE = _any

            def log_message(self, format, *args):
                pass

        return Handler
