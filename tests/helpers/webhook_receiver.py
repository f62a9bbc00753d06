"""A real HTTP server that receives webhooks in a test (http.server in threads on
127.0.0.1), answering each request as the test scripted: a status (with headers and a
body), or a stall longer than the sender waits. Always stopped, stalls let go first.

    with webhook_receiver() as receiver:
        receiver.answer(500, 200)           # the first request gets 500, then 200s
        ...
        [first, second] = receiver.received
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STALL = "stall"
STALL_AT_MOST_SECONDS = 30  # a stall the test forgets to end fails it instead of hanging


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b"ok"
    drip: float = 0  # seconds before each byte of the body: a server that answers slowly


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


class Receiver:
    """Records every POST (``received``) and answers as scripted (``answer``)."""

    def __init__(self):
        self.received: list[Received] = []
        self._script: list = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.arrived = threading.Event()  # set by each request as it arrives
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    def answer(self, *replies) -> None:
        """The next requests' answers, in order: a status, a Reply, or STALL (no answer
        until the test ends or calls ``release``); after them, 200."""
        with self._lock:
            self._script = [Reply(r) if isinstance(r, int) else r for r in replies]

    def release(self) -> None:
        self._released.set()

    def _next(self):
        with self._lock:
            return self._script.pop(0) if self._script else Reply()

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver._lock:
                    receiver.received.append(Received(self.path, headers, body))
                receiver.arrived.set()
                reply = receiver._next()
                if reply == STALL:
                    receiver._released.wait(STALL_AT_MOST_SECONDS)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if not reply.drip:
                    self.wfile.write(reply.body)
                    return
                for byte in reply.body:
                    if receiver._released.wait(reply.drip):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()

            def log_message(self, format, *args):
                pass

        return Handler


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    receiver.server.daemon_threads = True
    thread = threading.Thread(target=receiver.server.serve_forever, name="webhook-receiver")
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()
        receiver.server.shutdown()
        receiver.server.server_close()
        thread.join(timeout=10)
