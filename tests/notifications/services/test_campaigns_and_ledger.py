# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""The notice ledger: one row per person and channel, explicit states, nobody missed, nothing done twice."""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from breachdesk.models import DataSubject
from notifications.delivery import Outcome
from notifications.models import Campaign, Notice, NoticeEvent, NoticeState, UnreachableSubject
from notifications.selectors import progress as campaign_progress_selectors
from notifications.services import campaigns, ledger, notice_texts, references, sending, sweeps
from notifications.services.campaigns import CampaignRefused
from tests.notifications.campaign_fixtures import decide_to_inform, informed_file, make_subjects  # noqa: F401


def _launch(breach_file, user, channels="post,email"):
    return campaigns.launch_campaign(breach_file=breach_file, user=user, channels=channels)


def test_a_campaign_cannot_be_launched_without_a_decision_to_inform(breach_file, lab_dpo):
    make_subjects(breach_file, 3)
    with pytest.raises(CampaignRefused, match="décision"):
        _launch(breach_file, lab_dpo)
    assert not Campaign.objects.exists()
    assert not Notice.objects.exists()


def test_launch_gives_every_covered_person_a_row_per_channel_or_lists_them_unreachable(informed_file, lab_dpo):
    result = _launch(informed_file, lab_dpo)

    assert result.created == {"post": 8, "email": 8}
    assert result.unreachable == 1
    assert result.covered == 12
    covered = set(DataSubject.objects.filter(breach_file=informed_file).values_list("pk", flat=True))
    with_rows = set(Notice.objects.values_list("subject_id", flat=True))
    unreachable = set(UnreachableSubject.objects.values_list("subject_id", flat=True))
    assert with_rows | unreachable == covered
    assert not with_rows & unreachable
    assert set(Notice.objects.values_list("state", flat=True)) == {NoticeState.PENDING}
    assert "8 courriers et 8 e-mails" in result.summary()


def test_launching_twice_creates_nothing_new_and_says_so(informed_file, lab_dpo):
    _launch(informed_file, lab_dpo)
    second = _launch(informed_file, lab_dpo)

    assert second.created_nothing
    assert second.existing == 16
    assert "rien de nouveau" in second.summary()
    assert Notice.objects.count() == 16
    assert Campaign.objects.count() == 1


def test_launching_again_with_another_channel_adds_only_that_channel(informed_file, lab_dpo):
    first = _launch(informed_file, lab_dpo, channels="email")
    assert first.created == {"email": 8}
    # Post-only people and the person with no channel are unreachable by email.
    assert first.unreachable == 4

    second = _launch(informed_file, lab_dpo, channels="post")

    assert second.created == {"post": 8}
    assert second.unreachable == 1
    assert Campaign.objects.get().channels == ["post", "email"]


def test_a_person_added_after_launch_is_covered_by_the_next_launch(informed_file, lab_dpo):
    _launch(informed_file, lab_dpo)
    make_subjects(informed_file, 1, start=50, email=True, post=False)

    again = _launch(informed_file, lab_dpo)

    assert again.created == {"email": 1}


@pytest.mark.parametrize("channels", ["", "fax", "post,pigeon"])
def test_unknown_channels_are_a_usage_error(informed_file, lab_dpo, channels):
    with pytest.raises(ValueError):
        _launch(informed_file, lab_dpo, channels=channels)


def test_the_text_is_frozen_at_launch(informed_file, lab_dpo):
    values = {section: f"{section} v1" for section in notice_texts.SECTIONS}
    campaigns.save_notice_text(breach_file=informed_file, language="fr", values=values, user=lab_dpo)
    with pytest.raises(CampaignRefused, match="Anglais"):
        _launch(informed_file, lab_dpo)
    campaigns.save_notice_text(breach_file=informed_file, language="en", values=values, user=lab_dpo)
    _launch(informed_file, lab_dpo)

    assert Campaign.objects.get().texts["fr"]["what_happened"] == "what_happened v1"
    with pytest.raises(CampaignRefused):
        campaigns.save_notice_text(breach_file=informed_file, language="fr", values=values, user=lab_dpo)


