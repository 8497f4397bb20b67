"""The obligations panel of the breach file page: the DPO decides and records, others only read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from breachdesk.formats import PARIS
from breachdesk.models import AuditEvent, ObligationDecision, PhaseSubmission

pytestmark = pytest.mark.django_db


def _urls(breach_file):
    args = [breach_file.incident.reference, breach_file.controller.code]
    return {
        "detail": reverse("breach_file_detail", args=args),
        "decide": reverse("obligation_decide", args=[*args, "nis2_art23"]),
        "submit": reverse("obligation_submit", args=[*args, "lopmi_l12_10_1", "complaint"]),
        "declare": reverse("obligation_submit", args=[*args, "csp_l1111_8_2", "declaration"]),
    }


def _paris_input(moment):
    return moment.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def test_the_breach_file_page_lists_the_obligations_in_the_order_they_fall_due(client, breach_file, lab_dpo):
    client.force_login(lab_dpo)
    with translation.override("en"):
        response = client.get(_urls(breach_file)["detail"], HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()

    assert response.status_code == 200
    assert 'data-testid="obligations-panel"' in page
    early_warning = page.index('data-regime="nis2_art23" data-phase="early_warning"')
    initial = page.index('data-regime="gdpr_art33" data-phase="initial"')
    declaration = page.index('data-regime="csp_l1111_8_2" data-phase="declaration"')
    assert early_warning < initial < declaration
    assert _urls(breach_file)["decide"] in page


def test_a_dpo_decides_nis2_applies_and_records_the_ars_declaration_from_the_page(client, breach_file, lab_dpo):
    client.force_login(lab_dpo)
    urls = _urls(breach_file)

    response = client.post(urls["decide"], {"applicability": "applies", "reason": "Entité importante."})
    assert response.status_code == 302
    assert response["Location"].endswith("#obligations")
    response = client.post(
        urls["declare"], {"submitted_at": _paris_input(timezone.now() - timedelta(hours=1)), "reference": "ARS-35-991"}
    )
    assert response.status_code == 302

    decision = ObligationDecision.objects.get()
    assert (decision.regime, decision.decided_by) == ("nis2_art23", lab_dpo)
    submission = PhaseSubmission.objects.get()
    assert (submission.regime, submission.reference, submission.recorded_by) == ("csp_l1111_8_2", "ARS-35-991", lab_dpo)
    page = client.get(urls["detail"]).content.decode()
    assert "ARS-35-991" in page
    assert 'data-regime="csp_l1111_8_2" data-phase="declaration" data-state="done"' in page


def test_a_late_complaint_without_reasons_is_refused_on_the_page_in_french(client, breach_file, lab_dpo):
    breach_file.became_aware_at = timezone.now() - timedelta(hours=100)
    breach_file.save(update_fields=["became_aware_at"])
    client.force_login(lab_dpo)

    response = client.post(
        _urls(breach_file)["submit"], {"submitted_at": _paris_input(timezone.now() - timedelta(hours=2))}
    )

    assert response.status_code == 400
    assert "motifs du retard" in response.content.decode()
    assert not PhaseSubmission.objects.exists()


def test_a_compliance_officer_sees_the_obligations_but_cannot_decide(client, breach_file, compliance_officer):
    client.force_login(compliance_officer)
    urls = _urls(breach_file)

    page = client.get(urls["detail"]).content.decode()
    response = client.post(urls["decide"], {"applicability": "applies", "reason": "x"})

    assert 'data-testid="obligations-panel"' in page
    assert urls["decide"] not in page
    assert response.status_code == 404
    assert AuditEvent.objects.filter(user=compliance_officer, action=AuditEvent.Action.DENIED).exists()
    assert not ObligationDecision.objects.exists()


def test_the_dpo_of_another_lab_gets_a_404(client, breach_file, other_lab_dpo):
    client.force_login(other_lab_dpo)
    response = client.post(_urls(breach_file)["decide"], {"applicability": "applies", "reason": "x"})
    assert response.status_code == 404
