"""The notices' emails at campaign speed: one serialisation per (language, category set), each notice's bytes pasted in.

Python's email package takes ~1.5 ms to build and serialise a text + HTML message, more than the SMTP exchange
itself. The notices of one campaign differ only in a few values, so Django serialises one message per (language,
category set) with stand-ins for them; each notice's bytes are that template with its own values put back. Where a
value could make Django write something else (a header it would encode or fold, a body it would switch to
quoted-printable), the notice falls back to Django's own serialisation (the portable twin): the bytes are always
those Django writes. tests/notifications/test_delivery.py pins the two together byte for byte.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import RFC5322_EMAIL_LINE_LENGTH_LIMIT

# Stand-ins: each must come out of Django's serialisation verbatim, exactly once. The greetings' stand-ins are not
# ASCII so that the template's bodies are 8bit; each notice then says 7bit or 8bit as Django would for its text.
_STAND_INS = {
    "to": "breachdesk-stand-in-to@stand-in.invalid",
    "date": "BREACHDESK-STAND-IN-DATE",
    "message_id": "<breachdesk-stand-in-message-id@stand-in.invalid>",
    "reference": "BREACHDESK-STAND-IN-REFERENCE",
    "text_greeting": "BREACHDESK-STAND-IN-TEXT-GREETING-\u00e9",
    "html_greeting": "BREACHDESK-STAND-IN-HTML-GREETING-\u00e9",
    # The reference a person quotes, printed in both bodies as well as in its header.
    "text_reference": "BREACHDESK-BODY-REF-TEXT",
    "html_reference": "BREACHDESK-BODY-REF-HTML",
}
_BODY_REFERENCE_LENGTH = min(len(_STAND_INS["text_reference"]), len(_STAND_INS["html_reference"]))


_TRANSFER_ENCODING = b"Content-Transfer-Encoding: 8bit\r\n"


# Addresses that Django writes as they are: ASCII, nothing to quote or encode, too short to fold.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"


PLAIN_ADDRESS = re.compile(
    rf"(?=[^@]{{1,64}}@.{{1,190}}$){_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.ASCII
)


_MAX_PLAIN_HEADER = 70


_BOUNDARY = re.compile(rb'boundary="([^"]+)"')


@dataclass(frozen=True)
class NoticeTemplate:
    """One notice serialised by Django, cut where each notice's own values go."""

    segments: tuple[bytes, ...]
    slots: tuple[str, ...]
    text_is_ascii: bool
    html_is_ascii: bool
    # Bytes of the line around each greeting, so a notice never makes a line Django would encode differently.
    text_line_rest: int
    html_line_rest: int
    boundary: str

    @classmethod
    def build(
        cls,
        *,
        subject: str,
        text: str,
        html_text: str,
        from_email: str,
        marker: str,
        reference_marker: str,
        reply_to: list[str],
    ) -> NoticeTemplate | None:
        """Serialise the notice once with stand-ins (the bodies hold `marker` where the greeting goes and
        `reference_marker` where the reference goes); None when Django's output cannot be cut safely."""
        stand_ins = _STAND_INS
        for body in (text, html_text):
            if body.count(marker) != 1 or body.count(reference_marker) != 1:
                return None
        message = data_subject_notice(
            subject=subject,
            text=text.replace(marker, stand_ins["text_greeting"]).replace(
                reference_marker, stand_ins["text_reference"]
            ),
            html=html_text.replace(marker, stand_ins["html_greeting"]).replace(
                reference_marker, stand_ins["html_reference"]
            ),
            to=stand_ins["to"],
            reply_to=reply_to,
            from_email=from_email,
            message_id=stand_ins["message_id"],
            reference=stand_ins["reference"],
            headers={"Date": stand_ins["date"]},
        )
        raw = message.message().as_bytes(linesep="\r\n")
        boundary = _BOUNDARY.search(raw)
        if boundary is None:
            return None
        cuts: list[tuple[int, int, str]] = []
        for slot, stand_in in stand_ins.items():
            encoded = stand_in.encode()
            if raw.count(encoded) != 1:
                return None
            start = raw.index(encoded)
            cuts.append((start, start + len(encoded), slot))
        if raw.count(_TRANSFER_ENCODING) != 2:
            return None
        first = raw.index(_TRANSFER_ENCODING)
        second = raw.index(_TRANSFER_ENCODING, first + 1)
        for start, slot in ((first, "text_encoding"), (second, "html_encoding")):
            value_start = start + len(b"Content-Transfer-Encoding: ")
            cuts.append((value_start, value_start + len(b"8bit"), slot))
        cuts.sort()
        segments: list[bytes] = []
        position = 0
        for start, end, _slot in cuts:
            segments.append(raw[position:start])
            position = end
        segments.append(raw[position:])
        return cls(
            segments=tuple(segments),
            slots=tuple(slot for _start, _end, slot in cuts),
            text_is_ascii=text.replace(marker, "").replace(reference_marker, "").isascii(),
            html_is_ascii=html_text.replace(marker, "").replace(reference_marker, "").isascii(),
            text_line_rest=_line_rest(raw, stand_ins["text_greeting"].encode()),
            html_line_rest=_line_rest(raw, stand_ins["html_greeting"].encode()),
            boundary=boundary.group(1).decode("ascii"),
        )

    def render(self, *, to: str, message_id: str, reference: str, greeting: str) -> bytes | None:
        """The notice's bytes as Django would write them; None when only Django's own path can write them."""
        escaped = html.escape(greeting)
        text_greeting = greeting.encode()
        html_greeting = escaped.encode()
        if not (
            greeting.isprintable()
            and self.boundary not in greeting
            and len(to) <= _MAX_PLAIN_HEADER
            and PLAIN_ADDRESS.fullmatch(to)
            and len(message_id) <= _MAX_PLAIN_HEADER
            and message_id.isascii()
            and reference.isascii()
            and reference.isprintable()
            and len(reference) <= _BODY_REFERENCE_LENGTH
            and self.text_line_rest + len(text_greeting) <= RFC5322_EMAIL_LINE_LENGTH_LIMIT
            and self.html_line_rest + len(html_greeting) <= RFC5322_EMAIL_LINE_LENGTH_LIMIT
        ):
            return None
        is_ascii = greeting.isascii()
        values = {
            "to": to.encode(),
            "date": _date_header().encode(),
            "message_id": message_id.encode(),
            "reference": reference.encode(),
            "text_reference": reference.encode(),
            "html_reference": html.escape(reference).encode(),
            "text_greeting": text_greeting,
            "html_greeting": html_greeting,
            "text_encoding": b"7bit" if self.text_is_ascii and is_ascii else b"8bit",
            "html_encoding": b"7bit" if self.html_is_ascii and is_ascii else b"8bit",
        }
        segments = self.segments
        parts = [segments[0]]
        for slot, segment in zip(self.slots, segments[1:], strict=True):
            parts.append(values[slot])
            parts.append(segment)
        return b"".join(parts)


