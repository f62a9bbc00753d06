"""Running the background worker inside a test."""

import signal
from io import StringIO

from django.core.management import call_command

WORKER_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]


def run_worker(verbosity: int = 1) -> None:
    """Run every task that is due, as `manage.py db_worker --batch` does, then return.

    The worker opens and closes database connections of its own: use it in transactional
    tests."""
    handlers = {number: signal.getsignal(number) for number in WORKER_SIGNALS}
    try:
        call_command(
            "db_worker",
            batch=True,
            reload=False,
            startup_delay=False,
            verbosity=verbosity,
            stdout=StringIO(),
        )
    finally:
        # The worker takes over Ctrl-C; give it back to pytest.
        for number, handler in handlers.items():
            signal.signal(number, handler)
