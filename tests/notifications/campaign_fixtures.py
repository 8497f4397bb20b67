"""Builders shared by the campaign tests: synthetic data subjects and a breach file decided to inform them."""

from __future__ import annotations

import asyncio
import email
import io
import random
import socket
from collections import Counter
from dataclasses import dataclass, replace

import pytest

from breachdesk import assessment
from breachdesk.exposure_summary import add_exposure_sets, canonical
from breachdesk.importing.address import build_block
from breachdesk.models import BreachFile, DataSubject, PersonalData, User
from breachdesk.synthetic import PLACES, person

# Health data with name and NIR, published online: very high for everyone (ENISA 4 x 1 + 1).
HIGH_RISK = ["identity", "contact", "nir", "hiv", "test_results"]


def make_subjects(
    breach_file: BreachFile,
    count: int,
    *,
    start: int = 0,
    email: bool | None = None,
    post: bool | None = None,
    exposures: list[str] | None = None,
    language: str | None = None,
) -> list[DataSubject]:
    """Insert synthetic people (deterministic per index); force channels, exposures or language when asked."""
    subjects = []
    for index in range(start, start + count):
        rng = random.Random(index)
        place = PLACES[index % len(PLACES)]
        data, _exposures, chosen_language = person(rng, index, place)
        if email is not None:
            data = replace(data, email=f"person.{index}@example.org" if email else "")
        if post is False:
            data = replace(data, address_1="", postcode="", city="")
        elif post and not data.address_1:
            data = replace(data, address_1=f"{index % 90 + 1} rue des Lilas", postcode=place.postcode, city=place.city)
        if data.address_1:
            data.address_block = build_block(
                first_name=data.first_name,
                last_name=data.last_name,
                address_1=data.address_1,
                postcode=data.postcode,
                city=data.city,
            ).lines
        data.exposures = list(exposures or HIGH_RISK)
        subject = DataSubject(breach_file=breach_file, language=language or chosen_language)
        subject.personal = data
        subjects.append(subject)
    DataSubject.objects.bulk_create(subjects, batch_size=1000)
    # As the import does: the breach file's encrypted counts per set of exposures.
    add_exposure_sets(
        breach_file_id=breach_file.pk, counts=Counter(canonical(subject.exposures) for subject in subjects)
    )
    return list(DataSubject.objects.filter(breach_file=breach_file).order_by("pk"))


def decide_to_inform(breach_file: BreachFile, user: User | None, *, levels: list[str] | None = None) -> None:
    """Assess the risk from the subjects' exposures and record the decision to inform the high and very high (or
    the levels given, with the reason a narrower or wider choice than proposed needs)."""
    exposures = assessment.default_exposures(breach_file) or HIGH_RISK
    assessment.assess_risk(
        breach_file=breach_file,
        user=user,
        exposures=exposures,
        identification="maximum",
        confidentiality="unknown_recipients",
        integrity="none",
        availability="none",
        is_malicious=True,
    )
    assessment.record_decision(
        breach_file=breach_file,
        user=user,
        kind="inform_subjects",
        outcome="inform",
        levels=levels or ["high", "very_high"],
        rationale="Données de santé publiées en ligne.",
        override_rationale="Chaque patient est informé, comme la CNIL l'a exigé en 2021." if levels else "",
    )


@pytest.fixture
def informed_file(breach_file: BreachFile, lab_dpo: User) -> BreachFile:
    """The lab's breach file with 12 data subjects of every kind and the decision to inform them."""
    make_subjects(breach_file, 4, start=0, email=True, post=True)
    make_subjects(breach_file, 3, start=4, email=False, post=True)
    make_subjects(breach_file, 3, start=7, email=True, post=False)
    make_subjects(breach_file, 1, start=10, email=False, post=False)
    make_subjects(breach_file, 1, start=11, email=True, post=True, language="en")
    decide_to_inform(breach_file, lab_dpo)
    return breach_file


def corrupt_token(subject: DataSubject) -> None:
    """Flip bytes in the middle of the stored ciphertext, as a damaged disk or a bad restore would."""
    token = DataSubject.objects.values_list("personal_token", flat=True).get(pk=subject.pk)
    middle = len(token) // 2
    damaged = token[:middle] + ("A" if token[middle] != "A" else "B") + ("x" if token[middle + 1] != "x" else "y")
    DataSubject.objects.filter(pk=subject.pk).update(personal_token=damaged + token[middle + 2 :])


def personal_of(subject: DataSubject) -> PersonalData:
    return DataSubject.objects.get(pk=subject.pk).personal


