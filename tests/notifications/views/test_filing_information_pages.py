# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""The public communication page: the lab's DPO records it; others read it or get a 404."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notifications.models import PublicCommunication
from notifications.services import campaigns
from tests.notifications.campaign_fixtures import informed_file  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/files/INC-2021-0001/LAB-RENNES/filings/public-communication/"


def test_the_labs_dpo_records_a_public_communication_for_the_unreachable_persons(client, informed_file, lab_dpo):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels=["post", "email"])
    client.force_login(lab_dpo)
    response = client.post(
        URL,
        {
            "text": "Avis aux patients du laboratoire.",
            "medium": "website",
            "medium_detail": "https://labo.example.org/avis",
            "published_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    communication = PublicCommunication.objects.get()
    assert (communication.medium, communication.unreachable_count, communication.recorded_by) == ("website", 1, lab_dpo)
    page = client.get(URL).content.decode()
    assert "Avis aux patients du laboratoire." in page
    # Named by role (no full name recorded), never by login.
    assert "<td>DPO du laboratoire</td>" in page


def test_a_public_communication_before_any_campaign_is_refused_with_a_clear_message(client, breach_file, lab_dpo):
    client.force_login(lab_dpo)
    response = client.post(URL, {"text": "Avis", "medium": "press", "published_on": timezone.localdate().isoformat()})
    assert response.status_code == 400
    assert "lancez d&#x27;abord l&#x27;information des personnes" in response.content.decode()
    assert not PublicCommunication.objects.exists()


def test_only_the_labs_dpo_may_record_it_and_another_labs_dpo_sees_nothing(
    client, informed_file, other_lab_dpo, compliance_officer
):
    data = {"text": "Avis", "medium": "press", "published_on": timezone.localdate().isoformat()}
    client.force_login(other_lab_dpo)
    assert client.get(URL).status_code == 404
    assert client.post(URL, data).status_code == 404
    client.force_login(compliance_officer)
    assert client.get(URL).status_code == 200
    assert client.post(URL, data).status_code == 404
    assert not PublicCommunication.objects.exists()
