"""Processes that tests start: waited for robustly, and stopped with everything they
started, whatever they do with SIGTERM."""

import http.client
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from . import processes
from .processes import (
    PROJECT_ROOT,
    GiveUp,
    ManagedProcess,
    ProcessExited,
    WaitTimeout,
    gunicorn,
    pid_running,
    server_environment,
    wait_until,
    worker,
)

LEAKY_SESSION = "tests/helpers/leaky_session.py"


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def wait_for_output(process: ManagedProcess, text: str) -> None:
    process.wait_until(lambda: text in process.log_text(), timeout=30, message=repr(text))


# wait_until ----------------------------------------------------------------------------


def test_wait_until_retries_every_kind_of_error_and_returns_the_first_true_result():
    outcomes = iter(
        [
            TimeoutError("timed out"),  # a read timeout: what the old loop let through
            ConnectionRefusedError(),
            http.client.BadStatusLine(""),  # not an OSError
            None,
            "up",
        ]
    )

    def predicate():
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert wait_until(predicate, timeout=10, interval=0.01, message="server up") == "up"


def test_wait_until_gives_up_at_the_deadline_naming_the_last_error():
    def predicate():
        raise TimeoutError("timed out")

    started = time.monotonic()
    with pytest.raises(WaitTimeout, match=r"server up: not within 0.3 s.*TimeoutError"):
        wait_until(predicate, timeout=0.3, interval=0.05, message="server up")
    assert 0.3 <= time.monotonic() - started < 2


def test_wait_until_stops_at_once_when_the_predicate_gives_up():
    def predicate():
        raise GiveUp("it crashed")

    started = time.monotonic()
    with pytest.raises(GiveUp, match="it crashed"):
        wait_until(predicate, timeout=30, message="never")
    assert time.monotonic() - started < 1


def test_waiting_for_a_process_that_exits_fails_at_once_with_its_output(tmp_path):
    code = "import sys; print('no configuration found'); sys.exit(3)"
    with ManagedProcess(python(code), name="broken", log_dir=tmp_path) as process:
        started = time.monotonic()
        with pytest.raises(ProcessExited, match=r"(?s)status 3.*no configuration found"):
            process.wait_until(lambda: False, timeout=30, message="never true")
        assert time.monotonic() - started < 10


# Stopping ------------------------------------------------------------------------------


def test_stop_sends_sigterm_then_sigkill_to_a_process_that_ignores_it(tmp_path):
    stubborn = """
        import signal, time
        signal.signal(signal.SIGTERM, lambda *args: print("got SIGTERM, staying", flush=True))
        print("ready", flush=True)
        while True:
            time.sleep(1)
    """
    with ManagedProcess(python(stubborn), name="stubborn", log_dir=tmp_path) as process:
        wait_for_output(process, "ready")
        started = time.monotonic()
        assert process.stop(timeout=0.5) == -signal.SIGKILL
        assert 0.5 <= time.monotonic() - started < 5
    assert "got SIGTERM, staying" in process.log_text()
    assert not pid_running(process.pid)
    assert process not in processes.running()


def test_stop_ends_what_the_process_started_even_after_it_has_exited(tmp_path):
    # The parent exits on SIGTERM; its child ignores SIGTERM and outlives it.
    parent = """
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", '''
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("child ready", flush=True)
        time.sleep(120)
        '''])
        print(f"child {child.pid}", flush=True)
        time.sleep(120)
    """
    with ManagedProcess(python(parent), name="parent", log_dir=tmp_path) as process:
        wait_for_output(process, "child ready")
        child = int(process.log_text().split("child ")[1].split()[0])
        assert process.members() == sorted([process.pid, child])
        process.stop(timeout=0.5)
    assert process.returncode == -signal.SIGTERM
    assert not pid_running(child)


def test_killing_the_process_leaves_its_children_until_stop(tmp_path):
    # What a fault test does to a gunicorn master: its workers are still there after it.
    parent = """
        import subprocess, sys, time
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        print("started", flush=True)
        time.sleep(120)
    """
    with ManagedProcess(python(parent), name="parent", log_dir=tmp_path) as process:
        wait_for_output(process, "started")
        wait_until(lambda: len(process.members()) == 2, timeout=10, message="child running")
        process.kill()
        wait_until(lambda: not process.alive(), timeout=10, message="parent killed")
        (orphan,) = process.members()
        assert pid_running(orphan)
        process.stop()
    assert process.returncode == -signal.SIGKILL
    assert not pid_running(orphan)


def test_stop_is_safe_to_repeat_and_after_the_process_has_exited_by_itself(tmp_path):
    with ManagedProcess(python("print('done')"), name="short", log_dir=tmp_path) as process:
        wait_until(lambda: process.returncode is not None, timeout=30, message="exited")
        assert process.stop() == 0
        assert process.stop() == 0
    assert process.output().endswith("done")
    assert process not in processes.running()


def test_a_process_left_running_is_stopped_at_the_end_of_the_session_which_fails(tmp_path):
    pid_file = tmp_path / "pid"
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", LEAKY_SESSION],
        cwd=PROJECT_ROOT,
        # Its own throwaway database, though it uses none: never the one this run uses.
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            "LEAKY_SESSION_PID_FILE": str(pid_file),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, output
    assert "1 passed" in output
    assert "processes and proxies left running" in output
    pid = int(pid_file.read_text())
    assert f"forgotten (pid {pid}, started by tests/helpers/leaky_session.py::" in output
    assert not pid_running(pid)


# The site's processes ------------------------------------------------------------------


# Committed for real and flushed after: what the child servers write must not outlive the test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_gunicorn_is_up_on_any_status_and_a_killed_worker_is_replaced(tmp_path):
    missing = "/api/v1/terms/no-such-term/"
    with gunicorn(server_environment(), ready_path=missing, log_dir=tmp_path) as site:
        assert site.get(missing).status == 404
        assert site.get("/api/v1/letters/").status == 200
        workers = site.wait_for_workers()
        assert len(workers) == 2

        killed = site.kill_worker()
        assert not pid_running(killed)
        replaced = site.wait_for_workers()
        assert killed in workers and killed not in replaced
        assert site.get("/api/v1/letters/").status == 200
    for pid in [site.master_pid, *replaced]:
        assert not pid_running(pid)


# Committed for real and flushed after: what the child servers write must not outlive the test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_gunicorn_that_cannot_start_fails_at_once_with_its_output(tmp_path):
    started = time.monotonic()
    with (
        pytest.raises(ProcessExited, match=r"(?s)SECRET_KEY.*Worker failed to boot"),
        gunicorn(server_environment(SECRET_KEY=None), log_dir=tmp_path),
    ):
        pass  # never reached: starting fails
    assert time.monotonic() - started < 30
    assert processes.running() == []


# Committed for real and flushed after: what the child servers write must not outlive the test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_task_worker_runs_until_it_is_killed(tmp_path):
    with worker(server_environment(), log_dir=tmp_path) as process:
        assert process.alive()
        process.kill()
        wait_until(lambda: not process.alive(), timeout=10, message="worker killed")
    assert process.returncode == -signal.SIGKILL
