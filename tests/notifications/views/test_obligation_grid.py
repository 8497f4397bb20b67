"""The compliance dashboard's obligation grid: every lab of the group, one column per regime."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from breachdesk.obligations import services

pytestmark = pytest.mark.django_db


def test_the_compliance_officer_sees_each_lab_s_obligations_in_one_grid(
    client, breach_file, other_breach_file, outside_breach_file, lab_dpo, compliance_officer
):
    breach_file.became_aware_at = timezone.now() - timedelta(hours=100)
    breach_file.save(update_fields=["became_aware_at"])
    services.record_phase_submission(
        incident=breach_file.incident,
        breach_file=breach_file,
        regime="csp_l1111_8_2",
        phase="declaration",
        submitted_at=timezone.now() - timedelta(hours=90),
        reference="ARS-35-42",
        user=lab_dpo,
    )
    services.decide_obligation(
        incident=other_breach_file.incident,
        breach_file=other_breach_file,
        regime="nis2_art23",
        applicability="does_not_apply",
        reason="Site unique, ni essentiel ni important.",
        user=None,
    )
    client.force_login(compliance_officer)

    page = client.get(reverse("notifications:dashboard")).content.decode()

    grid = page[page.index('data-testid="obligation-grid"') :]
    rennes = grid[grid.index('data-organisation="LAB-RENNES"') :]
    assert '<td data-regime="csp_l1111_8_2" data-state="done">' in rennes.split("</tr>")[0]
    assert "ARS-35-42" in rennes.split("</tr>")[0]
    assert '<td data-regime="lopmi_l12_10_1" data-state="late">' in rennes.split("</tr>")[0]
    other = grid[grid.index(f'data-organisation="{other_breach_file.controller.code}"') :].split("</tr>")[0]
    assert '<td data-regime="nis2_art23" data-state="not_applicable">' in other
    assert f'data-organisation="{outside_breach_file.controller.code}"' not in grid
