"""A TCP proxy between the site and Redis or PostgreSQL that a test can break on purpose,
without touching the machine's shared servers:

    with TcpProxy("127.0.0.1", 6379) as proxy:
        env = server_environment(CACHE_URL=f"redis://127.0.0.1:{proxy.port}/5")
        proxy.stall()    # connections open, nothing arrives: clients wait for their timeout
        proxy.refuse()   # the port is closed: connecting fails at once, open ones are cut
        proxy.cut()      # open connections are dropped, new ones work
        proxy.forward()  # back to normal, on the same port

The bytes are forwarded as they are, so any protocol works. Every change of mode has
taken effect when the method returns. One thread runs all connections (selectors).
"""

from __future__ import annotations

import contextlib
import queue
import random
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

HOST = "127.0.0.1"
FORWARD, STALL, REFUSE = "forward", "stall", "refuse"
BUFFER_LIMIT = 256 * 1024  # bytes held per direction before the proxy stops reading
CONTROL_TIMEOUT = 10.0  # seconds a mode change may wait for the proxy's thread

_running: list[TcpProxy] = []
_running_lock = threading.Lock()


def stable_port(host: str = HOST) -> int:
    """A free port below the ephemeral range. While a proxy refuses, its port is closed;
    an outgoing connection could be given an ephemeral port, which would then be in use
    when the proxy listens again. Ports below the range are never given out that way."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    candidates = list(range(max(1024, low - 12000), low))
    random.shuffle(candidates)
    for port in candidates[:200]:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise OSError("no free port below the ephemeral range")


def _listen(host: str, port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
        listener.setblocking(False)
    except BaseException:
        listener.close()
        raise
    return listener


def _abort(sock: socket.socket) -> None:
    """Close with a reset (RST), as a failed network or a killed server does; the peer's
    next read or write fails at once."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class _Call:
    """A change of mode asked for by the test, made by the proxy's thread."""

    def __init__(self, change: Callable[[], None]):
        self.change = change
        self.done = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.change()
        except Exception as error:  # e.g. the port taken while refused: the caller's error
            self.error = error
        finally:
            self.done.set()

    def cancel(self) -> None:
        self.error = RuntimeError("the proxy stopped before the change was made")
        self.done.set()


class _Connection:
    """One client connection and its connection to the target."""

    def __init__(self, client: socket.socket):
        self.client = client
        self.upstream: socket.socket | None = None
        self.connecting = False
        self.to_upstream = bytearray()
        self.to_client = bytearray()
        self.client_eof = False  # the client will send nothing more
        self.upstream_eof = False
        self.upstream_shut = False  # we passed the client's end on to the target
        self.client_shut = False

    def sockets(self) -> list[socket.socket]:
        return [self.client] + ([self.upstream] if self.upstream is not None else [])

    def finished(self) -> bool:
        return self.client_shut and self.upstream_shut


