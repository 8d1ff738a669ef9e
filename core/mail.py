"""The one mail path: building a plain-text + HTML message from templates, and handing it
to the mail server (EMAIL_URL) with failures sorted into "this message" and "the server".

Users' notices and tenant admins' run emails both go through here.
"""

import contextlib
import re
import smtplib
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string

# Control characters (CR and LF above all) would end a header early or make Django refuse
# it (BadHeaderError): a tenant name is typed by an operator, never trusted in a header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class MailUnavailable(Exception):
    """The mail server could not be reached or talked to: nothing more can be sent now."""


class MailRejected(Exception):
    """The mail server (or the address itself) refused this one message; the connection is
    still good for the next. `temporary`: the server said to try again later (a 4xx reply:
    greylisting, a full mailbox, a rate limit)."""

    def __init__(self, message: str, *, temporary: bool = False):
        super().__init__(message)
        self.temporary = temporary


def header_text(text: str) -> str:
    """`text` made safe for a header: control characters become one space."""
    return _CONTROL.sub(" ", text).strip()


def from_address(display_name: str) -> str:
    """DEFAULT_FROM_EMAIL's address with `display_name` as the sender's name.

    Formatted by the email package, which quotes commas, quotes and angle brackets; Django
    then encodes a non-ASCII name (RFC 2047) when it writes the header. Any name
    DEFAULT_FROM_EMAIL carries itself is replaced.
    """
    _, addr_spec = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return str(Address(display_name=header_text(display_name), addr_spec=addr_spec))


def message_render(
    *,
    template: str,
    context: dict[str, Any],
    subject: str,
    to: str,
    from_email: str,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """A message whose body is `<template>.txt` and whose HTML alternative is
    `<template>.html`, both rendered with `context`."""
    return message_build(
        subject=subject,
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
        to=to,
        from_email=from_email,
        headers=headers,
    )


def message_build(
    *,
    subject: str,
    text: str,
    html: str,
    to: str,
    from_email: str,
    headers: dict[str, str] | None = None,
    reply_to: str = "",
) -> EmailMultiAlternatives:
    """A plain-text message with its HTML alternative. The subject loses any control
    character (a header must stay one line)."""
    message = EmailMultiAlternatives(
        subject=header_text(subject),
        body=text,
        from_email=from_email,
        to=[to],
        headers=headers,
        reply_to=[reply_to] if reply_to else None,
    )
    message.attach_alternative(html, "text/html")
    return message


def connection_open() -> BaseEmailBackend:
    """An open connection to the mail server, for several messages; close it when done.

    Raises MailUnavailable when the server cannot be reached, refuses TLS or the login.
    """
    connection = get_connection(fail_silently=False)  # EMAIL_TIMEOUT bounds every call
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        connection.close()
        raise MailUnavailable(_describe(exc)) from exc
    return connection


def connection_close(connection: BaseEmailBackend) -> None:
    """Close quietly: a server that went away cannot say goodbye."""
    with contextlib.suppress(OSError, smtplib.SMTPException):
        connection.close()


# Errors that leave the SMTP session itself unusable (or never had one).
_SESSION_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPNotSupportedError,
)


def deliver(connection: BaseEmailBackend, message: EmailMultiAlternatives) -> None:
    """Hand `message` to the server over `connection`; return only once it was accepted.

    Raises MailRejected when the server refused this message (an unknown recipient, a
    refused sender, a rejected body; smtplib resets the session after those, so the
    connection serves the next message) or the address cannot be written at all, and
    MailUnavailable when the session broke (disconnect, timeout, network error): stop
    sending then.
    """
    try:
        sent = connection.send_messages([message])
    except _SESSION_ERRORS as exc:
        raise MailUnavailable(_describe(exc)) from exc
    except smtplib.SMTPException as exc:
        raise MailRejected(_describe(exc), temporary=_temporary(exc)) from exc
    except OSError as exc:
        raise MailUnavailable(_describe(exc)) from exc
    except ValueError as exc:  # an address Django cannot encode (sanitize_address)
        raise MailRejected(_describe(exc)) from exc
    if not sent:
        raise MailRejected("The mail backend accepted no message.")


def _temporary(exc: smtplib.SMTPException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
    else:
        codes = [getattr(exc, "smtp_code", 0)]
    return bool(codes) and all(400 <= code < 500 for code in codes)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = ", ".join(
            f"{code} {reply.decode(errors='replace')}" for code, reply in exc.recipients.values()
        )
        return f"SMTPRecipientsRefused: {codes}"[:1000]
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"{type(exc).__name__}: {exc.smtp_code} {text}"[:1000]
    return f"{type(exc).__name__}: {exc}"[:1000]
