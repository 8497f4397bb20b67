"""Delivery of the notices' emails over pooled connections, and what the servers' answers and DSNs mean.

The database decides what is sent (notifications.services.ledger claims rows); this module only talks to the server and
tells apart a failure before the message data left (safe to retry) from one after (fate unknown, never resent).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import logging
import re
import smtplib
import socket
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from email.message import Message
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import EmailMessage, sanitize_address

from notifications import mime_cache
from notifications.models import EmailState


class Outcome:
    """What a server's answer means for one message."""

    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"
    # Never handed to the server: the claim was taken back first, so another worker sends it.
    FENCED = "fenced"
    # Never composed: the person's stored data cannot be decrypted; this notice stops, the window goes on.
    UNREADABLE = "unreadable"


logger = logging.getLogger(__name__)


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


LEDGER_SMTP_BACKEND = "notifications.delivery.LedgerSMTPBackend"


_LEADING_DOT = re.compile(rb"(?m)^\.")


class DeliveryFailure(Exception):
    """What went wrong for one message: an outcome and an error holding codes only, never an address."""

    def __init__(self, outcome: str, error: str) -> None:
        super().__init__(error)
        self.outcome = outcome
        self.error = error


def classify_reply(code: int) -> str:
    if 400 <= code < 500:
        return Outcome.TRANSIENT
    if 500 <= code < 600:
        return Outcome.PERMANENT
    return Outcome.UNKNOWN


class LedgerSMTPBackend(SMTPBackend):
    """Django's SMTP backend, speaking MAIL/RCPT/DATA itself to know whether the data had left when it failed.

    With a server that offers PIPELINING (RFC 2920) the envelope goes in one write and its answers are read
    together: two round trips per message instead of four. Envelope addresses go out as Django would write them.
    """

    def _send(self, email_message: EmailMessage) -> bool:
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = _sender_address(email_message.from_email, encoding)
        recipients = [_envelope_address(address, encoding) for address in email_message.recipients()]
        content = email_message.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
        connection = self.connection
        assert connection is not None
        try:
            connection.ehlo_or_helo_if_needed()
            if connection.does_esmtp and connection.has_extn("pipelining"):
                self._pipelined_envelope(connection, from_email, recipients)
            else:
                self._envelope(connection, from_email, recipients)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise DeliveryFailure(
                Outcome.TRANSIENT, f"connection lost before the data: {type(error).__name__}"
            ) from None
        # From here on the message may have reached the server: a lost connection leaves its fate unknown.
        if b"\n." in content or content.startswith(b"."):
            content = _LEADING_DOT.sub(b"..", content)
        if not content.endswith(b"\r\n"):
            content += b"\r\n"
        try:
            connection.send(content + b".\r\n")
            code, _reply = connection.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise DeliveryFailure(Outcome.UNKNOWN, f"connection lost after the data: {type(error).__name__}") from None
        if code == 250:
            return True
        raise DeliveryFailure(classify_reply(code), f"smtp {code} after the data")

    def _envelope(self, connection: smtplib.SMTP, from_email: str, recipients: list[str]) -> None:
        """MAIL, RCPT and DATA one after the other; DeliveryFailure unless the server waits for the data."""
        connection.putcmd("mail", f"FROM:{from_email}")
        code, _reply = connection.getreply()
        if code != 250:
            self._reset()
            raise DeliveryFailure(classify_reply(code), f"smtp {code} at MAIL")
        refused = []
        for recipient in recipients:
            connection.putcmd("rcpt", f"TO:{recipient}")
            code, _reply = connection.getreply()
            if code not in (250, 251):
                refused.append(code)
        if len(refused) == len(recipients):
            self._reset()
            raise DeliveryFailure(classify_reply(refused[-1]), f"smtp {refused[-1]} at RCPT")
        connection.putcmd("data")
        code, _reply = connection.getreply()
        if code != 354:
            self._reset()
            raise DeliveryFailure(classify_reply(code), f"smtp {code} at DATA")

    def _pipelined_envelope(self, connection: smtplib.SMTP, from_email: str, recipients: list[str]) -> None:
        """MAIL, RCPT and DATA in one write, then their answers in order (RFC 2920)."""
        commands = [f"MAIL FROM:{from_email}", *(f"RCPT TO:{recipient}" for recipient in recipients), "DATA"]
        connection.send("".join(f"{command}\r\n" for command in commands))
        mail_code = connection.getreply()[0]
        rcpt_codes = [connection.getreply()[0] for _recipient in recipients]
        data_code = connection.getreply()[0]
        refused = [code for code in rcpt_codes if code not in (250, 251)]
        if mail_code == 250 and len(refused) < len(recipients) and data_code == 354:
            return
        if data_code == 354:
            # The server waits for data nobody can receive: end it empty (RFC 2920, 3.1); nothing is delivered.
            connection.send(b".\r\n")
            connection.getreply()
        self._reset()
        if mail_code != 250:
            raise DeliveryFailure(classify_reply(mail_code), f"smtp {mail_code} at MAIL")
        if len(refused) == len(recipients):
            raise DeliveryFailure(classify_reply(refused[-1]), f"smtp {refused[-1]} at RCPT")
        raise DeliveryFailure(classify_reply(data_code), f"smtp {data_code} at DATA")

    def _reset(self) -> None:
        try:
            assert self.connection is not None
            self.connection.rset()
        except (smtplib.SMTPException, OSError):
            self.close_quietly()

    def close_quietly(self) -> None:
        try:
            self.close()
        except (smtplib.SMTPException, OSError):
            self.connection = None


