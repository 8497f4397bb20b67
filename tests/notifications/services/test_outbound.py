"""Processor notices and reminders go out as outbound emails: one record, one retry policy, one sweep, one log."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications import delivery
from notifications.models import EmailState, OutboundEmail, OutboundEmailEvent
from notifications.services import processor_notices, sweeps

pytestmark = pytest.mark.django_db


def _refusing(monkeypatch, error: Exception) -> None:
    def refuse(self, *args, **kwargs):
        raise error

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)


def test_a_refused_processor_notice_backs_off_by_the_ledger_policy_and_the_sweep_retries_it_when_due(
    breach_file, compliance_officer, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.NOTICE_RETRY_BACKOFF_SECONDS = [600]
    notice = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer).queued[0]
    with monkeypatch.context() as patch:
        _refusing(patch, smtplib.SMTPConnectError(421, "try later"))
        processor_notices.deliver_processor_notice(notice_id=notice.pk)
    email = OutboundEmail.objects.get(pk=notice.email_id)
    assert (email.state, email.attempts) == (EmailState.FAILED, 1)
    assert email.next_attempt_at is not None

    queued: list[int] = []
    monkeypatch.setattr("notifications.services.sweeps.enqueue", lambda task, *args: queued.extend(args))
    sweeps.sweep_outbound_emails(now=timezone.now() + timedelta(seconds=60))
    assert queued == []
    sweeps.sweep_outbound_emails(now=timezone.now() + timedelta(seconds=601))
    assert queued == [notice.pk]


def test_every_state_change_of_an_outbound_email_is_logged(breach_file, compliance_officer):
    notice = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer).queued[0]
    processor_notices.deliver_processor_notice(notice_id=notice.pk)
    moves = list(OutboundEmailEvent.objects.filter(email_id=notice.email_id).values_list("from_state", "to_state"))
    assert moves == [(EmailState.PENDING, EmailState.SENDING), (EmailState.SENDING, EmailState.SENT)]
    assert len(mail.outbox) == 1


def test_a_connection_reset_after_the_data_may_have_left_is_unknown_never_failed(
    breach_file, compliance_officer, monkeypatch
):
    notice = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer).queued[0]
    with monkeypatch.context() as patch:
        _refusing(patch, ConnectionResetError("reset during DATA"))
        processor_notices.deliver_processor_notice(notice_id=notice.pk)
    assert OutboundEmail.objects.get(pk=notice.email_id).state == EmailState.UNKNOWN


def test_the_one_list_of_not_sent_errors_holds_only_failures_before_any_data_left():
    assert ConnectionResetError not in delivery.NOT_SENT_ERRORS
    assert TimeoutError not in delivery.NOT_SENT_ERRORS
    assert smtplib.SMTPRecipientsRefused in delivery.NOT_SENT_ERRORS


def test_the_one_sweep_covers_outbound_emails_and_the_ledger(breach_file, compliance_officer):
    notice = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer).queued[0]
    stalled_at = timezone.now() - timedelta(hours=1)
    OutboundEmail.objects.filter(pk=notice.email_id).update(state=EmailState.SENDING, claimed_at=stalled_at, attempts=1)
    outbound, ledger = sweeps.sweep()
    assert outbound["unknown"] == 1
    assert ledger.unknown == 0
    assert OutboundEmail.objects.not_sent().get().pk == notice.email_id


def test_a_given_up_email_is_never_retried_automatically_even_under_a_higher_maximum(
    breach_file, compliance_officer, monkeypatch, settings
):
    breach_file.controller.dpo_email = ""
    breach_file.controller.save(update_fields=["dpo_email"])
    notice = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer).queued[0]
    processor_notices.deliver_processor_notice(notice_id=notice.pk)
    assert OutboundEmail.objects.get(pk=notice.email_id).last_error == "no DPO address"
    settings.NOTICE_EMAIL_MAX_ATTEMPTS = 50
    queued: list[int] = []
    monkeypatch.setattr("notifications.services.sweeps.enqueue", lambda task, *args: queued.extend(args))
    sweeps.sweep_outbound_emails(now=timezone.now() + timedelta(days=30))
    assert queued == []


def test_a_failure_waiting_on_its_back_off_is_not_claimed_early(breach_file, compliance_officer, monkeypatch):
    notice = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer).queued[0]
    with monkeypatch.context() as patch:
        _refusing(patch, smtplib.SMTPConnectError(421, "try later"))
        processor_notices.deliver_processor_notice(notice_id=notice.pk)
    processor_notices.deliver_processor_notice(notice_id=notice.pk)
    assert OutboundEmail.objects.get(pk=notice.email_id).attempts == 1
    assert mail.outbox == []


def test_a_notice_given_up_for_want_of_an_address_keeps_its_true_attempts_and_is_not_requeued(
    breach_file, compliance_officer
):
    breach_file.controller.dpo_email = ""
    breach_file.controller.save(update_fields=["dpo_email"])
    notice = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer).queued[0]
    processor_notices.deliver_processor_notice(notice_id=notice.pk)
    assert OutboundEmail.objects.get(pk=notice.email_id).attempts == 1
    again = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer)
    assert (again.requeued, [n.pk for n in again.waiting]) == ([], [notice.pk])
