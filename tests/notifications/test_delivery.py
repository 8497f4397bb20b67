# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""Emails to data subjects through a real SMTP server: once each, the right state for every server answer."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from breachdesk.models import DataSubject
from notifications import delivery, emails, mime_cache
from notifications.models import Campaign, Notice, NoticeEvent, NoticeState
from notifications.services import campaigns, ledger, sending, sweeps
from tests.notifications.campaign_fixtures import (  # noqa: F401
    any_smtp_sink,
    corrupt_token,
    decide_to_inform,
    informed_file,
    make_subjects,
)


def _launch(breach_file, user, channels="email"):
    campaigns.launch_campaign(breach_file=breach_file, user=user, channels=channels)
    return Campaign.objects.get(breach_file=breach_file)


def _address(notice: Notice) -> str:
    return DataSubject.objects.get(pk=notice.subject_id).personal.email


def test_every_email_is_received_once_with_its_ledger_message_id(informed_file, lab_dpo, any_smtp_sink):
    campaign = _launch(informed_file, lab_dpo)

    counts = sending.send_notice_emails(campaign_id=campaign.pk)
    sending.send_notice_emails(campaign_id=campaign.pk)  # a second run finds nothing to do

    assert counts == {NoticeState.SENT: 8}
    notices = Notice.objects.filter(channel="email")
    assert {notice.state for notice in notices} == {NoticeState.SENT}
    assert dict(any_smtp_sink.received) == {notice.message_id: 1 for notice in notices}


def test_the_message_is_dedicated_plain_and_says_categories_not_pathologies(informed_file, lab_dpo, any_smtp_sink):
    campaign = _launch(informed_file, lab_dpo)
    sending.send_notice_emails(campaign_id=campaign.pk)
    notice = Notice.objects.filter(channel="email", language="fr").select_related("subject").first()
    personal = notice.subject.personal

    message = email.message_from_bytes(any_smtp_sink.messages[notice.message_id], policy=email.policy.default)
    subject = str(message["Subject"])
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()

    assert informed_file.controller.name in subject
    for private in (personal.first_name, personal.last_name, personal.email, "VIH", "santé", "HIV"):
        assert private not in subject
    assert text.startswith("Madame," if personal.title == "mme" else "Monsieur,")
    assert personal.last_name not in text
    assert "Données de santé" in text and "Données de santé" in html
    assert "Numéro de sécurité sociale (NIR)" in text
    assert notice.reference in text and notice.reference in html
    assert message["Reply-To"] == informed_file.controller.dpo_email
    assert "VIH" not in text and "VIH" not in html
    assert personal.nir not in text
    assert informed_file.controller.dpo_email in text
    assert "FICOBA" in text
    assert message["To"] == personal.email


def test_names_are_escaped_in_the_html_part(breach_file, lab_dpo, any_smtp_sink):
    subjects = make_subjects(breach_file, 1, email=True, post=False)
    subject = subjects[0]
    personal = subject.personal
    # English greetings name the person ("Dear Ms X,"); French ones never do.
    personal.last_name = "<img src=x onerror=alert(1)>"
    personal.title = "mme"
    subject.personal = personal
    subject.language = "en"
    subject.save()
    decide_to_inform(breach_file, lab_dpo)
    campaign = _launch(breach_file, lab_dpo)

    sending.send_notice_emails(campaign_id=campaign.pk)

    raw = next(iter(any_smtp_sink.messages.values()))
    html = email.message_from_bytes(raw, policy=email.policy.default).get_body(("html",)).get_content()
    assert "<IMG SRC=X" not in html
    assert "&lt;IMG SRC=X ONERROR=ALERT(1)&gt;" in html


