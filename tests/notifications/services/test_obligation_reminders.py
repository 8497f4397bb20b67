"""Reminders of the other obligations (complaint, NIS2, insurer): 24 h and 6 h before and once passed, once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from breachdesk.obligations import services as obligations
from notifications.models import EmailState, ObligationReminder, OutboundEmail
from notifications.services import sweeps
from notifications.services.obligation_reminders import send_obligation_reminder
from notifications.tasks import reminders as reminder_tasks

pytestmark = pytest.mark.django_db
AWARE = datetime(2026, 10, 23, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _addresses(lab_dpo, compliance_officer):
    for user in (lab_dpo, compliance_officer):
        user.email = f"{user.username}@example.org"
        user.save()


@pytest.fixture
def aware_file(breach_file):
    breach_file.became_aware_at = AWARE
    breach_file.discovered_at = AWARE
    breach_file.save()
    return breach_file


def beat(at: datetime) -> None:
    reminder_tasks.send_obligation_reminders(now=at.isoformat())


def test_the_complaint_is_reminded_once_each_across_a_restarted_beat(
    aware_file, eager_tasks, django_capture_on_commit_callbacks
):
    due = AWARE + timedelta(hours=72)
    for moment in [
        due - timedelta(hours=30),
        due - timedelta(hours=24),
        due - timedelta(hours=23),
        due - timedelta(hours=6),
        due,
        due + timedelta(days=2),
    ]:
        for _ in range(2):  # two beats at each instant, as after a restart
            with django_capture_on_commit_callbacks(execute=True):
                beat(moment)

    subjects = [message.subject for message in mail.outbox]
    assert subjects == [
        "[BreachDesk] Il reste 24 h 00 : lopmi_l12_10_1 / complaint — INC-2021-0001 / LAB-RENNES",
        "[BreachDesk] Il reste 6 h 00 : lopmi_l12_10_1 / complaint — INC-2021-0001 / LAB-RENNES",
        "[BreachDesk] Échéance dépassée : lopmi_l12_10_1 / complaint — INC-2021-0001 / LAB-RENNES",
    ]
    assert "Plainte pénale pour l'assurance" in mail.outbox[0].body
    # 72 hours across the October DST change: 10:30 Paris time on 26 October.
    assert "Échéance : 26/10/2026 10:30 (heure de Paris)" in mail.outbox[0].body
    assert sorted(ObligationReminder.objects.values_list("kind", "email__state")) == [
        ("24h", "sent"),
        ("6h", "sent"),
        ("passed", "sent"),
    ]
    # Art. 33(1) is reminded by its own reminders, never a second time here; ARS has no due time.
    assert not ObligationReminder.objects.exclude(regime="lopmi_l12_10_1").exists()


def test_a_phase_done_before_its_reminder_is_sent_is_cancelled_and_not_reminded_again(
    aware_file, lab_dpo, django_capture_on_commit_callbacks
):
    due = AWARE + timedelta(hours=72)
    with django_capture_on_commit_callbacks(execute=False):
        beat(due - timedelta(hours=24))
    obligations.record_phase_submission(
        incident=aware_file.incident,
        breach_file=aware_file,
        regime="lopmi_l12_10_1",
        phase="complaint",
        submitted_at=due - timedelta(hours=23),
        reference="PV-1",
        user=lab_dpo,
        now=due - timedelta(hours=23),
    )

    reminder = ObligationReminder.objects.get()
    send_obligation_reminder(reminder_id=reminder.pk, now=due - timedelta(hours=22))
    beat(due + timedelta(hours=1))

    assert OutboundEmail.objects.get().state == EmailState.CANCELLED
    assert ObligationReminder.objects.count() == 1
    assert mail.outbox == []


def test_nis2_phases_are_reminded_only_once_the_dpo_decided_nis2_applies(
    aware_file, lab_dpo, django_capture_on_commit_callbacks
):
    early_due = AWARE + timedelta(hours=24)
    beat(early_due - timedelta(hours=5))
    assert not ObligationReminder.objects.filter(regime="nis2_art23").exists()

    obligations.decide_obligation(
        incident=aware_file.incident,
        breach_file=aware_file,
        regime="nis2_art23",
        applicability="applies",
        reason="Entité importante.",
        user=lab_dpo,
    )
    beat(early_due - timedelta(hours=5))

    assert list(ObligationReminder.objects.filter(regime="nis2_art23").values_list("phase", "kind")) == [
        ("early_warning", "6h")
    ]


def test_a_reminder_email_whose_wake_up_was_lost_is_queued_again_by_the_sweep(
    aware_file, django_capture_on_commit_callbacks
):
    due = AWARE + timedelta(hours=72)
    with django_capture_on_commit_callbacks(execute=False):
        beat(due - timedelta(hours=6))
    counts = sweeps.sweep_outbound_emails(now=due + timedelta(hours=1))
    assert counts["emails_requeued"] == 1