def _envelope_address(address: str, encoding: str) -> str:
    """<address> as Django's backend and smtplib would put it in the envelope (their parsers are slow: a plain
    address, which they leave as it is, skips them)."""
    if len(address) <= 254 and mime_cache.PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return str(smtplib.quoteaddr(sanitize_address(address, encoding)))


@lru_cache(maxsize=16)
def _sender_address(address: str, encoding: str) -> str:
    """The sender's envelope address: the same for every notice (recipients' are never kept)."""
    return _envelope_address(address, encoding)


def notice_backend() -> str:
    """The backend of data subject emails: the ledger-aware SMTP one when email goes over SMTP, else the configured."""
    configured = settings.NOTICE_EMAIL_BACKEND or settings.EMAIL_BACKEND
    return LEDGER_SMTP_BACKEND if configured == SMTP_BACKEND else configured


# Failures certain to happen before anything was sent, whatever the backend.
# The one list of errors that prove a message did not leave: raised before any of its data was sent.
NOT_SENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionRefusedError,
    socket.gaierror,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPNotSupportedError,
)


@dataclass(frozen=True)
class Delivery:
    state: str
    error: str = ""


def send_message(message: EmailMessage) -> Delivery:
    """Send one message; a failure after the data may have left is "unknown", never retried automatically."""
    try:
        message.send(fail_silently=False)
    except NOT_SENT_ERRORS as error:
        return Delivery(state=EmailState.FAILED, error=type(error).__name__)
    except (OSError, smtplib.SMTPException) as error:
        return Delivery(state=EmailState.UNKNOWN, error=type(error).__name__)
    return Delivery(state=EmailState.SENT)


class Gate(Protocol):
    """What a connection asks before each message: may it go (the claim still holds)? It tells the last answer too."""

    def admit(self, notice_id: int | None, answered: dict[int, str]) -> bool: ...