def test_a_4xx_answer_retries_later_under_the_same_message_id(informed_file, lab_dpo, any_smtp_sink):
    campaign = _launch(informed_file, lab_dpo)
    target = Notice.objects.filter(channel="email").first()
    any_smtp_sink.refuse[_address(target)] = "451 4.3.0 Mailbox temporarily unavailable"

    sending.send_notice_emails(campaign_id=campaign.pk)

    target.refresh_from_db()
    assert target.state == NoticeState.PENDING
    assert target.last_error == "smtp 451 at RCPT"
    assert target.next_attempt_at > timezone.now()
    assert any_smtp_sink.received[target.message_id] == 0
    # The server recovers; once the back-off has passed the same message goes out, once.
    any_smtp_sink.refuse.clear()
    Notice.objects.filter(pk=target.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    sending.send_notice_emails(campaign_id=campaign.pk)
    target.refresh_from_db()
    assert target.state == NoticeState.SENT
    assert target.attempts == 2
    assert any_smtp_sink.received[target.message_id] == 1


def test_a_5xx_answer_stops_and_creates_the_letter_for_that_person(informed_file, lab_dpo, any_smtp_sink):
    campaign = _launch(informed_file, lab_dpo)
    target = Notice.objects.filter(channel="email", subject__has_postal_address=True).first()
    any_smtp_sink.refuse[_address(target)] = "550 5.1.1 No such user"

    sending.send_notice_emails(campaign_id=campaign.pk)

    target.refresh_from_db()
    assert target.state == NoticeState.FAILED_PERMANENT
    assert target.last_error == "smtp 550 at RCPT"
    letters = Notice.objects.filter(subject_id=target.subject_id, channel="post")
    assert letters.count() == 1
    assert letters.get().origin == Notice.Origin.EMAIL_UNDELIVERED
    # Every other email still went out.
    assert Notice.objects.filter(channel="email", state=NoticeState.SENT).count() == 7


def test_one_unreadable_person_in_a_window_fails_alone_and_the_others_are_received(
    informed_file, lab_dpo, any_smtp_sink
):
    campaign = _launch(informed_file, lab_dpo)
    target = Notice.objects.filter(channel="email").order_by("pk").first()
    corrupt_token(DataSubject.objects.get(pk=target.subject_id))

    counts = sending.send_notice_emails(campaign_id=campaign.pk)

    target.refresh_from_db()
    assert target.state == NoticeState.UNREADABLE and target.last_error == ledger.UNREADABLE_ERROR
    assert counts == {NoticeState.SENT: 7, NoticeState.UNREADABLE: 1}
    sent = Notice.objects.filter(channel="email", state=NoticeState.SENT)
    assert dict(any_smtp_sink.received) == {notice.message_id: 1 for notice in sent}
    # Never retried, and no letter for that person: theirs would be unreadable too.
    assert sending.send_notice_emails(campaign_id=campaign.pk) == {}
    assert not Notice.objects.filter(subject_id=target.subject_id, channel="post").exists()


def test_a_connection_cut_after_the_data_leaves_the_fate_unknown_and_nothing_is_resent(
    informed_file, lab_dpo, any_smtp_sink
):
    campaign = _launch(informed_file, lab_dpo)
    target = Notice.objects.filter(channel="email").first()
    any_smtp_sink.drop_after_data.add(_address(target))

    sending.send_notice_emails(campaign_id=campaign.pk)
    sending.send_notice_emails(campaign_id=campaign.pk)
    sweeps.sweep_ledger(now=timezone.now() + timedelta(days=1))
    sending.send_notice_emails(campaign_id=campaign.pk)

    target.refresh_from_db()
    assert target.state == NoticeState.UNKNOWN
    assert target.last_error.startswith("connection lost after the data")
    assert any_smtp_sink.received[target.message_id] == 1
    assert Notice.objects.filter(channel="email", state=NoticeState.SENT).count() == 7
    assert sum(any_smtp_sink.received.values()) == 8


def test_a_refused_connection_keeps_every_email_pending_for_a_retry(informed_file, lab_dpo, any_smtp_sink, settings):
    campaign = _launch(informed_file, lab_dpo)
    any_smtp_sink.stop()

    counts = sending.send_notice_emails(campaign_id=campaign.pk)

    assert counts == {NoticeState.PENDING: 8}
    notices = Notice.objects.filter(channel="email")
    assert {n.state for n in notices} == {NoticeState.PENDING}
    assert {n.last_error for n in notices} == {"connection failed: ConnectionRefusedError"}
    assert all(n.next_attempt_at > timezone.now() for n in notices)
    assert ledger.next_email_attempt_at(campaign.pk) is not None


def test_each_state_change_of_a_sent_email_is_in_its_history(informed_file, lab_dpo, any_smtp_sink):
    campaign = _launch(informed_file, lab_dpo)
    sending.send_notice_emails(campaign_id=campaign.pk)
    notice = Notice.objects.filter(channel="email").first()

    history = list(NoticeEvent.objects.filter(notice=notice).values_list("from_state", "to_state", "attempt"))

    assert history == [("pending", "sending", 1), ("sending", "sent", 1)]


def _dsn(original_message_id: str, action: str = "failed", status: str = "5.1.1") -> bytes:
    """A delivery status notification as Postfix writes it (RFC 3464)."""
    return (
        "From: MAILER-DAEMON@mx.example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n"
        "--B\r\n"
        "Content-Type: text/plain\r\n\r\n"
        "Your message could not be delivered.\r\n"
        "--B\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; someone@example.org\r\nAction: {action}\r\nStatus: {status}\r\n"
        "\r\n"
        "--B\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original_message_id}\r\nSubject: x\r\n"
        "--B--\r\n"
    ).encode()


def test_a_dsn_names_the_failed_message(informed_file, lab_dpo):
    bounce = delivery.parse_dsn(_dsn("<notice.1.1-0000001-E51@example.org>"))

    assert bounce == delivery.Bounce(message_id="<notice.1.1-0000001-E51@example.org>", status="5.1.1")
    assert delivery.parse_dsn(_dsn("<x@example.org>", action="delayed", status="4.4.7")) is None
    assert delivery.parse_dsn(b"Subject: hello\n\nnot a report") is None


def test_read_bounces_marks_emails_bounced_and_creates_one_letter_each(informed_file, lab_dpo, any_smtp_sink, tmp_path):
    campaign = _launch(informed_file, lab_dpo)
    sending.send_notice_emails(campaign_id=campaign.pk)
    target = Notice.objects.filter(channel="email", subject__has_postal_address=True).first()
    (tmp_path / "one.eml").write_bytes(_dsn(target.message_id))
    (tmp_path / "again.eml").write_bytes(_dsn(target.message_id))
    (tmp_path / "other.eml").write_bytes(_dsn("<not-ours@example.org>"))
    out = StringIO()

    call_command("read_bounces", str(tmp_path), stdout=out)

    target.refresh_from_db()
    assert target.state == NoticeState.BOUNCED
    assert Notice.objects.filter(subject_id=target.subject_id, channel="post").count() == 1
    assert "1 bounced" in out.getvalue()
    assert "1 not ours" in out.getvalue()


def test_emails_go_through_django_backends_by_settings(informed_file, lab_dpo, settings):
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    campaign = _launch(informed_file, lab_dpo)

    sending.send_notice_emails(campaign_id=campaign.pk)

    assert len(mail.outbox) == 8
    assert {m.extra_headers["Message-ID"] for m in mail.outbox} == set(
        n.message_id for n in Notice.objects.filter(channel="email")
    )


@pytest.mark.parametrize(
    "code, outcome", [(421, "transient"), (452, "transient"), (550, "permanent"), (250, "unknown")]
)
def test_server_replies_are_classified(code, outcome):
    assert delivery.classify_reply(code) == outcome


def _composed(campaign: Campaign, subject: DataSubject, language: str, **personal_changes: str):
    subject.personal = replace(subject.personal, **personal_changes)
    notice = Notice(pk=subject.pk, reference=f"N-{subject.pk}", language=language, subject=subject)
    return emails.Composer(campaign).message(notice)


def _same_boundary_and_date(raw: bytes, like: bytes) -> bytes:
    boundary = re.search(rb'boundary="([^"]+)"', like).group(1)
    raw = re.sub(rb'boundary="[^"]+"', b'boundary="' + boundary + b'"', raw)
    raw = re.sub(rb"--===============\d+==", b"--" + boundary, raw)
    return re.sub(rb"\r\nDate: [^\r]+", b"\r\nDate: (date)", raw)


@pytest.mark.parametrize(
    "language, first_name, last_name",
    [
        ("fr", "Jean", "Dupont"),
        ("en", "John", "Smith"),
        ("fr", "Gwenaëlle", "Le Floc'h"),
        ("en", "Zoë", "O'Brien"),
        ("en", "A&B <b>", '"Q" & Co'),
        ("fr", "É" * 100, "ß" * 100),
        ("en", "", ""),
    ],
)
def test_each_notice_is_exactly_the_bytes_django_writes_for_it(informed_file, lab_dpo, language, first_name, last_name):
    campaign = _launch(informed_file, lab_dpo)
    subject = DataSubject.objects.filter(breach_file=informed_file).exclude(personal_token="").first()

    message = _composed(campaign, subject, language, first_name=first_name, last_name=last_name)
    fast = message.message().as_bytes(linesep="\r\n")
    django_bytes = message.django_message().as_bytes(linesep="\r\n")

    assert message.rendered_by_template
    assert _same_boundary_and_date(fast, like=fast) == _same_boundary_and_date(django_bytes, like=fast)
    assert b"\r\nDate: " in fast
    parsed = email.message_from_bytes(fast, policy=email.policy.default)
    assert parsed["To"] == subject.personal.email
    assert parsed["Message-ID"].startswith(f"<notice.{subject.pk}.N-{subject.pk}@")


def test_an_ascii_notice_says_7bit_and_an_accented_one_8bit_as_django_does(informed_file, lab_dpo):
    campaign = _launch(informed_file, lab_dpo)
    subject = DataSubject.objects.filter(breach_file=informed_file).first()
    campaign.texts["en"] = {
        key: value.encode("ascii", "ignore").decode() for key, value in campaign.texts["en"].items()
    }
    lab = campaign.breach_file.controller
    for field in ("name", "dpo_name", "signatory_name", "signatory_title", "dpo_phone"):
        setattr(lab, field, getattr(lab, field).encode("ascii", "ignore").decode())

    plain_message = _composed(campaign, subject, "en", first_name="John", last_name="Smith", title="m")
    plain = plain_message.message().as_bytes(linesep="\r\n")
    accented = _composed(campaign, subject, "en", first_name="John", last_name="Moët", title="m")

    assert plain.count(b"Content-Transfer-Encoding: 7bit") == 2
    assert plain_message.django_message().as_bytes(linesep="\r\n").count(b"Content-Transfer-Encoding: 7bit") == 2
    assert accented.message().as_bytes(linesep="\r\n").count(b"Content-Transfer-Encoding: 8bit") == 2
    assert accented.django_message().as_bytes(linesep="\r\n").count(b"Content-Transfer-Encoding: 8bit") == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"email": "jöe@exämple.org"},
        {"email": "a-very-long-local-part-" * 3 + "@example.org"},
        # English greetings hold the last name (French ones never name the person).
        {"last_name": "Line\u2028break", "title": "mme"},
    ],
    ids=["non-ascii address", "address Django would fold", "unprintable greeting"],
)
def test_values_the_template_cannot_hold_are_written_by_django_itself(informed_file, lab_dpo, changes):
    campaign = _launch(informed_file, lab_dpo)
    subject = DataSubject.objects.filter(breach_file=informed_file).first()

    message = _composed(campaign, subject, "en", **changes)

    assert not message.rendered_by_template
    raw = message.message().as_bytes(linesep="\r\n")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Message-ID"].startswith(f"<notice.{subject.pk}.N-{subject.pk}@")
    assert parsed.get_body(("plain",)).get_content().startswith("Dear ")


