"""Copy-ready reports of the other obligations (issue 12): page, PDF and JSON, filled from the breach file."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from breachdesk.models import AuditEvent

pytestmark = pytest.mark.django_db


def _url(name: str, breach_file, regime: str, phase: str) -> str:
    return reverse(
        f"notifications:{name}", args=[breach_file.incident.reference, breach_file.controller.code, regime, phase]
    )


def _pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def test_the_ars_declaration_is_filled_from_the_breach_file_and_says_what_is_unknown(client, breach_file, lab_dpo):
    breach_file.narrative = "Un fichier de patients a été publié sur internet."
    breach_file.started_at = None
    breach_file.save()
    client.force_login(lab_dpo)

    page = client.get(_url("obligation_report", breach_file, "csp_l1111_8_2", "declaration"))
    document = client.get(_url("obligation_report_pdf", breach_file, "csp_l1111_8_2", "declaration"))
    data = client.get(_url("obligation_report_json", breach_file, "csp_l1111_8_2", "declaration")).json()

    assert page.status_code == 200 and "Un fichier de patients a été publié sur internet." in page.content.decode()
    text = _pdf_text(document.content)
    assert "Déclaration d'incident de sécurité des systèmes d'information" in text
    assert breach_file.controller.name in text
    assert "Un fichier de patients a été publié sur internet." in text
    assert "Non connu à ce jour" in text
    assert [section["title"] for section in data["sections"]][:2] == [
        "1. Structure et déclarant",
        "2. Description de l'incident",
    ]
    fields = {item["key"]: item for section in data["sections"] for item in section["fields"]}
    assert fields["started_at"]["known"] is False and "Début de l'incident" in data["unknown"]
    assert fields["structure"]["value"] == breach_file.controller.name
    assert AuditEvent.objects.filter(object_type="obligation_report", action=AuditEvent.Action.EXPORT).count() == 2


def test_the_complaint_is_a_ready_text_with_its_annexes(client, breach_file, lab_dpo):
    client.force_login(lab_dpo)

    text = _pdf_text(client.get(_url("obligation_report_pdf", breach_file, "lopmi_l12_10_1", "complaint")).content)

    assert "Madame, Monsieur le Procureur de la République" in text
    assert "323-1 à 323-3-1" in text and "L.12-10-1" in text
    assert "Pièces jointes" in text and "Copie de la notification à la CNIL" in text


def test_nis2_reports_grow_from_the_early_warning_to_the_notification(client, breach_file, lab_dpo):
    client.force_login(lab_dpo)

    early = client.get(_url("obligation_report_json", breach_file, "nis2_art23", "early_warning")).json()
    notification = client.get(_url("obligation_report_json", breach_file, "nis2_art23", "notification")).json()

    assert len(early["sections"]) == 2 and len(notification["sections"]) == 5
    assert early["recipient"].startswith("CSIRT") or "CSIRT" in early["recipient"]


def test_another_labs_dpo_gets_no_report_and_a_phase_without_report_is_not_found(
    client, breach_file, other_lab_dpo, lab_dpo
):
    client.force_login(other_lab_dpo)
    assert client.get(_url("obligation_report", breach_file, "csp_l1111_8_2", "declaration")).status_code == 404
    client.force_login(lab_dpo)
    assert client.get(_url("obligation_report", breach_file, "gdpr_art34", "messages")).status_code == 404


def test_the_obligations_page_links_each_phase_to_its_report(client, breach_file, lab_dpo):
    client.force_login(lab_dpo)

    page = client.get(reverse("obligations", args=[breach_file.incident.reference, breach_file.controller.code]))

    assert _url("obligation_report", breach_file, "csp_l1111_8_2", "declaration") in page.content.decode()
    assert _url("obligation_report", breach_file, "lopmi_l12_10_1", "complaint") in page.content.decode()