class SenderPool:
    """A few long-lived connections, each owned by one thread; messages are spread over them."""

    def __init__(self, *, size: int | None = None, backend: str | None = None) -> None:
        self.size = max(1, size or settings.NOTICE_EMAIL_CONNECTIONS)
        self.backend = backend or notice_backend()
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="notice-smtp")
        self._closed = False

    def __enter__(self) -> SenderPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Each thread may hold a database connection of its own (the fences of a window): each closes its own.
        closing = threading.Barrier(self.size)
        closed = [self._executor.submit(_close_database_connections, closing) for _ in range(self.size)]
        wait(closed, timeout=30)
        self._executor.shutdown(wait=True)
        for connection in self._connections:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = get_connection(backend=self.backend, fail_silently=False)
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def send(self, messages: Sequence[tuple[int, EmailMessage]]) -> dict[int, tuple[str, str]]:
        """Send each message once; return {notice id: (outcome, error)}."""
        return self.submit(messages).result()

    def submit(self, messages: Sequence[tuple[int, EmailMessage]], gate: Gate | None = None) -> Sending:
        """Start sending each message once over the connections; the result is {notice id: (outcome, error)}.

        With a gate, each message goes only once the gate admits it, so at most one message per connection is
        between the gate and the server's answer.
        """
        slices = [list(messages[index :: self.size]) for index in range(self.size)]
        return Sending([self._executor.submit(self._send_slice, piece, gate) for piece in slices if piece])

    def _send_slice(self, items: list[tuple[int, EmailMessage]], gate: Gate | None) -> dict[int, tuple[str, str]]:
        connection = self._connection()
        results: dict[int, tuple[str, str]] = {}
        answered: dict[int, str] = {}
        for pk, message in items:
            if gate is not None and not self._admitted(gate, pk, answered):
                results.update(
                    {other: (Outcome.FENCED, "claim taken back") for other, _m in items if other not in results}
                )
                return results
            results[pk] = self._send_one(connection, message)
            answered = {pk: results[pk][0]}
        if gate is not None and answered:
            self._admitted(gate, None, answered)
        return results

    @staticmethod
    def _admitted(gate: Gate, pk: int | None, answered: dict[int, str]) -> bool:
        """Ask the gate; if it fails (the database), this connection sends nothing more and keeps its outcomes for
        the window's record, instead of losing them with the exception."""
        try:
            return gate.admit(pk, answered)
        except Exception as error:
            logger.error("notice email fence failed: %s; this connection stops", type(error).__name__)
            return False

    @staticmethod
    def _send_one(connection: Any, message: EmailMessage) -> tuple[str, str]:
        try:
            if hasattr(connection, "open"):
                connection.open()
        except (OSError, smtplib.SMTPException) as error:
            # Nothing of the message was written yet: safe to try again later.
            _close(connection)
            return Outcome.TRANSIENT, f"connection failed: {type(error).__name__}"
        try:
            sent = connection.send_messages([message])
        except DeliveryFailure as failure:
            if failure.outcome in (Outcome.UNKNOWN, Outcome.TRANSIENT) and failure.error.startswith("connection"):
                _close(connection)
            return failure.outcome, failure.error
        except NOT_SENT_ERRORS as error:
            _close(connection)
            return Outcome.TRANSIENT, f"connection failed: {type(error).__name__}"
        except Exception as error:  # an ESP's API error: whether it went out is not known
            _close(connection)
            return Outcome.UNKNOWN, f"backend error: {type(error).__name__}"
        return (Outcome.SENT, "") if sent else (Outcome.UNKNOWN, "backend reported nothing sent")


class Sending:
    """Messages the pool's threads are sending; result() waits for every outcome."""

    def __init__(self, parts: list[Future[dict[int, tuple[str, str]]]]) -> None:
        self._parts = parts

    def done(self, timeout: float | None = None) -> bool:
        """Wait up to timeout for every message's outcome; tell whether all are in."""
        _done, pending = wait(self._parts, timeout=timeout)
        return not pending

    def result(self) -> dict[int, tuple[str, str]]:
        results: dict[int, tuple[str, str]] = {}
        for part in self._parts:
            results.update(part.result())
        return results


def _close_database_connections(closing: threading.Barrier) -> None:
    """In one of the pool's threads (the barrier holds each until all have one): close its database connections."""
    from django.db import connections

    with contextlib.suppress(threading.BrokenBarrierError):
        closing.wait(timeout=10)
    connections.close_all()


def _close(connection: Any) -> None:
    try:
        connection.close()
    except (smtplib.SMTPException, OSError):
        if hasattr(connection, "connection"):
            connection.connection = None


@dataclass(frozen=True)
class Bounce:
    message_id: str
    status: str


def _original_message_id(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return str(payload[0].get("Message-ID", "")).strip()
    text = part.get_payload(decode=True) or b""
    headers = email.message_from_bytes(
        text if isinstance(text, bytes) else str(text).encode(), policy=email.policy.compat32
    )
    return str(headers.get("Message-ID", "")).strip()


def parse_dsn(raw: bytes) -> Bounce | None:
    """Read a delivery status notification; return the failed message's Message-ID and status, or None."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    if message.get_content_type() != "multipart/report":
        return None
    failed_status = ""
    message_id = ""
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            blocks = part.get_payload()
            for block in blocks if isinstance(blocks, list) else []:
                if isinstance(block, Message) and str(block.get("Action", "")).strip().lower() == "failed":
                    failed_status = str(block.get("Status", "5.0.0")).strip()
        elif content_type in ("message/rfc822", "text/rfc822-headers") and not message_id:
            message_id = _original_message_id(part)
    if not failed_status or not message_id:
        return None
    return Bounce(message_id=message_id, status=failed_status)
