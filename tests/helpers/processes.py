"""Processes a test starts (gunicorn, the task worker, anything else): each in its own
session, its output in a log file, waited for until it answers and always stopped, the
whole process group, whatever happens to the test.

    with gunicorn(server_environment(CACHE_URL=url), log_dir=tmp_path) as site:
        assert site.get("/api/v1/letters/").status == 200
        site.kill_worker()

Every started process is kept in a registry until it has been stopped; the session-end
hook in tests/conftest.py stops what is still running there and fails the run. Linux
only: process groups, sessions and children are read from /proc.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "processes"
HOST = "127.0.0.1"
START_TIMEOUT = 60.0  # seconds; a busy machine takes several to import Django
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
KILL_TIMEOUT = 5.0  # seconds a SIGKILLed group may take to disappear

T = TypeVar("T")


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on now. Another process may take it before you bind it;
    where that matters, bind first and pass the socket (as `gunicorn()` does)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


# Waiting -------------------------------------------------------------------------------


class WaitTimeout(AssertionError):
    """What was waited for did not happen in time."""


class GiveUp(Exception):
    """Raised by a predicate to stop `wait_until` at once (the awaited thing cannot happen)."""


class ProcessExited(GiveUp):
    """The process being waited for has exited."""


def wait_until(
    predicate: Callable[[], T], *, timeout: float, message: str, interval: float = 0.1
) -> T:
    """Call `predicate` until it returns something true, and return that. Any exception it
    raises (a refused connection, a read timeout, a bad status line) counts as "not yet",
    except `GiveUp`, which is raised at once. After `timeout` seconds in all, raise
    `WaitTimeout` with `message` and the last exception or result."""
    deadline = time.monotonic() + timeout
    while True:
        error: Exception | None = None
        try:
            result = predicate()
        except GiveUp:
            raise
        except Exception as exc:
            error = exc
        else:
            if result:
                return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            last = f"last error: {error!r}" if error is not None else f"last result: {result!r}"
            raise WaitTimeout(f"{message}: not within {timeout:g} s ({last})") from error
        time.sleep(min(interval, remaining))


# The process table ---------------------------------------------------------------------


class ProcessInfo(NamedTuple):
    pid: int
    state: str  # R, S, D, Z (zombie), ...
    ppid: int
    pgrp: int
    session: int
    start_time: int  # clock ticks after boot: tells a reused pid from the original


def _read_stat(pid: int) -> ProcessInfo | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself contain spaces and parentheses.
    fields = stat[stat.rindex(")") + 2 :].split()
    return ProcessInfo(
        pid, fields[0], int(fields[1]), int(fields[2]), int(fields[3]), int(fields[19])
    )


def process_table() -> list[ProcessInfo]:
    """Every process on the machine that is still running (zombies left out)."""
    table = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        info = _read_stat(int(entry.name))
        if info is not None and info.state not in ("Z", "X"):
            table.append(info)
    return table


def children_of(pid: int) -> list[int]:
    """The pids of the running children of `pid`, in pid order."""
    return sorted(info.pid for info in process_table() if info.ppid == pid)


def pid_running(pid: int) -> bool:
    """Whether `pid` names a process that has not exited (a zombie has)."""
    info = _read_stat(pid)
    return info is not None and info.state not in ("Z", "X")


# Managed processes ---------------------------------------------------------------------

_registry: list[ManagedProcess] = []
_registry_lock = threading.Lock()
_log_numbers = itertools.count(1)


class ManagedProcess:
    """A child process in its own session (so its own process group), with stdout and
    stderr in a log file. Use it as a context manager, or call `start()` and `stop()`.

    `stop()` signals the whole session: the process and everything it started (gunicorn's
    workers, a shell's children), SIGTERM first, SIGKILL after `stop_timeout` seconds.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        name: str | None = None,
        cwd: Path = PROJECT_ROOT,
        log_dir: Path | None = None,
        pass_fds: Sequence[int] = (),
        stop_timeout: float = STOP_TIMEOUT,
    ):
        self.command = [str(part) for part in command]
        self.name = name or Path(self.command[0]).name
        self.env = {**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"}
        self.cwd = cwd
        log_dir = Path(log_dir) if log_dir is not None else ARTIFACTS
        self.log_path = log_dir / f"{self.name}-{os.getpid()}-{next(_log_numbers)}.log"
        self.pass_fds = tuple(pass_fds)
        self.stop_timeout = stop_timeout
        self.started_by = os.environ.get("PYTEST_CURRENT_TEST", "")
        self._popen: subprocess.Popen | None = None
        self._start_time: int | None = None
        self._gone = False  # the whole session has exited; never signal it again

    def __repr__(self) -> str:
        if self._popen is None:
            return f"<ManagedProcess {self.name} not started>"
        state = "running" if self.alive() else f"exited {self._popen.returncode}"
        return f"<ManagedProcess {self.name} pid={self.pid} {state}>"

    def __enter__(self) -> ManagedProcess:
        if self._popen is None:
            self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> ManagedProcess:
        if self._popen is not None:
            raise RuntimeError(f"{self!r} was already started")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self._popen = subprocess.Popen(  # noqa: S603 - the tests' own commands
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=self.pass_fds,
            )
        with _registry_lock:
            _registry.append(self)
        info = _read_stat(self._popen.pid)
        self._start_time = info.start_time if info else None
        return self

    @property
    def pid(self) -> int:
        if self._popen is None:
            raise RuntimeError(f"{self!r} has no pid")
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        """None while it runs; the exit status, or minus the signal that ended it."""
        return None if self._popen is None else self._popen.poll()

    def alive(self) -> bool:
        """Whether the process itself (not what it started) is still running."""
        return self._popen is not None and self._popen.poll() is None

    def members(self) -> list[int]:
        """The pids still running in its session: itself and whatever it started."""
        return sorted(info.pid for info in self._members())

    def _members(self) -> list[ProcessInfo]:
        if self._popen is None or self._gone:
            return []
        self._popen.poll()  # reap it if it has exited, so it does not count as a zombie
        table = process_table()
        for info in table:
            if info.pid == self.pid and self._start_time not in (None, info.start_time):
                # The pid was freed and reused, so the session it led has ended.
                self._gone = True
                return []
        members = [info for info in table if info.session == self.pid]
        if not members:
            self._gone = True
        return members

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the process itself only (SIGKILL by default), as a crash would."""
        if self.alive():
            self._popen.send_signal(sig)

    def signal_all(self, sig: int) -> None:
        """Send `sig` to every running process of its session."""
        members = self._members()
        if not members:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)
        for info in members:
            if info.pgrp != self.pid:  # one that moved to a process group of its own
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(info.pid, sig)

    def stop(self, timeout: float | None = None) -> int | None:
        """Stop the process and everything it started: SIGTERM to all of them, then
        SIGKILL to whatever still runs after `timeout` seconds (by default `stop_timeout`).
        Safe to call again, or after the process has exited by itself. Returns the
        process's exit status."""
        if self._popen is None:
            return None
        timeout = self.stop_timeout if timeout is None else timeout
        if self.members():
            self.signal_all(signal.SIGTERM)
            if not self._wait_gone(timeout):
                self.signal_all(signal.SIGKILL)
                if not self._wait_gone(KILL_TIMEOUT):
                    raise RuntimeError(f"{self!r}: {self.members()} survived SIGKILL")
        self._popen.wait()
        _unregister(self)
        return self._popen.returncode

    def _wait_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.members():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def log_text(self) -> str:
        """Everything it has written to stdout and stderr so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def output(self, lines: int = 40) -> str:
        """The last `lines` lines of its output, headed by what it is, for failure messages."""
        tail = "\n".join(self.log_text().splitlines()[-lines:])
        return f"--- {self.name} (pid {self.pid}), last {lines} lines of {self.log_path}:\n{tail}"

    def check_running(self) -> None:
        """Raise ProcessExited (with its output) if the process has exited."""
        if not self.alive():
            raise ProcessExited(
                f"{self.name} exited with status {self.returncode}\n{self.output()}"
            )

    def wait_until(
        self,
        predicate: Callable[[], T],
        *,
        timeout: float = START_TIMEOUT,
        message: str,
        interval: float = 0.1,
    ) -> T:
        """`wait_until` that fails at once if the process exits, and shows its output."""

        def attempt() -> T:
            self.check_running()
            return predicate()

        try:
            return wait_until(attempt, timeout=timeout, message=message, interval=interval)
        except WaitTimeout as timed_out:
            raise WaitTimeout(f"{timed_out}\n{self.output()}") from timed_out.__cause__

    def describe(self) -> str:
        started_by = f", started by {self.started_by}" if self.started_by else ""
        return f"{self.name} (pid {self.pid}{started_by}): {' '.join(self.command)}"


def _unregister(process: ManagedProcess) -> None:
    with _registry_lock, contextlib.suppress(ValueError):
        _registry.remove(process)


def running() -> list[ManagedProcess]:
    """Started processes not stopped yet, whose session still has a running process."""
    with _registry_lock:
        registered = list(_registry)
    return [process for process in registered if process.members()]


def stop_leftovers() -> list[str]:
    """Stop every process started here and not stopped (with SIGKILL after 2 s); return a
    description of each that was still running."""
    with _registry_lock:
        registered = list(_registry)
    leftovers = []
    for process in registered:
        if process.members():
            leftovers.append(f"{process.describe()}\n    log: {process.log_path}")
        with contextlib.suppress(Exception):  # one that will not die must not hide the others
            process.stop(timeout=2)
    return leftovers


atexit.register(stop_leftovers)  # outside pytest too, e.g. a helper used from a script


# The site's processes ------------------------------------------------------------------


def database_url() -> str:
    """The DATABASE_URL of the test database this test process uses, for a child server.
    The child only sees committed rows: use it in transactional tests."""
    from django.db import connection

    database = connection.settings_dict
    name = database["NAME"]
    if connection.vendor == "postgresql":
        if not name.startswith("test_"):
            raise RuntimeError(f"{name!r} is not a test database: the test needs the db fixture")
        user = quote(database["USER"] or "", safe="")
        if database["PASSWORD"]:
            user += ":" + quote(database["PASSWORD"], safe="")
        host = database["HOST"] or HOST
        port = database["PORT"] or 5432
        return f"postgres://{user}@{host}:{port}/{quote(name, safe='')}"
    if connection.vendor == "sqlite":
        if name != database["TEST"]["NAME"] or str(name).startswith(("file:", ":memory:")):
            raise RuntimeError(
                f"{name!r} is not the test database file: the test needs the db fixture"
            )
        return f"sqlite:///{name}"
    raise RuntimeError(f"no DATABASE_URL for a {connection.vendor} database")


def server_environment(**overrides: str | None) -> dict[str, str]:
    """The environment of a production-like child server on the current test database:
    DEBUG off, a secret key, 127.0.0.1 allowed, no HTTPS redirect, then `overrides`
    (`CACHE_URL="redis://…"`); an override of None removes that variable."""
    environment = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "tests-only-not-secret",
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url(),
    }
    for name, value in overrides.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = str(value)
    return environment


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Gunicorn:
    """A running gunicorn: `process` is its master."""

    process: ManagedProcess
    port: int
    workers: int

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def master_pid(self) -> int:
        return self.process.pid

    def url(self, path: str) -> str:
        return self.base_url + path

    def get(
        self, path: str, *, timeout: float = 30.0, headers: Mapping[str, str] | None = None
    ) -> Response:
        """GET `path` on a fresh connection; any status is returned, none raises."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request("GET", path, headers=dict(headers or {}))
            response = connection.getresponse()
            headers = {name.lower(): value for name, value in response.getheaders()}
            return Response(response.status, headers, response.read())
        finally:
            connection.close()

    def worker_pids(self) -> list[int]:
        """The master's running children: its workers."""
        return children_of(self.master_pid)

    def kill_worker(self, sig: int = signal.SIGKILL, *, wait: bool = True) -> int:
        """Send `sig` to one worker (SIGKILL: it dies mid-request) and, with `wait`, wait
        until it has died; return its pid. The master starts a new worker in its place
        (see `wait_for_workers`)."""
        pids = self.worker_pids()
        if not pids:
            raise RuntimeError(f"gunicorn {self.master_pid} has no worker\n{self.process.output()}")
        os.kill(pids[0], sig)
        if wait:
            wait_until(
                lambda: not pid_running(pids[0]),
                timeout=STOP_TIMEOUT,
                message=f"gunicorn worker {pids[0]} ending on signal {sig}",
            )
        return pids[0]

    def wait_for_workers(self, count: int | None = None, *, timeout: float = START_TIMEOUT):
        """Wait until the master has `count` workers (by default as many as it was started
        with) and return their pids."""
        count = self.workers if count is None else count
        return self.process.wait_until(
            lambda: (pids := self.worker_pids()) and len(pids) == count and pids,
            timeout=timeout,
            message=f"gunicorn {self.master_pid} running {count} workers",
        )


@contextmanager
def gunicorn(
    env: Mapping[str, str],
    *,
    workers: int = 2,
    ready_path: str = "/api/v1/letters/",
    timeout: float = START_TIMEOUT,
    log_dir: Path | None = None,
    args: Sequence[str] = (),
    stop_timeout: float = STOP_TIMEOUT,
) -> Iterator[Gunicorn]:
    """Serve the site with gunicorn (`workers` sync workers) on 127.0.0.1 and a free port
    with environment `env`; yield once GET `ready_path` answers with any status; stop the
    master and its workers on exit (SIGKILL after `stop_timeout` seconds: workers stuck on
    a stalled connection do not end on SIGTERM). `args` go to gunicorn, e.g.
    `("--timeout", "5")` for the master to kill a worker stuck that long."""
    # Bound here and handed over, so no other process can take the port in between.
    listener = socket.create_server((HOST, 0), backlog=128)
    command = [
        sys.executable, "-m", "gunicorn",
        "--bind", f"fd://{listener.fileno()}",
        "--workers", str(workers),
        "--log-level", "info",
        "--no-control-socket",  # else every gunicorn shares ~/.gunicorn/gunicorn.ctl
        *args,
        "glossary_project.wsgi",
    ]  # fmt: skip
    with (
        listener,
        ManagedProcess(
            command,
            env=env,
            name="gunicorn",
            log_dir=log_dir,
            pass_fds=[listener.fileno()],
            stop_timeout=stop_timeout,
        ) as process,
    ):
        port = listener.getsockname()[1]
        listener.close()  # the server has its own copy
        site = Gunicorn(process, port, workers)
        process.wait_until(
            lambda: site.get(ready_path, timeout=5),
            timeout=timeout,
            message=f"gunicorn answering GET {ready_path} on port {port}",
        )
        yield site


@contextmanager
def worker(
    env: Mapping[str, str],
    *,
    timeout: float = START_TIMEOUT,
    log_dir: Path | None = None,
    args: Sequence[str] = (),
    stop_timeout: float = STOP_TIMEOUT,
) -> Iterator[ManagedProcess]:
    """Run `manage.py db_worker` (polling every 0.2 s, no reloader) with environment `env`;
    yield once it has started its loop; stop it on exit. `kill()` it to simulate a crash."""
    command = [
        sys.executable, "manage.py", "db_worker",
        "--no-reload", "--interval", "0.2", "--no-startup-delay", "--verbosity", "1",
        *args,
    ]  # fmt: skip
    with ManagedProcess(
        command, env=env, name="db_worker", log_dir=log_dir, stop_timeout=stop_timeout
    ) as process:
        process.wait_until(
            lambda: "Starting worker" in process.log_text(),
            timeout=timeout,
            message="db_worker logging 'Starting worker'",
        )
        yield process


VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"


@dataclass
class Varnish:
    """A running varnishd: `process` is its manager."""

    process: ManagedProcess
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def get(
        self, path: str, *, timeout: float = 30.0, headers: Mapping[str, str] | None = None
    ) -> Response:
        """GET `path` through Varnish on a fresh connection; any status is returned."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request("GET", path, headers=dict(headers or {}))
            response = connection.getresponse()
            headers = {name.lower(): value for name, value in response.getheaders()}
            return Response(response.status, headers, response.read())
        finally:
            connection.close()


@contextmanager
def varnish(
    vcl: str,
    *,
    work_dir: Path,
    timeout: float = START_TIMEOUT,
    log_dir: Path | None = None,
) -> Iterator[Varnish]:
    """Run varnishd in the foreground with the VCL text `vcl` on 127.0.0.1 and a free
    port, its state in `work_dir` (-n), 32 MB of memory storage, no management port and
    no privilege separation (-j none: the test's own user); yield once it answers."""
    work_dir.mkdir(parents=True, exist_ok=True)
    vcl_path = work_dir / "glossary.vcl"
    vcl_path.write_text(vcl)
    port = free_port()
    command = [
        VARNISHD, "-F", "-j", "none",
        "-n", str(work_dir / "state"),
        "-a", f"{HOST}:{port}",
        "-f", str(vcl_path),
        "-s", "malloc,32m",
        "-T", "none",
    ]  # fmt: skip
    with ManagedProcess(command, name="varnishd", log_dir=log_dir) as process:
        site = Varnish(process, port)
        process.wait_until(
            lambda: site.get("/health/live", timeout=5),
            timeout=timeout,
            message=f"varnishd answering on port {port}",
        )
        yield site
