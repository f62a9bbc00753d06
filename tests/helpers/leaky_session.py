"""A test that leaves a process running, on purpose. Not collected with the suite (no
`test_` prefix): tests/helpers/test_processes.py runs it in a pytest session of its own to
see the end of that session stop the process and fail the run."""

import os
import sys
from pathlib import Path

from .processes import ManagedProcess


def test_that_forgets_to_stop_what_it_started():
    pid_file = Path(os.environ["LEAKY_SESSION_PID_FILE"])
    process = ManagedProcess(
        [sys.executable, "-c", "import time; time.sleep(120)"],
        name="forgotten",
        log_dir=pid_file.parent,
    ).start()
    pid_file.write_text(str(process.pid))
