# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""Deadline reminders at 24 h and 6 h before the deadline and when it passes: once each, whatever beat does."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from breachdesk.models import Role
from breachdesk.services import record_authority_notification
from notifications.models import Campaign, DeadlineReminder, EmailState, OutboundEmail
from notifications.services import reminders, sweeps
from notifications.tasks import reminders as reminder_tasks
from tests.factories import BreachFileFactory, DataSubjectFactory, UserFactory
from tests.notifications.campaign_fixtures import smtp_sink  # noqa: F401

pytestmark = pytest.mark.django_db
AWARE = datetime(2021, 2, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _addresses(lab_dpo, other_lab_dpo, compliance_officer):
    for user in (lab_dpo, other_lab_dpo, compliance_officer):
        user.email = f"{user.username}@example.org"
        user.save()


@pytest.fixture
def aware_file(breach_file):
    breach_file.became_aware_at = AWARE
    breach_file.save()
    return breach_file


def beat(at: datetime) -> None:
    """One tick of Celery beat, with time frozen at `at`, the sends running in-process after commit."""
    reminder_tasks.send_deadline_reminders(now=at.isoformat())


def test_reminders_fire_once_each_across_a_restarted_beat(
    aware_file, lab_dpo, compliance_officer, eager_tasks, django_capture_on_commit_callbacks
):
    deadline = aware_file.authority_deadline
    moments = [
        deadline - timedelta(hours=30),  # nothing yet
        deadline - timedelta(hours=24),  # 24 h reminder
        deadline - timedelta(hours=23, minutes=59),  # beat restarted: the same ticks again
        deadline - timedelta(hours=24),
        deadline - timedelta(hours=6),  # 6 h reminder
        deadline - timedelta(hours=5),
        deadline,  # passed
        deadline + timedelta(minutes=1),
        deadline + timedelta(days=3),
    ]
    for moment in moments:
        with django_capture_on_commit_callbacks(execute=True):
            beat(moment)
        with django_capture_on_commit_callbacks(execute=True):
            beat(moment)  # twice at each instant, as two beats would after a restart
    assert [message.subject for message in mail.outbox] == [
        "[BreachDesk] Il reste 24 h 00 pour notifier la CNIL — INC-2021-0001 / LAB-RENNES",
        "[BreachDesk] Il reste 6 h 00 pour notifier la CNIL — INC-2021-0001 / LAB-RENNES",
        "[BreachDesk] Délai CNIL dépassé — INC-2021-0001 / LAB-RENNES",
    ]
    assert sorted(DeadlineReminder.objects.values_list("kind", "email__state")) == [
        ("24h", "sent"),
        ("6h", "sent"),
        ("passed", "sent"),
    ]
    first = mail.outbox[0]
    assert sorted(first.to) == sorted(["dpo@lab-rennes.example.org", lab_dpo.email, compliance_officer.email])
    assert "Il reste 24 h 00 pour notifier la CNIL" in first.body
    assert "Échéance : 23/02/2021 10:30 (heure de Paris)" in first.body
    assert "La notification reste due : elle doit désormais indiquer les motifs du retard." in mail.outbox[2].body


def test_the_ledger_refuses_a_second_reminder_of_the_same_kind_at_the_database(aware_file):
    def email():
        return OutboundEmail.objects.create(kind="deadline_reminder", breach_file=aware_file, created_at=AWARE)

    DeadlineReminder.objects.create(
        breach_file=aware_file, kind="6h", deadline_at=AWARE, created_at=AWARE, email=email()
    )
    second = email()
    with pytest.raises(IntegrityError), transaction.atomic():
        DeadlineReminder.objects.create(
            breach_file=aware_file, kind="6h", deadline_at=AWARE, created_at=AWARE, email=second
        )


def test_a_file_created_close_to_its_deadline_gets_only_the_latest_reminder(aware_file):
    created = reminders.schedule_deadline_reminders(now=aware_file.authority_deadline - timedelta(hours=2))
    assert [reminder.kind for reminder in created] == ["6h"]


def test_a_notified_file_gets_no_reminder_and_a_queued_one_is_cancelled(aware_file, lab_dpo):
    reminder = reminders.schedule_deadline_reminders(now=aware_file.authority_deadline - timedelta(hours=5))[0]
    record_authority_notification(
        breach_file=aware_file, notified_at=aware_file.authority_deadline - timedelta(hours=4), user=lab_dpo
    )
    reminders.send_deadline_reminder(reminder_id=reminder.pk)
    reminder.refresh_from_db()
    assert reminder.email.state == EmailState.CANCELLED
    assert reminders.schedule_deadline_reminders(now=aware_file.authority_deadline + timedelta(hours=1)) == []
    assert mail.outbox == []


def test_reminders_carry_no_personal_data_of_data_subjects(aware_file, lab_dpo):
    subjects = DataSubjectFactory.create_batch(3, breach_file=aware_file)
    for reminder in reminders.schedule_deadline_reminders(now=aware_file.authority_deadline - timedelta(hours=1)):
        reminders.send_deadline_reminder(reminder_id=reminder.pk)
    message = mail.outbox[0]
    text = message.subject + message.body
    for subject in subjects:
        personal = subject.personal
        for value in filter(None, (personal.last_name, personal.nir, personal.email, personal.patient_ref)):
            assert value not in text
    assert "\n" not in message.subject


def test_reminders_go_to_the_lab_and_its_group_not_to_other_labs_or_groups(
    aware_file, lab_dpo, other_lab_dpo, compliance_officer, outside_lab
):
    UserFactory(
        username="compliance.sud", email="sud@example.org", role=Role.COMPLIANCE_OFFICER, group=outside_lab.group
    )
    UserFactory(
        username="former.dpo",
        email="former@example.org",
        role=Role.DPO,
        organisation=aware_file.controller,
        is_active=False,
    )
    UserFactory(username="mailroom.2", email="mail@example.org", role=Role.MAILROOM, group=aware_file.controller.group)
    for reminder in reminders.schedule_deadline_reminders(now=aware_file.authority_deadline - timedelta(hours=1)):
        reminders.send_deadline_reminder(reminder_id=reminder.pk)
    assert sorted(mail.outbox[0].to) == sorted(["dpo@lab-rennes.example.org", lab_dpo.email, compliance_officer.email])


def test_a_reminder_left_mid_send_by_a_dead_worker_becomes_unknown_and_is_not_resent(aware_file, lab_dpo):
    now = aware_file.authority_deadline - timedelta(hours=1)
    reminder = reminders.schedule_deadline_reminders(now=now)[0]
    OutboundEmail.objects.filter(pk=reminder.email_id).update(state=EmailState.SENDING, claimed_at=now, attempts=1)
    sweeps.sweep_outbound_emails(now=now + timedelta(minutes=20))
    reminder.refresh_from_db()
    assert reminder.email.state == EmailState.UNKNOWN
    reminders.send_deadline_reminder(reminder_id=reminder.pk)
    assert mail.outbox == []


def test_each_file_has_its_own_clock(incident, lab_dpo):
    early = BreachFileFactory(incident=incident, became_aware_at=AWARE)
    late = BreachFileFactory(incident=incident, became_aware_at=AWARE + timedelta(hours=20))
    created = reminders.schedule_deadline_reminders(now=AWARE + timedelta(hours=50))
    assert [(reminder.breach_file_id, reminder.kind) for reminder in created] == [(early.pk, "24h")]
    created = reminders.schedule_deadline_reminders(now=AWARE + timedelta(hours=70))
    assert sorted((reminder.breach_file_id, reminder.kind) for reminder in created) == sorted(
        [(early.pk, "6h"), (late.pk, "24h")]
    )


def test_the_subject_and_the_body_agree_on_the_time_left_at_2_h_59_min_40_s(aware_file, lab_dpo):
    moment = aware_file.authority_deadline - timedelta(hours=2, minutes=59, seconds=40)
    (reminder,) = reminders.schedule_deadline_reminders(now=moment)
    reminders.send_deadline_reminder(reminder_id=reminder.pk, now=moment + timedelta(minutes=7))
    (message,) = mail.outbox
    assert message.subject == "[BreachDesk] Il reste 2 h 59 pour notifier la CNIL — INC-2021-0001 / LAB-RENNES"
    assert "Il reste 2 h 59 pour notifier la CNIL" in message.body


def test_time_left_is_counted_once_rounded_down_to_the_minute():
    assert reminders.TimeLeft.of(timedelta(hours=2, minutes=59, seconds=40)).text == "2 h 59"
    assert reminders.TimeLeft.of(timedelta(seconds=40)).text == "0 h 00"
    assert not reminders.TimeLeft.of(timedelta(seconds=40)).is_passed
    assert reminders.TimeLeft.of(timedelta(seconds=-5)).is_passed


DECIDED = datetime(2021, 2, 21, 8, 0, tzinfo=UTC)


def decide_to_inform(breach_file, user, *, at=DECIDED):
    from breachdesk import assessment

    assessment.assess_risk(
        breach_file=breach_file,
        user=user,
        exposures=["identity", "contact", "nir", "hiv"],
        identification="maximum",
        confidentiality="unknown_recipients",
        integrity="none",
        availability="none",
        is_malicious=True,
        at=at - timedelta(minutes=5),
    )
    return assessment.record_decision(
        breach_file=breach_file,
        user=user,
        kind="inform_subjects",
        outcome="inform",
        levels=["high", "very_high"],
        rationale="Données de santé publiées.",
        at=at,
    )


def test_persons_not_informed_after_the_decision_are_reminded_after_the_delay_then_at_each_interval_once(
    aware_file, lab_dpo, compliance_officer, settings, smtp_sink, eager_tasks, django_capture_on_commit_callbacks
):
    settings.INFORM_REMINDER_AFTER_HOURS = 24
    settings.INFORM_REMINDER_INTERVAL_HOURS = 12
    record_authority_notification(breach_file=aware_file, notified_at=DECIDED, user=lab_dpo)
    decision = decide_to_inform(aware_file, lab_dpo)
    for hours in (1, 23.9, 24, 24, 30, 36, 36.5, 36):
        with django_capture_on_commit_callbacks(execute=True):
            beat(DECIDED + timedelta(hours=hours))
    sent = DeadlineReminder.objects.filter(kind="inform").order_by("sequence")
    assert list(sent.values_list("sequence", "decision_id", "email__state")) == [
        (0, decision.pk, "sent"),
        (1, decision.pk, "sent"),
    ]
    assert len(smtp_sink.received) == 2 and set(smtp_sink.received.values()) == {1}
    messages = [email.message_from_bytes(raw, policy=email.policy.default) for raw in smtp_sink.messages.values()]
    first, second = sorted(messages, key=lambda message: str(message["Subject"]).strip())
    assert str(first["Subject"]).strip() == (
        "[BreachDesk] Personnes concernées pas encore informées, 24 h après la décision — INC-2021-0001 / LAB-RENNES"
    )
    assert "36 h après la décision" in str(second["Subject"])
    body = first.get_content()
    assert "a été prise le 21/02/2021 09:00 (heure de Paris), il y a 24 h" in body
    assert "/files/INC-2021-0001/LAB-RENNES/campaign/" in body
    assert sorted(address.strip() for address in first["To"].split(",")) == sorted(
        ["dpo@lab-rennes.example.org", lab_dpo.email, compliance_officer.email]
    )

    # The campaign is launched: a reminder already queued is cancelled and no further one is added.
    pending = reminders.schedule_inform_reminders(now=DECIDED + timedelta(hours=48))
    Campaign.objects.create(
        breach_file=aware_file,
        decision=decision,
        channels=["post"],
        envelope_stock="c5",
        letter_date=DECIDED.date(),
        launched_at=DECIDED + timedelta(hours=48, minutes=1),
    )
    reminders.send_deadline_reminder(reminder_id=pending[0].pk)
    pending[0].refresh_from_db()
    assert pending[0].email.state == EmailState.CANCELLED
    assert reminders.schedule_inform_reminders(now=DECIDED + timedelta(hours=72)) == []
    assert len(smtp_sink.received) == 2


def test_no_inform_reminder_without_a_decision_to_inform_or_once_decided_again(aware_file, lab_dpo, settings):
    settings.INFORM_REMINDER_AFTER_HOURS = 24
    settings.INFORM_REMINDER_INTERVAL_HOURS = 24
    first = decide_to_inform(aware_file, lab_dpo)
    (reminder,) = reminders.schedule_inform_reminders(now=DECIDED + timedelta(hours=25))
    assert reminder.decision == first
    from breachdesk import assessment

    assessment.record_decision(
        breach_file=aware_file,
        user=lab_dpo,
        kind="inform_subjects",
        outcome="exempt_unintelligible",
        rationale="The published archive was encrypted.",
        override_rationale="The key was not published.",
        at=DECIDED + timedelta(hours=26),
    )
    reminders.send_deadline_reminder(reminder_id=reminder.pk)
    reminder.refresh_from_db()
    assert (reminder.email.state, reminder.email.last_error) == (EmailState.CANCELLED, "decision superseded")
    assert reminders.schedule_inform_reminders(now=DECIDED + timedelta(hours=60)) == []
    assert mail.outbox == []


def test_reminder_links_follow_the_site_url_setting(aware_file, settings):
    settings.BREACHDESK_SITE_URL = "http://127.0.0.1:8106/"
    for reminder in reminders.schedule_deadline_reminders(now=aware_file.authority_deadline - timedelta(hours=1)):
        reminders.send_deadline_reminder(reminder_id=reminder.pk)

    body = mail.outbox[0].body
    path = f"/files/{aware_file.incident.reference}/{aware_file.controller.code}/"
    assert f"http://127.0.0.1:8106{path}" in body
    assert "localhost:8000" not in body