def test_references_carry_a_key_that_catches_typing_errors():
    reference = references.make_reference(12, 4567, "post")

    assert references.normalise_reference(reference) == reference
    assert references.normalise_reference(f"  {reference.lower()} ") == reference
    swapped = reference.replace("4567", "4576")
    assert references.normalise_reference(swapped) is None
    assert references.normalise_reference("nonsense") is None


def test_claimed_emails_are_sending_before_anything_leaves_and_each_move_is_logged(informed_file, lab_dpo):
    _launch(informed_file, lab_dpo)
    claim = ledger.claim_emails(campaign_id=Campaign.objects.get().pk, limit=5)

    assert claim is not None and len(claim.notices) == 5
    assert {n.state for n in claim.notices} == {NoticeState.SENDING}
    # A second worker claims the others, never the same rows.
    other = ledger.claim_emails(campaign_id=claim.notices[0].campaign_id, limit=50)
    assert other is not None
    assert not {n.pk for n in claim.notices} & {n.pk for n in other.notices}

    counts = ledger.record_email_outcomes(claim=claim, outcomes={n.pk: (Outcome.SENT, "") for n in claim.notices})

    assert counts == {NoticeState.SENT: 5}
    sent = Notice.objects.get(pk=claim.notices[0].pk)
    assert sent.state == NoticeState.SENT and sent.sent_at is not None and sent.attempts == 1
    moves = list(NoticeEvent.objects.filter(notice=sent).values_list("from_state", "to_state"))
    assert moves == [("pending", "sending"), ("sending", "sent")]


def test_a_transient_error_retries_later_under_the_same_message_id(informed_file, lab_dpo, settings):
    _launch(informed_file, lab_dpo)
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=1)
    notice = claim.notices[0]
    message_id = notice.message_id

    ledger.record_email_outcomes(claim=claim, outcomes={notice.pk: (Outcome.TRANSIENT, "smtp 451 at RCPT")})

    notice.refresh_from_db()
    assert notice.state == NoticeState.PENDING
    assert notice.last_error == "smtp 451 at RCPT"
    assert notice.next_attempt_at > timezone.now() + timedelta(seconds=settings.NOTICE_RETRY_BACKOFF_SECONDS[0] - 5)
    assert notice.message_id == message_id
    # Not due yet: nobody claims it before its back-off.
    again = ledger.claim_emails(campaign_id=campaign.pk, limit=100)
    assert notice.pk not in {n.pk for n in again.notices}
    later = ledger.claim_emails(campaign_id=campaign.pk, limit=100, now=timezone.now() + timedelta(hours=1))
    assert [n.pk for n in later.notices] == [notice.pk]
    assert later.notices[0].attempts == 2


def test_transient_errors_stop_after_the_last_attempt_and_fall_back_to_a_letter(informed_file, lab_dpo, settings):
    settings.NOTICE_EMAIL_MAX_ATTEMPTS = 2
    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.get()
    notice = Notice.objects.filter(subject__has_postal_address=True, channel="email").first()
    for attempt in range(2):
        claim = ledger.claim_emails(campaign_id=campaign.pk, limit=100, now=timezone.now() + timedelta(days=attempt))
        ledger.record_email_outcomes(
            claim=claim, outcomes={n.pk: (Outcome.TRANSIENT, "smtp 421 at MAIL") for n in claim.notices}
        )

    notice.refresh_from_db()
    assert notice.state == NoticeState.FAILED_PERMANENT
    assert "after 2 attempts" in notice.last_error
    letter = Notice.objects.get(subject=notice.subject, channel="post")
    assert letter.origin == Notice.Origin.EMAIL_UNDELIVERED


