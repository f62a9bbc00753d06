"""The TCP proxy that fault tests put between the site and Redis or PostgreSQL: each mode
as a plain socket sees it (through an echo server), as redis-py sees it (the machine's
Redis) and as psycopg sees it (PostgreSQL, in the PostgreSQL run)."""

import os
import socket
import socketserver
import threading
import time
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
from django.db import connection
from redis.backoff import NoBackoff
from redis.retry import Retry

from . import tcpproxy
from .processes import free_port
from .tcpproxy import TcpProxy

SHORT = 0.3  # seconds a client waits for bytes that a stalled proxy holds back


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(10)
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), EchoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_address
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def proxy(echo_server):
    with TcpProxy(*echo_server) as proxy:
        yield proxy


def connect(proxy: TcpProxy, timeout: float = 5) -> socket.socket:
    return socket.create_connection(proxy.address, timeout=timeout)


def echo(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    return receive(sock, len(data))


def receive(sock: socket.socket, size: int) -> bytes:
    received = bytearray()
    while len(received) < size:
        chunk = sock.recv(size - len(received))
        if not chunk:
            break
        received.extend(chunk)
    return bytes(received)


def test_bytes_go_both_ways_unchanged_even_more_than_the_buffers_hold(proxy):
    data = os.urandom(3 * 1024 * 1024)
    with connect(proxy) as sock:
        sender = threading.Thread(target=sock.sendall, args=(data,))
        sender.start()
        assert receive(sock, len(data)) == data
        sender.join()
    assert proxy.accepted == 1


def test_an_end_of_stream_is_passed_on_after_the_bytes_before_it(proxy):
    with connect(proxy) as sock:
        sock.sendall(b"last words")
        sock.shutdown(socket.SHUT_WR)  # the echo server sees it, answers and closes
        assert receive(sock, 100) == b"last words"
        assert sock.recv(100) == b""


def test_stalling_holds_an_open_connection_and_forwarding_delivers_what_was_held(proxy):
    with connect(proxy) as sock:
        assert echo(sock, b"before") == b"before"
        proxy.stall()
        sock.sendall(b"during")
        sock.settimeout(SHORT)
        with pytest.raises(TimeoutError):
            sock.recv(100)
        proxy.forward()
        sock.settimeout(5)
        assert receive(sock, 6) == b"during"


def test_a_connection_made_while_stalled_is_accepted_and_held_until_forwarding(proxy):
    proxy.stall()
    with connect(proxy) as sock:
        sock.sendall(b"hello")
        sock.settimeout(SHORT)
        with pytest.raises(TimeoutError):
            sock.recv(100)
        proxy.forward()
        sock.settimeout(5)
        assert receive(sock, 5) == b"hello"


def test_refusing_closes_the_port_and_resets_open_connections(proxy):
    with connect(proxy) as sock:
        assert echo(sock, b"ping") == b"ping"
        proxy.refuse()
        with pytest.raises(ConnectionResetError):
            sock.recv(100)
    with pytest.raises(ConnectionRefusedError):
        connect(proxy)
    assert proxy.connections == 0


def test_forwarding_after_refusing_listens_again_on_the_same_port(proxy):
    port = proxy.port
    proxy.refuse()
    proxy.forward()
    assert proxy.port == port
    with connect(proxy) as sock:
        assert echo(sock, b"back") == b"back"


def test_cutting_resets_open_connections_and_forwards_new_ones(proxy):
    with connect(proxy) as first, connect(proxy) as second:
        assert echo(first, b"1") == b"1"
        assert echo(second, b"2") == b"2"
        assert proxy.connections == 2
        proxy.cut()
        assert proxy.connections == 0
        for sock in (first, second):
            with pytest.raises(ConnectionResetError):
                sock.recv(100)
    with connect(proxy) as sock:
        assert echo(sock, b"new") == b"new"
    assert proxy.mode == "forward"


def test_cutting_a_stalled_proxy_forwards_again():
    with TcpProxy("127.0.0.1", free_port()) as proxy:
        proxy.stall()
        proxy.cut()
        assert proxy.mode == "forward"


def test_a_client_of_a_target_that_is_down_is_reset_at_once():
    # The proxy accepts; connecting onwards fails, so it resets the client: while the
    # client's connect() returns (on a busy machine) or at its first read.
    with (
        TcpProxy("127.0.0.1", free_port()) as proxy,
        pytest.raises(ConnectionResetError),
        connect(proxy) as sock,
    ):
        sock.recv(100)


def test_stopping_closes_the_port_and_ends_the_thread(echo_server):
    proxy = TcpProxy(*echo_server).start()
    sock = connect(proxy)
    assert echo(sock, b"x") == b"x"
    assert proxy in tcpproxy.running()

    proxy.stop()

    with pytest.raises(ConnectionResetError):
        sock.recv(100)
    sock.close()
    with pytest.raises(ConnectionRefusedError):
        connect(proxy)
    assert f"tcpproxy-{proxy.port}" not in [thread.name for thread in threading.enumerate()]
    assert proxy not in tcpproxy.running()
    proxy.stop()  # again: nothing to do
    with pytest.raises(RuntimeError, match="not running"):
        proxy.forward()


# Redis ---------------------------------------------------------------------------------

TIMEOUT = 1.0  # redis-py's socket timeouts, seconds


@pytest.fixture
def redis_proxy(redis_url):
    address = urlsplit(redis_url)
    with TcpProxy(address.hostname, address.port) as proxy:
        yield proxy


@pytest.fixture
def redis_client(redis_proxy, redis_url):
    """Makes clients through the proxy that do not retry, so that each failure shows."""
    clients = []

    def make(timeout: float = TIMEOUT) -> redis.Redis:
        client = redis.Redis(
            host=redis_proxy.host,
            port=redis_proxy.port,
            db=int(urlsplit(redis_url).path.strip("/")),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_redis_answers_through_the_proxy(redis_client):
    client = redis_client()
    assert client.ping() is True
    payload = os.urandom(1024 * 1024)
    assert client.echo(payload) == payload


def test_redis_refused_fails_at_once_with_a_connection_error(redis_proxy, redis_client):
    client = redis_client(timeout=5)
    assert client.ping()
    redis_proxy.refuse()
    started = time.monotonic()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    with pytest.raises(redis.ConnectionError):
        redis_client(timeout=5).ping()
    assert time.monotonic() - started < 2  # not the 5 s of a timeout


@pytest.mark.parametrize("connection_opened", ["before", "after"])
def test_redis_stalled_times_out_when_the_clients_timeout_ends(
    redis_proxy, redis_client, connection_opened
):
    client = redis_client()
    if connection_opened == "before":
        assert client.ping()
    redis_proxy.stall()
    started = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        client.ping()
    assert TIMEOUT * 0.9 <= time.monotonic() - started < TIMEOUT + 2


def test_redis_cut_drops_a_command_in_flight(redis_proxy, redis_client):
    client = redis_client(timeout=10)
    cutter = threading.Timer(0.3, redis_proxy.cut)
    started = time.monotonic()
    cutter.start()
    try:
        with pytest.raises(redis.ConnectionError):
            client.blpop(["tests:tcpproxy:never-pushed"], timeout=5)  # waits 5 s uncut
    finally:
        cutter.join()
    assert time.monotonic() - started < 3
    assert client.ping()  # a new connection is forwarded


def test_redis_works_again_on_the_same_port_after_refusing(redis_proxy, redis_client):
    redis_proxy.refuse()
    with pytest.raises(redis.ConnectionError):
        redis_client().ping()
    redis_proxy.forward()
    assert redis_client().ping()


# PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture
def postgres_proxy(db):
    database = connection.settings_dict
    with TcpProxy(database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)) as proxy:
        yield proxy


def postgres_connect(proxy: TcpProxy, connect_timeout: int = 5) -> psycopg.Connection:
    database = connection.settings_dict
    return psycopg.connect(
        host=proxy.host,
        port=proxy.port,
        dbname=database["NAME"],
        user=database["USER"],
        password=database["PASSWORD"] or None,
        connect_timeout=connect_timeout,
    )


@pytest.mark.postgres
def test_postgres_answers_through_the_proxy_until_the_connection_is_cut(postgres_proxy):
    with postgres_connect(postgres_proxy) as client:
        assert client.execute("SELECT 1").fetchone() == (1,)
        postgres_proxy.cut()
        with pytest.raises(psycopg.OperationalError):
            client.execute("SELECT 1")
    with postgres_connect(postgres_proxy) as client:
        assert client.execute("SELECT 2").fetchone() == (2,)


@pytest.mark.postgres
def test_postgres_refused_fails_at_once_and_stalled_at_the_connect_timeout(postgres_proxy):
    postgres_proxy.refuse()
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        postgres_connect(postgres_proxy)
    assert time.monotonic() - started < 2

    postgres_proxy.stall()
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        postgres_connect(postgres_proxy, connect_timeout=2)  # libpq's smallest timeout
    assert 1.8 <= time.monotonic() - started < 5
