# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""A stalled SMTP server and a claim taken back from a live worker: bounded waits, nothing sent twice (issue 13)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from breachdesk.models import DataSubject
from notifications.models import Campaign, Notice, NoticeState
from notifications.services import campaigns, ledger, sending, sweeps
from tests.notifications.campaign_fixtures import (  # noqa: F401
    informed_file,
    smtp_sink,
)


def _launch(breach_file, user) -> Campaign:
    campaigns.launch_campaign(breach_file=breach_file, user=user, channels="email")
    return Campaign.objects.get(breach_file=breach_file)


def _address(notice: Notice) -> str:
    return DataSubject.objects.get(pk=notice.subject_id).personal.email


def _later(settings):
    return timezone.now() + timedelta(seconds=settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS + 1)


def test_a_stalled_smtp_server_costs_one_timeout_and_leaves_only_that_email_unknown(
    informed_file, lab_dpo, smtp_sink, settings
):
    settings.EMAIL_TIMEOUT = 1
    campaign = _launch(informed_file, lab_dpo)
    stalled = Notice.objects.filter(campaign=campaign).order_by("pk").first()
    smtp_sink.stall[_address(stalled)] = 30

    started = time.monotonic()
    counts = sending.send_notice_emails(campaign_id=campaign.pk)
    elapsed = time.monotonic() - started

    # One timeout of the stalled connection, far below the heartbeat timeout after which a claim is taken back.
    assert elapsed < settings.EMAIL_TIMEOUT + 5 < settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS
    assert counts == {NoticeState.SENT: 7, NoticeState.UNKNOWN: 1}
    stalled.refresh_from_db()
    assert stalled.state == NoticeState.UNKNOWN
    assert stalled.last_error.startswith("connection lost after the data")

    # The server lost it: a person decides to send it again, and it arrives once.
    del smtp_sink.stall[_address(stalled)]
    ledger.resolve_unknown(breach_file=informed_file, notice_ids=[stalled.pk], resend=True, user=lab_dpo)
    sending.send_notice_emails(campaign_id=campaign.pk)
    notices = Notice.objects.filter(campaign=campaign)
    assert {notice.state for notice in notices} == {NoticeState.SENT}
    assert dict(smtp_sink.received) == {notice.message_id: 1 for notice in notices}


def test_a_worker_whose_claim_is_taken_back_mid_window_stops_sending_and_nothing_arrives_twice(
    informed_file, lab_dpo, smtp_sink, settings, monkeypatch
):
    campaign = _launch(informed_file, lab_dpo)
    real_hand_over = ledger.hand_over
    calls = []

    def hand_over_then_lose_the_claim(**kwargs):
        # The sweep, believing the worker dead, takes the claim back after the first messages went out.
        calls.append(kwargs["handing"])
        if len(calls) == 3:
            sweeps.sweep_ledger(now=_later(settings))
        return real_hand_over(**kwargs)

    monkeypatch.setattr(sending, "hand_over", hand_over_then_lose_the_claim)
    sending.send_notice_emails(campaign_id=campaign.pk, max_windows=1)

    received_before = sum(smtp_sink.received.values())
    admitted = sum(len(handing) for handing in calls[:2])
    assert received_before == admitted < 8, "the worker went on sending after its claim was taken back"
    states = {notice.message_id: notice.state for notice in Notice.objects.filter(campaign=campaign)}
    # What the server accepted is recorded sent (the worker knew); what never went out is pending again.
    assert {states[message_id] for message_id in smtp_sink.received} == {NoticeState.SENT}
    assert sorted(states.values()).count(NoticeState.PENDING) == 8 - received_before
    assert NoticeState.UNKNOWN not in states.values()

    # A person's resend decision on whatever is unknown, then another worker: each Message-ID still arrives once.
    unknown = list(Notice.objects.filter(campaign=campaign, state=NoticeState.UNKNOWN).values_list("pk", flat=True))
    ledger.resolve_unknown(breach_file=informed_file, notice_ids=unknown, resend=True, user=lab_dpo)
    monkeypatch.setattr(sending, "hand_over", real_hand_over)
    sending.send_notice_emails(campaign_id=campaign.pk)
    notices = Notice.objects.filter(campaign=campaign)
    assert {notice.state for notice in notices} == {NoticeState.SENT}
    assert dict(smtp_sink.received) == {notice.message_id: 1 for notice in notices}


def test_a_message_in_flight_when_the_claim_is_lost_is_unknown_never_sent_again(
    informed_file, lab_dpo, smtp_sink, settings, monkeypatch
):
    campaign = _launch(informed_file, lab_dpo)
    real_hand_over = ledger.hand_over
    taken_back = []

    def lose_the_claim_and_the_answer(**kwargs):
        # The claim is taken back while the first message waits for its answer, and the worker dies with it.
        if kwargs["answered"] and not taken_back:
            taken_back.append(list(kwargs["answered"]))
            sweeps.sweep_ledger(now=_later(settings))
            raise ConnectionError("the worker lost the database")
        return real_hand_over(**kwargs)

    def database_lost(**kwargs):
        raise ConnectionError("the worker lost the database")

    monkeypatch.setattr(sending, "hand_over", lose_the_claim_and_the_answer)
    # The database stays lost for the rest of that worker's life: the window's record cannot be written either.
    monkeypatch.setattr(sending, "record_email_outcomes", database_lost)
    settings.NOTICE_EMAIL_CONNECTIONS = 1
    with pytest.raises(ConnectionError):
        sending.send_notice_emails(campaign_id=campaign.pk, max_windows=1)
    in_flight = taken_back[0]

    assert len(in_flight) == 1
    assert list(Notice.objects.filter(state=NoticeState.UNKNOWN).values_list("pk", flat=True)) == in_flight
    assert Notice.objects.filter(campaign=campaign, state=NoticeState.PENDING).count() == 7
    monkeypatch.undo()
    sending.send_notice_emails(campaign_id=campaign.pk)
    assert Notice.objects.get(pk=in_flight[0]).state == NoticeState.UNKNOWN
    assert max(smtp_sink.received.values()) == 1
    assert sum(smtp_sink.received.values()) == 8


def test_a_fence_that_fails_while_the_database_still_answers_records_what_the_server_accepted(
    informed_file, lab_dpo, smtp_sink, settings, monkeypatch
):
    campaign = _launch(informed_file, lab_dpo)
    real_hand_over = ledger.hand_over
    failed = []

    def fail_once_with_an_answer(**kwargs):
        if kwargs["answered"] and not failed:
            failed.append(list(kwargs["answered"]))
            raise ConnectionError("one fence statement failed")
        return real_hand_over(**kwargs)

    monkeypatch.setattr(sending, "hand_over", fail_once_with_an_answer)
    settings.NOTICE_EMAIL_CONNECTIONS = 1
    with pytest.raises(ConnectionError):
        sending.send_notice_emails(campaign_id=campaign.pk, max_windows=1)

    # The window is recorded on the way out: the message the server accepted is sent, the others due again.
    accepted = failed[0]
    assert list(Notice.objects.filter(state=NoticeState.SENT).values_list("pk", flat=True)) == accepted
    assert Notice.objects.filter(campaign=campaign, state=NoticeState.PENDING).count() == 7
    monkeypatch.undo()
    sending.send_notice_emails(campaign_id=campaign.pk)
    assert {notice.state for notice in Notice.objects.filter(campaign=campaign)} == {NoticeState.SENT}
    assert max(smtp_sink.received.values()) == 1
    assert sum(smtp_sink.received.values()) == 8