def test_a_permanent_failure_creates_exactly_one_letter_for_that_person(informed_file, lab_dpo):
    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=100)

    ledger.record_email_outcomes(
        claim=claim, outcomes={n.pk: (Outcome.PERMANENT, "smtp 550 at RCPT") for n in claim.notices}
    )

    failed = Notice.objects.filter(channel="email", state=NoticeState.FAILED_PERMANENT)
    assert failed.count() == 8
    reachable_by_post = failed.filter(subject__has_postal_address=True)
    assert Notice.objects.filter(channel="post").count() == reachable_by_post.count() == 5
    # Email-only people now have no channel left: listed unreachable for the public-communication decision.
    all_failed = UnreachableSubject.objects.filter(reason=UnreachableSubject.Reason.ALL_FAILED)
    assert all_failed.count() == 3
    # Falling back again (a replayed failure) adds nothing.
    ledger.fall_back_to_other_channel(notice_id=failed.first().pk)
    assert Notice.objects.filter(channel="post").count() == 5


def test_an_email_of_unknown_fate_is_never_resent_automatically(informed_file, lab_dpo):
    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=1)
    notice = claim.notices[0]

    ledger.record_email_outcomes(claim=claim, outcomes={notice.pk: (Outcome.UNKNOWN, "connection lost after the data")})

    later = ledger.claim_emails(campaign_id=campaign.pk, limit=100, now=timezone.now() + timedelta(days=30))
    assert notice.pk not in {n.pk for n in later.notices}
    notice.refresh_from_db()
    assert notice.state == NoticeState.UNKNOWN
    # A person decides: sending again keeps the Message-ID and goes back to the queue.
    moved = ledger.resolve_unknown(breach_file=informed_file, notice_ids=[notice.pk], resend=True, user=lab_dpo)
    assert moved == [notice.pk]
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.PENDING
    assert NoticeEvent.objects.filter(notice=notice, to_state="pending", actor=lab_dpo).exists()


def test_the_sweep_turns_emails_cut_mid_send_into_unknown_and_wakes_due_work(informed_file, lab_dpo, settings):
    _launch(informed_file, lab_dpo)
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=3)
    assert claim is not None
    assert ledger.hand_over(claim=claim, handing=[notice.pk for notice in claim.notices], answered={})

    fresh = sweeps.sweep_ledger()
    assert fresh.unknown == 0
    assert fresh.campaigns == [campaign.pk]

    later = sweeps.sweep_ledger(
        now=timezone.now() + timedelta(seconds=settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS + 1)
    )
    assert later.unknown == 3
    assert Notice.objects.filter(state=NoticeState.UNKNOWN, last_error="worker stopped during sending").count() == 3


def test_the_sweep_returns_claimed_emails_never_handed_to_the_server_to_pending(informed_file, lab_dpo, settings):
    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=3)
    assert claim is not None
    first, *others = claim.notices
    assert ledger.hand_over(claim=claim, handing=[first.pk], answered={})

    report = sweeps.sweep_ledger(
        now=timezone.now() + timedelta(seconds=settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS + 1)
    )

    assert (report.unknown, report.released) == (1, 2)
    assert Notice.objects.get(pk=first.pk).state == NoticeState.UNKNOWN
    for notice in Notice.objects.filter(pk__in=[other.pk for other in others]):
        assert (notice.state, notice.attempts, notice.claim_token) == (NoticeState.PENDING, 0, None)
    assert report.campaigns == [campaign.pk]


def test_an_email_the_server_accepted_is_sent_when_its_worker_stopped_before_recording_it(
    informed_file, lab_dpo, settings
):
    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=3)
    assert claim is not None
    accepted, in_flight, waiting = claim.notices
    # The fence: `accepted` was answered 250 as `in_flight` went out; `waiting` was never handed.
    assert ledger.hand_over(claim=claim, handing=[accepted.pk], answered={})
    assert ledger.hand_over(claim=claim, handing=[in_flight.pk], answered={accepted.pk: Outcome.SENT})
    # The fence writes only the times (no index holds them): the row stays "sending" until the window is recorded.
    row = Notice.objects.get(pk=accepted.pk)
    assert (row.state, row.sent_at is not None) == (NoticeState.SENDING, True)

    report = sweeps.sweep_ledger(
        now=timezone.now() + timedelta(seconds=settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS + 1)
    )

    assert (report.unknown, report.released) == (1, 1)
    states = {notice.pk: notice.state for notice in Notice.objects.filter(campaign=campaign)}
    assert states[accepted.pk] == NoticeState.SENT
    assert states[in_flight.pk] == NoticeState.UNKNOWN
    assert states[waiting.pk] == NoticeState.PENDING
    assert NoticeEvent.objects.filter(
        notice_id=accepted.pk, to_state=NoticeState.SENT, error="recorded after the worker stopped"
    ).exists()