def test_the_envelope_is_pipelined_when_the_server_offers_it_and_not_otherwise(
    informed_file, lab_dpo, any_smtp_sink, monkeypatch
):
    unused = "_envelope" if any_smtp_sink.pipelining else "_pipelined_envelope"

    def must_not_run(*args, **kwargs):
        raise AssertionError(f"{unused} ran")

    monkeypatch.setattr(delivery.LedgerSMTPBackend, unused, must_not_run)
    campaign = _launch(informed_file, lab_dpo)

    counts = sending.send_notice_emails(campaign_id=campaign.pk)

    assert counts == {NoticeState.SENT: 8}
    assert sum(any_smtp_sink.received.values()) == 8


def test_a_sender_with_a_display_name_goes_out_as_its_bare_address_in_the_envelope(
    informed_file, lab_dpo, any_smtp_sink, settings
):
    settings.NOTICE_FROM_EMAIL = "Laboratoire d'Analyses de Rennes <notices@lab.example>"
    campaign = _launch(informed_file, lab_dpo)

    sending.send_notice_emails(campaign_id=campaign.pk)

    assert set(any_smtp_sink.senders.values()) == {"notices@lab.example"}
    raw = next(iter(any_smtp_sink.messages.values()))
    assert "Laboratoire d'Analyses de Rennes" in str(email.message_from_bytes(raw, policy=email.policy.default)["From"])


@pytest.mark.parametrize(
    "address, plain",
    [
        ("person.1@example.org", True),
        ("o'brien+tag@Example.ORG", True),
        ("a..b@example.org", False),
        (".a@example.org", False),
        ("a@localhost", False),
        ("jöe@example.org", False),
        ("Name <a@example.org>", False),
    ],
)
def test_only_addresses_django_writes_unchanged_skip_its_parser(address, plain):
    from django.core.mail.message import sanitize_address

    assert bool(mime_cache.PLAIN_ADDRESS.fullmatch(address)) is plain
    if plain:
        assert sanitize_address(address, "utf-8") == address
