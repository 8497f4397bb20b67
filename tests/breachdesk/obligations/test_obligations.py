"""Obligations of a breach file and of its processor: defaults, decisions, states, late phases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from breachdesk.formats import PARIS
from breachdesk.models import AuditEvent, AuditObject, ObligationDecision, PhaseSubmission
from breachdesk.models.audit import AppendOnlyError
from breachdesk.obligations import selectors, services
from breachdesk.obligations.selectors import PhaseState
from breachdesk.timeline import TimelineKind

AWARE_AT = datetime(2026, 3, 27, 10, 0, tzinfo=PARIS)


@pytest.fixture
def aware_file(breach_file):
    breach_file.became_aware_at = AWARE_AT
    breach_file.discovered_at = AWARE_AT - timedelta(hours=5)
    breach_file.save(update_fields=["became_aware_at", "discovered_at"])
    breach_file.incident.processor_became_aware_at = AWARE_AT - timedelta(hours=20)
    breach_file.incident.save(update_fields=["processor_became_aware_at"])
    return breach_file


def rows_by_key(rows):
    return {(row.regime.code, row.phase.code, row.controller_code): row for row in rows}


def of_file(breach_file, now):
    return {
        (key[0], key[1]): row
        for key, row in rows_by_key(selectors.obligations_of_breach_file(breach_file=breach_file, now=now)).items()
    }


def test_each_controller_regime_falls_due_from_its_start_event(aware_file):
    rows = of_file(aware_file, AWARE_AT + timedelta(hours=1))

    # 72 hours of elapsed time across the March DST change: 11:00 on the Paris clock, not 10:00.
    assert rows["gdpr_art33", "initial"].due_at == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    assert rows["lopmi_l12_10_1", "complaint"].due_at == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    assert rows["nis2_art23", "early_warning"].due_at == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    assert rows["nis2_art23", "notification"].due_at == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    # "Sans délai" from discovery: started, no due time.
    declaration = rows["csp_l1111_8_2", "declaration"]
    assert declaration.start_at == AWARE_AT - timedelta(hours=5)
    assert declaration.due_at is None
    assert declaration.state == PhaseState.DUE
    # Later phases wait for the earlier phase's submission; Art. 34 waits for the decision to inform.
    assert rows["nis2_art23", "final_report"].state == PhaseState.NOT_DECIDED
    assert rows["gdpr_art33", "complementary"].state == PhaseState.WAITING
    assert rows["gdpr_art34", "messages"].state == PhaseState.NOT_DECIDED
    assert ("gdpr_art33_2", "notice") not in rows


def test_defaults_a_dpo_can_see_before_deciding(aware_file):
    rows = of_file(aware_file, AWARE_AT)

    assert rows["csp_l1111_8_2", "declaration"].applies is True
    assert rows["csp_l1111_8_2", "declaration"].is_default
    assert rows["nis2_art23", "early_warning"].applies is None
    assert rows["insurer_notice", "notice"].applies is None
    assert rows["insurer_notice", "notice"].due_at is None


def test_the_insurer_notice_falls_due_after_the_hours_of_the_lab_policy(aware_file):
    aware_file.controller.insurer_notice_hours = 48
    aware_file.controller.save(update_fields=["insurer_notice_hours"])

    row = of_file(aware_file, AWARE_AT)["insurer_notice", "notice"]

    assert row.applies is True
    assert row.due_at == datetime(2026, 3, 29, 9, 0, tzinfo=UTC)


def test_a_dpo_decides_nis2_applies_with_a_reason_audited_and_on_the_timeline(aware_file, lab_dpo):
    decision = services.decide_obligation(
        incident=aware_file.incident,
        breach_file=aware_file,
        regime="nis2_art23",
        applicability="applies",
        reason="Groupe de plus de 250 salariés : entité importante.",
        user=lab_dpo,
    )

    row = of_file(aware_file, AWARE_AT + timedelta(hours=1))["nis2_art23", "early_warning"]
    assert row.applies is True and not row.is_default
    assert row.state == PhaseState.DUE
    assert decision.decided_by == lab_dpo
    audit = AuditEvent.objects.get(object_type=AuditObject.OBLIGATION_DECISION)
    assert (audit.username, audit.detail, audit.organisation_id) == (
        "dpo.rennes",
        "nis2_art23=applies",
        aware_file.controller_id,
    )
    event = aware_file.events.get(kind=TimelineKind.OBLIGATION_DECIDED)
    assert event.params["regime"] == "nis2_art23"
    assert "NIS2" in event.text


def test_the_latest_decision_wins_and_decisions_are_never_changed(aware_file, lab_dpo):
    for applicability in ("applies", "does_not_apply"):
        services.decide_obligation(
            incident=aware_file.incident,
            breach_file=aware_file,
            regime="nis2_art23",
            applicability=applicability,
            reason="Après vérification de l'effectif.",
            user=lab_dpo,
        )

    rows = of_file(aware_file, AWARE_AT)
    assert rows["nis2_art23", "notification"].state == PhaseState.NOT_APPLICABLE
    assert rows["nis2_art23", "notification"].applies is False
    decision = ObligationDecision.objects.latest_first().first()
    assert decision is not None
    with pytest.raises(AppendOnlyError):
        decision.save()


def test_a_decision_without_a_reason_is_refused(aware_file, lab_dpo):
    with pytest.raises(services.ObligationRefused):
        services.decide_obligation(
            incident=aware_file.incident,
            breach_file=aware_file,
            regime="nis2_art23",
            applicability="applies",
            reason="  ",
            user=lab_dpo,
        )
    assert not ObligationDecision.objects.exists()


def test_an_overdue_complaint_is_late_and_its_late_submission_requires_reasons(aware_file, lab_dpo):
    now = AWARE_AT + timedelta(hours=80)
    assert of_file(aware_file, now)["lopmi_l12_10_1", "complaint"].state == PhaseState.LATE

    arguments = {
        "incident": aware_file.incident,
        "breach_file": aware_file,
        "regime": "lopmi_l12_10_1",
        "phase": "complaint",
        "submitted_at": AWARE_AT + timedelta(hours=75),
        "reference": "PV 2026/00123",
        "user": lab_dpo,
        "now": now,
    }
    with pytest.raises(services.LatePhaseError):
        services.record_phase_submission(**arguments)
    services.record_phase_submission(**arguments, delay_reasons="Commissariat fermé le dimanche.")

    row = of_file(aware_file, now)["lopmi_l12_10_1", "complaint"]
    assert row.state == PhaseState.DONE
    assert (row.reference, row.is_late, row.delay_reasons) == ("PV 2026/00123", True, "Commissariat fermé le dimanche.")
    assert aware_file.events.get(kind=TimelineKind.OBLIGATION_SUBMITTED).params == {
        "regime": "lopmi_l12_10_1",
        "phase": "complaint",
        "late": True,
    }
    assert AuditEvent.objects.filter(object_type=AuditObject.OBLIGATION_SUBMISSION).count() == 1


def test_the_nis2_final_report_is_due_one_month_after_the_notification_was_submitted(aware_file, lab_dpo):
    services.decide_obligation(
        incident=aware_file.incident,
        breach_file=aware_file,
        regime="nis2_art23",
        applicability="applies",
        reason="Entité essentielle.",
        user=lab_dpo,
    )
    notified_at = datetime(2026, 3, 29, 23, 30, tzinfo=PARIS)  # the night of the DST change
    assert of_file(aware_file, notified_at)["nis2_art23", "final_report"].state == PhaseState.WAITING
    with pytest.raises(services.ObligationRefused):
        services.record_phase_submission(
            incident=aware_file.incident,
            breach_file=aware_file,
            regime="nis2_art23",
            phase="final_report",
            submitted_at=notified_at,
            reference="",
            user=lab_dpo,
            now=notified_at,
        )
    services.record_phase_submission(
        incident=aware_file.incident,
        breach_file=aware_file,
        regime="nis2_art23",
        phase="notification",
        submitted_at=notified_at,
        reference="CERTFR-2026-0042",
        user=lab_dpo,
        now=notified_at,
    )

    final = of_file(aware_file, notified_at)["nis2_art23", "final_report"]
    assert final.state == PhaseState.DUE
    assert final.due_at == datetime(2026, 4, 29, 23, 30, tzinfo=PARIS).astimezone(UTC)


def test_a_phase_of_an_obligation_that_does_not_apply_cannot_be_recorded(aware_file, lab_dpo):
    with pytest.raises(services.ObligationRefused):
        services.record_phase_submission(
            incident=aware_file.incident,
            breach_file=aware_file,
            regime="nis2_art23",
            phase="early_warning",
            submitted_at=AWARE_AT,
            reference="",
            user=lab_dpo,
            now=AWARE_AT + timedelta(hours=1),
        )
    assert not PhaseSubmission.objects.exists()


def test_the_processor_owes_each_controller_its_notice_and_its_own_cra_reports(
    aware_file, other_breach_file, admin_user
):
    incident = aware_file.incident
    now = AWARE_AT
    rows = rows_by_key(selectors.obligations_of_processor(incident=incident, now=now))

    assert rows["gdpr_art33_2", "notice", "LAB-RENNES"].applies is True
    assert rows["gdpr_art33_2", "notice", other_breach_file.controller.code].due_at is None
    early = rows["cra_art14", "early_warning", ""]
    assert early.applies is None
    # 24 hours from the processor's awareness (26 March 14:00 Paris, before the DST change).
    assert early.due_at == datetime(2026, 3, 27, 13, 0, tzinfo=UTC)

    services.decide_obligation(
        incident=incident,
        breach_file=None,
        regime="cra_art14",
        applicability="applies",
        reason="Incident grave touchant le logiciel fabriqué par l'éditeur.",
        user=admin_user,
    )
    services.record_phase_submission(
        incident=incident,
        breach_file=None,
        regime="cra_art14",
        phase="early_warning",
        submitted_at=AWARE_AT - timedelta(hours=2),
        reference="ENISA-SRP-77",
        user=admin_user,
        now=now,
    )

    rows = rows_by_key(selectors.obligations_of_processor(incident=incident, now=now))
    assert rows["cra_art14", "early_warning", ""].state == PhaseState.DONE
    assert rows["cra_art14", "early_warning", ""].reference == "ENISA-SRP-77"
    assert rows["cra_art14", "notification", ""].state == PhaseState.DUE
    assert ObligationDecision.objects.get().breach_file is None
    assert AuditEvent.objects.get(object_type=AuditObject.OBLIGATION_DECISION).organisation_id == incident.processor_id