def test_a_claim_whose_heartbeat_is_fresh_is_left_to_its_worker(informed_file, lab_dpo, settings):
    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=3)
    assert claim is not None
    later = timezone.now() + timedelta(seconds=settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS + 1)
    assert ledger.refresh_claims(campaign_id=campaign.pk, tokens=[claim.token], now=later) == 3

    report = sweeps.sweep_ledger(now=later)

    assert (report.unknown, report.released) == (0, 0)
    assert Notice.objects.filter(state=NoticeState.SENDING, claim_token=claim.token).count() == 3


def test_a_taken_back_claim_admits_nothing_more(informed_file, lab_dpo, settings):
    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=2)
    assert claim is not None
    _first, second = claim.notices
    sweeps.sweep_ledger(now=timezone.now() + timedelta(seconds=settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS + 1))

    assert not ledger.hand_over(claim=claim, handing=[second.pk], answered={})
    assert Notice.objects.get(pk=second.pk).handed_at is None


def test_a_late_answer_replaces_the_sweeps_guess_unless_a_person_decided(informed_file, lab_dpo, settings):
    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=2)
    assert claim is not None
    answered, decided = claim.notices
    assert ledger.hand_over(claim=claim, handing=[answered.pk, decided.pk], answered={})
    sweeps.sweep_ledger(now=timezone.now() + timedelta(seconds=settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS + 1))
    ledger.resolve_unknown(breach_file=informed_file, notice_ids=[decided.pk], resend=True, user=lab_dpo)

    counts = ledger.record_email_outcomes(
        claim=claim, outcomes={answered.pk: (Outcome.SENT, ""), decided.pk: (Outcome.SENT, "")}
    )

    assert counts == {NoticeState.SENT: 1}
    assert Notice.objects.get(pk=answered.pk).state == NoticeState.SENT
    assert Notice.objects.get(pk=decided.pk).state == NoticeState.PENDING


def test_a_bounce_marks_the_email_and_creates_exactly_one_letter(informed_file, lab_dpo):
    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=100)
    ledger.record_email_outcomes(claim=claim, outcomes={n.pk: (Outcome.SENT, "") for n in claim.notices})
    email = Notice.objects.filter(channel="email", subject__has_postal_address=True).first()

    bounced = ledger.record_bounce(message_id=email.message_id, reason="dsn 5.1.1")
    ledger.record_bounce(message_id=email.message_id, reason="dsn 5.1.1")

    assert bounced.state == NoticeState.BOUNCED and bounced.bounced_at is not None
    assert Notice.objects.filter(subject=email.subject, channel="post").count() == 1
    assert ledger.record_bounce(message_id="<someone-else@example.org>") is None


def test_the_ledger_holds_no_personal_data_in_errors(informed_file, lab_dpo):
    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=100)
    ledger.record_email_outcomes(
        claim=claim, outcomes={n.pk: (Outcome.PERMANENT, "smtp 550 at RCPT") for n in claim.notices}
    )
    addresses = {n.subject.personal.email for n in claim.notices}
    errors = set(Notice.objects.values_list("last_error", flat=True)) | set(
        NoticeEvent.objects.values_list("error", flat=True)
    )

    assert not any(address in error for address in addresses for error in errors)


def test_campaign_progress_counts_per_channel_and_state(informed_file, lab_dpo):
    _launch(informed_file, lab_dpo)
    progress = campaign_progress_selectors.campaign_progress(Campaign.objects.get())

    assert progress["total"] == 16
    assert progress["channels"]["post"]["total"] == 8
    assert progress["channels"]["email"]["done"] == 0
    assert progress["unreachable"] == 1
    assert not progress["is_finished"]


