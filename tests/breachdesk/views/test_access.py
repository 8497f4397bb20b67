"""Every refusal is a 404 that reveals nothing, and every refusal is in the audit trail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from breachdesk.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _denials(user) -> int:
    return AuditEvent.objects.filter(user=user, action=AuditEvent.Action.DENIED).count()


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "breach_file_create"),
        ("get", "breach_file_edit"),
        ("post", "subject_import"),
    ],
)
def test_a_compliance_officer_refused_a_change_leaves_an_audited_404(
    client, breach_file, compliance_officer, method, name
):
    client.login(username=compliance_officer.username, password=PASSWORD)
    ref, code = breach_file.incident.reference, breach_file.controller.code
    url = reverse(name) if name == "breach_file_create" else reverse(name, args=[ref, code])
    before = _denials(compliance_officer)
    response = getattr(client, method)(url)
    assert response.status_code == 404
    assert _denials(compliance_officer) == before + 1


def test_the_processor_page_of_an_incident_without_a_visible_file_is_an_audited_404(
    client, outside_breach_file, compliance_officer
):
    client.login(username=compliance_officer.username, password=PASSWORD)
    url = reverse("notifications:processor_notices", args=[outside_breach_file.incident.reference])
    response = client.get(url)
    assert response.status_code == 404
    assert _denials(compliance_officer) == 1
