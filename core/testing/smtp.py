"""A real SMTP server for tests: aiosmtpd on a free port, recording what it accepts."""

import email
import email.policy
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from core.testing.broker import free_port

# aiosmtpd logs every SMTP command at INFO: noise in a failing test's output.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Received:
    """One message the server accepted: its envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]

    def sender(self) -> tuple[str, str]:
        """The From header's display name and address, decoded as RFC 2047 says: whitespace
        between adjacent encoded words is dropped (Python's default policy keeps it when it
        parses an address header, so a long non-ASCII name would read with spaces in it)."""
        raw = " ".join(dict(self.message.raw_items())["From"].split())
        name, _, address = raw.rpartition(" <")
        name = str(make_header(decode_header(name)))
        if name.startswith('"') and name.endswith('"'):
            name = re.sub(r"\\(.)", r"\1", name[1:-1])
        return name, address.removesuffix(">")

    def part(self, content_type: str) -> str:
        body = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert body is not None and body.get_content_type() == content_type, content_type
        return str(body.get_content())


@dataclass
class _Recorder:
    messages: list[Received]
    # address -> SMTP reply refusing it at RCPT ("550 ...") or at DATA ("421 ..." closes).
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    refuse_data: dict[str, str] = field(default_factory=dict)
    # Every address refused at RCPT, in order: what a test waits on to know a try was made.
    refused: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse_rcpt:
            self.refused.append(address)
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for address in envelope.rcpt_tos:
            if address in self.refuse_data:
                return self.refuse_data[address]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), message)  # type: ignore[arg-type]
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1, a port of its own. `stop()` closes the port (a mail server that
    is down), `start()` opens it again on the same port. `refuse_rcpt` / `refuse_data` make
    it answer an address with an error reply instead of accepting it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Received] = []
        self.refuse_rcpt: dict[str, str] = {}
        self.refuse_data: dict[str, str] = {}
        self.refused: list[str] = []
        self._controller: Controller | None = None

    def start(self) -> None:
        handler = _Recorder(self.messages, self.refuse_rcpt, self.refuse_data, self.refused)
        self._controller = Controller(handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def bounce(self, address: str) -> None:
        """Refuse `address` for good, as a server does a mailbox that does not exist."""
        self.refuse_rcpt[address] = f"550 5.1.1 <{address}>: Recipient address rejected"

    def defer(self, address: str) -> None:
        """Refuse `address` for now (greylisting, a full mailbox): "try again later"."""
        self.refuse_rcpt[address] = "451 4.2.2 Mailbox full, try again later"

    def wait_for(self, condition: Callable[[], bool], timeout: float = 60) -> None:
        """Wait until `condition()` holds (a worker's mail arrived, a try was refused)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"still waiting after {timeout} s: {len(self.messages)} messages"
                )
            time.sleep(0.05)

    def to(self, address: str) -> list[Received]:
        return [message for message in self.messages if address in message.rcpt_tos]

    def email_settings(self) -> dict[str, Any]:
        """Django settings sending through this server (what EMAIL_URL=smtp://... sets)."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 5,
        }