def _at_once(count: int, work: Callable[[], object]) -> None:
    """Run work in count threads released together, each on its own database connection; fail on any error."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        try:
            barrier.wait()
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_launches_create_each_row_once(breach_file, lab_dpo):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency of launches is about PostgreSQL")
    make_subjects(breach_file, 300, email=True, post=True)
    decide_to_inform(breach_file, lab_dpo)
    results: list[campaigns.LaunchResult] = []

    _at_once(10, lambda: results.append(_launch(breach_file, lab_dpo)))

    assert Notice.objects.count() == 600
    assert Campaign.objects.count() == 1
    assert sum(result.created_total for result in results) == 600
    assert sum(1 for result in results if result.created_nothing) == 9


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_take_each_due_email_once_and_in_windows_of_the_limit(breach_file, lab_dpo):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency of claims is about PostgreSQL")
    make_subjects(breach_file, 400, email=True, post=False)
    decide_to_inform(breach_file, lab_dpo)
    _launch(breach_file, lab_dpo)
    campaign = Campaign.objects.get()
    claimed: list[list[int]] = []

    def work() -> None:
        while claim := ledger.claim_emails(campaign_id=campaign.pk, limit=7):
            claimed.append([notice.pk for notice in claim.notices])

    _at_once(8, work)

    every_id = [pk for window in claimed for pk in window]
    assert len(every_id) == len(set(every_id)) == 400
    assert max(len(window) for window in claimed) == 7
    assert set(Notice.objects.values_list("state", "attempts").distinct()) == {(NoticeState.SENDING, 1)}


def test_composing_a_claimed_window_reads_nothing_more_from_the_database(
    informed_file, lab_dpo, django_assert_num_queries
):
    from notifications.emails import Composer

    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.select_related("breach_file__controller", "breach_file__incident").get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=100)
    assert claim is not None and len(claim.notices) > 1
    composer = Composer(campaign)
    composer.message(claim.notices[0])  # the campaign's bodies, once

    # A field left out of the claim's columns costs one query per email: at 1,000 emails/s it halved the rate.
    with django_assert_num_queries(0):
        for notice in claim.notices[1:]:
            composer.message(notice)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_fences_and_heartbeats_of_one_window_never_deadlock(breach_file, lab_dpo):
    """Each connection fences its own rows while the claim's thread refreshes the whole window's heartbeat.

    Seen in the 2021-case benchmark: the heartbeat's UPDATE of a window and a fence's UPDATE of two of its rows took
    their row locks in different orders, PostgreSQL aborted one, and the worker's task stopped mid-window.
    """
    if connection.vendor != "postgresql":
        pytest.skip("row-lock order is about PostgreSQL")
    make_subjects(breach_file, 200, email=True, post=False)
    decide_to_inform(breach_file, lab_dpo)
    _launch(breach_file, lab_dpo)
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=200)
    assert claim is not None
    ids = [notice.pk for notice in claim.notices]
    # Rows rewritten out of id order, as a window's fences leave them, so a scan by token meets them shuffled.
    random.Random(5).shuffle(ids)
    for pk in ids:
        Notice.objects.filter(pk=pk).update(last_error="")
    lanes = [ids[0::4], ids[1::4], ids[2::4], ids[3::4]]
    turns = iter(range(4))

    def fence_or_beat() -> None:
        lane = next(turns)
        for _ in range(30):
            if lane == 3:
                ledger.refresh_claims(campaign_id=campaign.pk, tokens=[claim.token])
                continue
            mine = lanes[lane]
            for previous, current in itertools.pairwise(reversed(mine)):
                assert ledger.hand_over(claim=claim, handing=[current], answered={previous: Outcome.SENT})

    _at_once(4, fence_or_beat)

    assert Notice.objects.filter(pk__in=ids, state=NoticeState.SENDING, claim_token=claim.token).count() == 200


def test_waking_a_campaign_queues_as_many_renderers_as_configured_and_one_sender(monkeypatch, settings):
    from notifications.tasks import campaigns as campaign_tasks

    queued: list[str] = []
    monkeypatch.setattr(
        campaign_tasks.build_print_batches, "delay_on_commit", lambda pk: queued.append(f"letters {pk}")
    )
    monkeypatch.setattr(campaign_tasks.send_notice_emails, "delay_on_commit", lambda pk: queued.append(f"emails {pk}"))

    campaigns.wake_campaign(7)
    assert queued == ["letters 7", "emails 7"]

    queued.clear()
    settings.NOTICE_RENDER_TASKS = 3
    campaigns.wake_campaign(7)
    assert queued == ["letters 7", "letters 7", "letters 7", "emails 7"]


def test_emails_the_fence_stopped_before_the_server_are_due_again_at_once(informed_file, lab_dpo):
    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=3)
    assert claim is not None
    sent, stopped, _other = claim.notices
    assert ledger.hand_over(claim=claim, handing=[sent.pk], answered={})

    counts = ledger.record_email_outcomes(
        claim=claim, outcomes={sent.pk: (Outcome.SENT, ""), stopped.pk: (Outcome.FENCED, "claim taken back")}
    )

    assert counts == {NoticeState.SENT: 1, NoticeState.PENDING: 1}
    row = Notice.objects.get(pk=stopped.pk)
    assert (row.state, row.attempts, row.claim_token, row.handed_at) == (NoticeState.PENDING, 0, None, None)
    assert NoticeEvent.objects.filter(
        notice=row, to_state=NoticeState.PENDING, error="not sent: fence refused"
    ).exists()
    # The sent time is the fence's, when the server answered, not the record's.
    fenced_at = timezone.now() - timedelta(minutes=5)
    later = ledger.claim_emails(campaign_id=campaign.pk, limit=1)
    assert later is not None
    assert ledger.hand_over(claim=later, handing=[later.notices[0].pk], answered={}, now=fenced_at)
    assert ledger.hand_over(claim=later, handing=[], answered={later.notices[0].pk: Outcome.SENT}, now=fenced_at)
    ledger.record_email_outcomes(claim=later, outcomes={later.notices[0].pk: (Outcome.SENT, "")})
    assert Notice.objects.get(pk=later.notices[0].pk).sent_at == fenced_at


def test_a_direct_fence_lets_go_the_message_its_own_statement_fenced(informed_file, lab_dpo, monkeypatch):
    """Another connection losing the claim while this one's fence statement ran must not strand a handed row."""
    _launch(informed_file, lab_dpo, channels="email")
    campaign = Campaign.objects.get()
    claim = ledger.claim_emails(campaign_id=campaign.pk, limit=2)
    assert claim is not None
    first, second = claim.notices
    fence = sending._Fence(claim, direct=True)
    real_hand_over = sending.hand_over

    def meanwhile_the_other_connection_loses_the_claim(**kwargs):
        held = real_hand_over(**kwargs)
        fence.is_lost = True
        return held

    monkeypatch.setattr(sending, "hand_over", meanwhile_the_other_connection_loses_the_claim)

    assert fence.admit(first.pk, {})  # fenced by this statement: it goes
    assert not fence.admit(second.pk, {first.pk: Outcome.SENT})  # lost before this one: refused...
    rows = {notice.pk: notice for notice in Notice.objects.filter(pk__in=[first.pk, second.pk])}
    assert rows[first.pk].sent_at is not None  # ...and the answer to the first is still noted
    assert rows[second.pk].handed_at is None


def test_a_failing_fence_stops_its_connection_and_keeps_the_outcomes_it_has(settings):
    from django.core.mail import EmailMessage

    from notifications import delivery

    class FailsOnTheSecond:
        def __init__(self) -> None:
            self.asked = 0

        def admit(self, notice_id, answered):
            self.asked += 1
            if self.asked == 2:
                raise RuntimeError("the database went away")
            return True

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    messages = [(pk, EmailMessage(subject="s", body="b", to=["x@example.org"])) for pk in (1, 2, 3)]
    pool = delivery.SenderPool(size=1, backend="django.core.mail.backends.locmem.EmailBackend")
    try:
        results = pool.submit(messages, FailsOnTheSecond()).result()
    finally:
        pool.close()
    pool.close()  # closing twice is harmless

    assert results[1][0] == Outcome.SENT
    assert results[2][0] == results[3][0] == Outcome.FENCED