@dataclass(frozen=True)
class Line:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float


def pdf_lines(content: bytes) -> list[list[Line]]:
    """Extract the text lines of each page with their boxes, in millimetres from the top-left corner."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTLayoutContainer, LTTextLine

    millimetre = 72 / 25.4
    pages: list[list[Line]] = []
    for page in extract_pages(io.BytesIO(content), laparams=LAParams(all_texts=True)):
        height = page.height
        lines: list[Line] = []

        def walk(element, lines=lines, height=height) -> None:
            if isinstance(element, LTTextLine):
                text = element.get_text().strip()
                if text:
                    x0, y0, x1, y1 = element.bbox
                    lines.append(
                        Line(
                            text,
                            x0 / millimetre,
                            (height - y1) / millimetre,
                            x1 / millimetre,
                            (height - y0) / millimetre,
                        )
                    )
                return
            if isinstance(element, LTLayoutContainer) or hasattr(element, "__iter__"):
                for child in element:
                    walk(child)

        walk(page)
        pages.append(lines)
    return pages


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free local port that records each message by its Message-ID.

    ``refuse`` maps recipient addresses to an SMTP reply (e.g. "451 4.3.0 try later"); addresses in ``drop_after_data``
    get their message stored, then the connection is cut before the server's answer. With ``pipelining`` it offers
    PIPELINING (RFC 2920), as Postfix does; aiosmtpd reads pipelined commands in order either way. Addresses in
    ``stall`` get no answer to their data for that many seconds, and their message is then lost (a hung server).
    ``delay`` is how long every message waits for the server's answer (a relay slower than the client).
    """

    def __init__(self, *, pipelining: bool = False) -> None:
        self.pipelining = pipelining
        self.received: Counter[str] = Counter()
        self.messages: dict[str, bytes] = {}
        self.senders: dict[str, str] = {}
        self.refuse: dict[str, str] = {}
        self.drop_after_data: set[str] = set()
        self.stall: dict[str, float] = {}
        self.delay = 0.0
        self.port = _free_port()
        self._controller = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        stalled = [self.stall[address] for address in envelope.rcpt_tos if address in self.stall]
        if stalled:
            await asyncio.sleep(max(stalled))
            server.transport.close()
            return "451 4.3.0 lost"
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        message_id = str(message.get("Message-ID", "")).strip()
        self.received[message_id] += 1
        self.messages[message_id] = envelope.original_content or envelope.content
        self.senders[message_id] = envelope.mail_from
        if set(envelope.rcpt_tos) & self.drop_after_data:
            server.transport.close()
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def configure(self, settings) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.NOTICE_EMAIL_BACKEND = ""
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 10


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    sink = SmtpSink().start()
    sink.configure(settings)
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(params=[False, True], ids=["one-command-at-a-time", "pipelining"])
def any_smtp_sink(request, settings):
    """The sink, once without PIPELINING and once with it: the backend speaks both ways."""
    sink = SmtpSink(pipelining=request.param).start()
    sink.configure(settings)
    try:
        yield sink
    finally:
        sink.stop()


def many_adults(breach_file: BreachFile, count: int) -> None:
    """Insert count adults reachable by post and email quickly: a few encrypted identities shared, distinct indexes."""
    pool = []
    for index in range(20):
        data, _exposures, _language = person(random.Random(index), index, PLACES[index % len(PLACES)])
        data = replace(data, email=f"person.{index}@example.org")
        if not data.address_1:
            data = replace(data, address_1="3 rue des Lilas", postcode=PLACES[0].postcode, city=PLACES[0].city)
        data.exposures = list(HIGH_RISK)
        template = DataSubject(breach_file=breach_file)
        template.personal = data
        pool.append(template)
    batch: list[DataSubject] = []
    for index in range(count):
        template = pool[index % len(pool)]
        batch.append(
            DataSubject(
                breach_file=breach_file,
                personal_token=template.personal_token,
                patient_ref_index=f"bulk-{index}",
                # The derived classes the personal setter computed from the exposures in the token.
                processing_context=template.processing_context,
                has_health_data=template.has_health_data,
                language="fr",
                age_group="adult",
                has_postal_address=True,
                has_email=True,
            )
        )
        if len(batch) == 5000:
            DataSubject.objects.bulk_create(batch)
            batch = []
    DataSubject.objects.bulk_create(batch)
    add_exposure_sets(breach_file_id=breach_file.pk, counts=Counter({canonical(list(HIGH_RISK)): count}))
