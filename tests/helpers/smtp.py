"""A real SMTP server for tests (aiosmtpd on 127.0.0.1), and Django's mail settings
pointed at it.

The server keeps what it accepts; it can refuse chosen recipients with a chosen reply
code (550: permanent, 451: try later), and hold a message at DATA until the test
releases it, to catch the sender in the middle of a conversation. Whatever happens in
the test, the server is stopped (and a held message let go first).
"""

import asyncio
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from .processes import free_port

# A held message is let go after this long even if the test never releases it, so a
# forgotten release fails the test instead of hanging it.
HOLD_AT_MOST_SECONDS = 30
REPLIES = {
    550: "550 5.1.1 Mailbox unavailable",
    451: "451 4.3.0 Temporary failure, try again later",
}


def send_through_smtp(settings, port: int, *, timeout: int = 5) -> None:
    """Django's mail goes to the SMTP server on 127.0.0.1:port (pytest-django's settings)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = timeout


class Mailbox:
    """The server's handler: what it accepted, in order, with the envelope's recipients.

    ``refuse`` maps an address to the reply code its RCPT gets (an iterable of addresses
    means 550 each); change ``refused`` at any time. A message to any address in ``hold``
    waits at DATA until ``release()``.
    """

    def __init__(
        self,
        refuse: Mapping[str, int] | Iterable[str] = (),
        hold: Iterable[str] = (),
    ):
        self.refused: dict[str, int] = (
            dict(refuse) if isinstance(refuse, Mapping) else dict.fromkeys(refuse, 550)
        )
        self.held_for = set(hold)
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.port: int | None = None  # set by smtp_server
        self._holding = threading.Event()
        self._released = threading.Event()
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.refused.get(address)
        if code:
            return REPLIES.get(code, f"{code} Refused")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.held_for & set(envelope.rcpt_tos):
            self._holding.set()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self._released.wait, HOLD_AT_MOST_SECONDS)
        with self._lock:
            # The modern policy: headers unfolded, as a mail program shows them.
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def wait_until_holding(self, timeout: float = 10) -> None:
        """Return once a message is held at DATA; fail the test after ``timeout`` seconds."""
        if not self._holding.wait(timeout):
            raise AssertionError(f"no message reached DATA within {timeout} s")

    def release(self) -> None:
        self._released.set()

    def sent_to(self, recipients: list[str]) -> list[EmailMessage]:
        """The accepted messages whose envelope had exactly these recipients."""
        with self._lock:
            return [message for to, message in self.messages if sorted(to) == sorted(recipients)]


@contextmanager
def smtp_server(port: int | None = None, mailbox: Mailbox | None = None) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1:port (a free one by default) while the block runs."""
    mailbox = mailbox if mailbox is not None else Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()  # returns once the server answers
    mailbox.port = controller.port
    try:
        yield mailbox
    finally:
        mailbox.release()
        controller.stop()