class TcpProxy:
    """Listens on `host:port` (by default a free port below the ephemeral range) and
    forwards each connection to `target_host:target_port`.

    Modes, switchable at any time, each in effect when its method returns:
    - `forward()`: normal; listens again on the same port after `refuse()`; connections
      held by `stall()` are connected and resume, with what was sent meanwhile.
    - `stall()`: new connections are accepted and held, existing ones stop moving bytes;
      a client blocks until its own timeout (a network that drops packets).
    - `refuse()`: the port is closed (connecting fails at once) and open connections are
      reset (a server that is down).
    - `cut()`: open connections are reset; new ones are forwarded (a server restart, a
      failover). Leaves the proxy in `forward` mode.
    - `stop()`: closes everything and joins its thread; also on leaving the `with` block.
    """

    def __init__(
        self, target_host: str, target_port: int, *, port: int | None = None, host: str = HOST
    ):
        self.target = (target_host, target_port)
        self.host = host
        self.port = port if port is not None else stable_port(host)
        self.mode = FORWARD
        self.accepted = 0  # connections accepted since start
        self._listener: socket.socket | None = None
        self._connections: list[_Connection] = []
        self._selector: selectors.BaseSelector | None = None
        self._registered: dict[socket.socket, int] = {}
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._failure: BaseException | None = None

    def __repr__(self) -> str:
        return (
            f"<TcpProxy {self.host}:{self.port} -> {self.target[0]}:{self.target[1]} "
            f"{self.mode}, {self.connections} connections>"
        )

    def __enter__(self) -> TcpProxy:
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def connections(self) -> int:
        """Client connections open now."""
        return len(self._connections)

    def start(self) -> TcpProxy:
        if self._thread is not None:
            raise RuntimeError(f"{self!r} was already started")
        self._listener = _listen(self.host, self.port)
        self._selector = selectors.DefaultSelector()
        self._thread = threading.Thread(target=self._run, name=f"tcpproxy-{self.port}", daemon=True)
        self._thread.start()
        with _running_lock:
            _running.append(self)
        return self

    # Modes, applied by the proxy's thread ---------------------------------------------

    def forward(self) -> None:
        self._call(self._forward)

    def stall(self) -> None:
        self._call(self._stall)

    def refuse(self) -> None:
        self._call(self._refuse)

    def cut(self) -> None:
        self._call(self._cut)

    def stop(self) -> None:
        """Close the port and every connection and end the thread. Safe to call again.
        Raises what went wrong inside the proxy, if anything did."""
        if self._thread is not None and self._thread.is_alive():
            self._stopping = True
            self._wake()
            self._thread.join(CONTROL_TIMEOUT)
            if self._thread.is_alive():
                raise RuntimeError(f"{self!r}: its thread did not end")
        self._close_all()
        for sock in (self._wake_reader, self._wake_writer):
            sock.close()
        with _running_lock, contextlib.suppress(ValueError):
            _running.remove(self)
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise RuntimeError(f"{self!r} failed") from failure

    def _call(self, change: Callable[[], None]) -> None:
        """Have the proxy's thread run `change`, and wait until it has."""
        call = _Call(change)
        self._calls.put(call)
        self._wake()
        deadline = time.monotonic() + CONTROL_TIMEOUT
        while not call.done.wait(0.05):
            if self._thread is None or not self._thread.is_alive():
                raise RuntimeError(f"{self!r} is not running") from self._failure
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self!r} did not apply {change.__name__}")
        if call.error is not None:
            raise call.error

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_writer.send(b"\0")

    def _forward(self) -> None:
        self._ensure_listening()
        self.mode = FORWARD
        for connection in list(self._connections):
            if connection.upstream is None:
                self._connect_upstream(connection)

    def _stall(self) -> None:
        self._ensure_listening()
        self.mode = STALL

    def _refuse(self) -> None:
        self.mode = REFUSE
        if self._listener is not None:
            self._unregister(self._listener)
            self._listener.close()
            self._listener = None
        self._drop_connections()

    def _cut(self) -> None:
        self._drop_connections()
        self._forward()

    def _ensure_listening(self) -> None:
        if self._listener is None:
            self._listener = _listen(self.host, self.port)

    # The thread ---------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping:
                self._update_registrations()
                for key, events in self._selector.select(timeout=1.0):
                    self._handle(key.fileobj, events)
                while not self._calls.empty():
                    self._calls.get().run()
        except BaseException as error:  # kept for stop() to raise, not printed by the thread
            self._failure = error
        finally:
            self._close_all()
            while not self._calls.empty():  # a change asked for while stopping is not made
                self._calls.get().cancel()

    def _wanted(self) -> dict[socket.socket, int]:
        read, write = selectors.EVENT_READ, selectors.EVENT_WRITE
        wanted = {self._wake_reader: read}
        if self._listener is not None:
            wanted[self._listener] = read
        if self.mode != FORWARD:
            return wanted
        for connection in self._connections:
            if connection.upstream is None:
                continue
            if connection.connecting:
                wanted[connection.upstream] = write
                continue
            client_events = upstream_events = 0
            if not connection.client_eof and len(connection.to_upstream) < BUFFER_LIMIT:
                client_events |= read
            if connection.to_client:
                client_events |= write
            if not connection.upstream_eof and len(connection.to_client) < BUFFER_LIMIT:
                upstream_events |= read
            if connection.to_upstream:
                upstream_events |= write
            if client_events:
                wanted[connection.client] = client_events
            if upstream_events:
                wanted[connection.upstream] = upstream_events
        return wanted

    def _update_registrations(self) -> None:
        wanted = self._wanted()
        for sock in list(self._registered):
            if sock not in wanted:
                self._unregister(sock)
        for sock, events in wanted.items():
            if sock not in self._registered:
                self._selector.register(sock, events)
            elif self._registered[sock] != events:
                self._selector.modify(sock, events)
            self._registered[sock] = events

    def _unregister(self, sock: socket.socket) -> None:
        if self._registered.pop(sock, None) is not None:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(sock)

    def _handle(self, sock: socket.socket, events: int) -> None:
        if sock is self._wake_reader:
            with contextlib.suppress(BlockingIOError, OSError):
                while self._wake_reader.recv(4096):
                    pass
            return
        if sock is self._listener:
            self._accept()
            return
        connection = self._owner(sock)
        if connection is None:
            return
        try:
            if connection.connecting:
                error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if error:
                    raise ConnectionError(error, "cannot connect to the target")
                connection.connecting = False
                return
            self._pump(connection, sock, events)
        except OSError:
            self._close(connection, abort=True)
            return
        if connection.finished():
            self._close(connection, abort=False)

    def _owner(self, sock: socket.socket) -> _Connection | None:
        for connection in self._connections:
            if sock is connection.client or sock is connection.upstream:
                return connection
        return None

    def _pump(self, connection: _Connection, sock: socket.socket, events: int) -> None:
        from_client = sock is connection.client
        inbox = connection.to_upstream if from_client else connection.to_client
        outbox = connection.to_client if from_client else connection.to_upstream
        if events & selectors.EVENT_READ:
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                data = None
            if data:
                inbox.extend(data)
            elif data is not None and from_client:
                connection.client_eof = True
            elif data is not None:
                connection.upstream_eof = True
        if events & selectors.EVENT_WRITE and outbox:
            try:
                sent = sock.send(outbox)
            except (BlockingIOError, InterruptedError):
                sent = 0
            del outbox[:sent]
        # Pass an end of stream on once everything before it has been delivered.
        if connection.client_eof and not connection.to_upstream and not connection.upstream_shut:
            connection.upstream.shutdown(socket.SHUT_WR)
            connection.upstream_shut = True
        if connection.upstream_eof and not connection.to_client and not connection.client_shut:
            connection.client.shutdown(socket.SHUT_WR)
            connection.client_shut = True

    def _accept(self) -> None:
        while self._listener is not None:
            try:
                client, _address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. the client gave up before it was accepted
                return
            client.setblocking(False)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = _Connection(client)
            self._connections.append(connection)
            self.accepted += 1
            if self.mode == FORWARD:
                self._connect_upstream(connection)

    def _connect_upstream(self, connection: _Connection) -> None:
        upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        upstream.setblocking(False)
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.upstream = upstream
        connection.connecting = True
        try:
            upstream.connect(self.target)
        except BlockingIOError:
            return  # completes when the socket turns writable
        except OSError:
            self._close(connection, abort=True)
            return
        connection.connecting = False

    def _close(self, connection: _Connection, *, abort: bool) -> None:
        with contextlib.suppress(ValueError):
            self._connections.remove(connection)
        for sock in connection.sockets():
            self._unregister(sock)
            if abort:
                _abort(sock)
            else:
                sock.close()

    def _drop_connections(self) -> None:
        for connection in list(self._connections):
            self._close(connection, abort=True)

    def _close_all(self) -> None:
        self._drop_connections()
        if self._listener is not None:
            self._unregister(self._listener)
            self._listener.close()
            self._listener = None
        if self._selector is not None and not (self._thread and self._thread.is_alive()):
            self._selector.close()
            self._selector = None


def running() -> list[TcpProxy]:
    """Proxies started and not stopped."""
    with _running_lock:
        return list(_running)


def stop_leftovers() -> list[str]:
    """Stop every proxy not stopped; return a description of each."""
    leftovers = []
    for proxy in running():
        leftovers.append(repr(proxy))
        with contextlib.suppress(Exception):
            proxy.stop()
    return leftovers