def _line_rest(raw: bytes, stand_in: bytes) -> int:
    start = raw.index(stand_in)
    line_start = raw.rfind(b"\n", 0, start) + 1
    line_end = raw.find(b"\r\n", start)
    return (line_end if line_end >= 0 else len(raw)) - line_start - len(stand_in)


_date_cache: list[Any] = [0, ""]


def _date_header() -> str:
    """Django's Date header, computed once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = formatdate(now, localtime=settings.EMAIL_USE_LOCALTIME)
    return str(_date_cache[1])


class NoticeEmail(EmailMultiAlternatives):
    """A data subject's notice: every backend sees Django's message; SMTP gets its bytes from the template."""

    def __init__(self, *, rendered: bytes | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rendered = rendered

    def message(self) -> Any:  # type: ignore[override]
        if self._rendered is None:
            return super().message()
        return _RenderedMessage(self)

    def django_message(self) -> Any:
        return super().message()

    @property
    def rendered_by_template(self) -> bool:
        return self._rendered is not None


class _RenderedMessage:
    """What a backend's message() gets: the template's bytes for SMTP, Django's message for anything else."""

    def __init__(self, email: NoticeEmail) -> None:
        self._email = email
        self._full: Any = None

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        if linesep == "\r\n" and not unixfrom and self._email._rendered is not None:
            return self._email._rendered
        return bytes(self._django().as_bytes(unixfrom=unixfrom, linesep=linesep))

    def _django(self) -> Any:
        if self._full is None:
            self._full = self._email.django_message()
        return self._full

    def __getattr__(self, name: str) -> Any:
        return getattr(self._django(), name)


def notice_email(
    *,
    template: NoticeTemplate | None,
    subject: str,
    text: str,
    html_text: str,
    greeting: str,
    to: str,
    from_email: str,
    message_id: str,
    reference: str,
    metadata: dict[str, Any],
    reply_to: list[str],
) -> NoticeEmail:
    """One subject's notice: the body already holds the greeting; the bytes come from the template when it can."""
    rendered = (
        template.render(to=to, message_id=message_id, reference=reference, greeting=greeting) if template else None
    )
    return data_subject_notice(
        subject=subject,
        text=text,
        html=html_text,
        to=to,
        reply_to=reply_to,
        from_email=from_email,
        message_id=message_id,
        reference=reference,
        metadata=metadata,
        rendered=rendered,
    )


def data_subject_notice(
    *,
    subject: str,
    text: str,
    html: str,
    to: str,
    from_email: str,
    message_id: str,
    reference: str,
    reply_to: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    rendered: bytes | None = None,
) -> NoticeEmail:
    """Build the Art. 34 message to one data subject: dedicated, text and HTML, its Message-ID fixed by its ledger row.

    `rendered`: its bytes as Django would write them, when a NoticeTemplate made them.
    """
    message = NoticeEmail(
        rendered=rendered,
        subject=" ".join(subject.split()),
        body=text,
        from_email=from_email,
        to=[to],
        # Art. 34(2)(b): an answer reaches the DPO, not the sending address.
        reply_to=reply_to or [],
        headers={**(headers or {}), "Message-ID": message_id, "X-BreachDesk-Reference": reference},
    )
    message.attach_alternative(html, "text/html")
    # anymail sends metadata to the ESP, which echoes it in tracking events (bounces); other backends ignore it.
    message.metadata = metadata or {}  # type: ignore[attr-defined]
    return message
