"""The phases done in notifications count on the obligations list: the CNIL filing, the processor's notice."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from breachdesk.obligations import selectors
from breachdesk.obligations.selectors import PhaseState
from notifications.models import Filing


def test_a_submitted_initial_filing_makes_the_art33_initial_phase_done_with_the_cnil_case_number(breach_file):
    submitted_at = breach_file.became_aware_at + timedelta(hours=5)
    Filing.objects.create(
        breach_file=breach_file,
        kind=Filing.Kind.INITIAL,
        version=1,
        template="cnil_2024",
        prepared_at=submitted_at,
        submitted_at=submitted_at,
        cnil_case_number="CNIL-2026-001234",
    )

    rows = {
        (row.regime.code, row.phase.code): row for row in selectors.obligations_of_breach_file(breach_file=breach_file)
    }

    initial = rows["gdpr_art33", "initial"]
    assert (initial.state, initial.reference, initial.submitted_at) == (
        PhaseState.DONE,
        "CNIL-2026-001234",
        submitted_at,
    )
    assert initial.is_recorded_elsewhere
    # Art. 33(4): the complementary notification now runs, without undue delay.
    assert rows["gdpr_art33", "complementary"].state == PhaseState.DUE
    assert rows["gdpr_art33", "complementary"].start_at == submitted_at


def test_the_art33_2_notice_is_done_once_the_controller_was_informed(breach_file):
    rows = {
        (row.regime.code, row.phase.code, row.controller_code): row
        for row in selectors.obligations_of_processor(incident=breach_file.incident, now=timezone.now())
    }
    assert rows["gdpr_art33_2", "notice", "LAB-RENNES"].state == PhaseState.DUE
    assert rows["gdpr_art33_2", "updates", "LAB-RENNES"].state == PhaseState.WAITING
