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
    ("persona", "method", "name"),
    [
        ("mailroom_operator", "get", "breach_file_create"),
        ("mailroom_operator", "get", "incident_create"),
        ("mailroom_operator", "get", "breach_file_edit"),
        ("user_without_role", "get", "breach_file_edit"),
        ("compliance_officer", "post", "subject_import"),
    ],
)
def test_a_persona_refused_a_change_leaves_an_audited_404(client, request, breach_file, persona, method, name):
    user = request.getfixturevalue(persona)
    client.login(username=user.username, password=PASSWORD)
    ref, code = breach_file.incident.reference, breach_file.controller.code
    url = reverse(name) if name in ("breach_file_create", "incident_create") else reverse(name, args=[ref, code])
    before = _denials(user)
    response = getattr(client, method)(url)
    assert response.status_code == 404
    assert _denials(user) == before + 1


def test_the_processor_page_of_an_incident_without_a_visible_file_is_an_audited_404(
    client, outside_breach_file, compliance_officer
):
    client.login(username=compliance_officer.username, password=PASSWORD)
    url = reverse("notifications:processor_notices", args=[outside_breach_file.incident.reference])
    response = client.get(url)
    assert response.status_code == 404
    assert _denials(compliance_officer) == 1
