"""The demo leaves one lab with an initial notification filed on time and the overdue labs without."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from breachdesk.models import BreachFile, Role
from breachdesk.taxonomy import Status
from notifications import storage
from notifications.models import Filing
from notifications.services import demo as demo_filings
from tests.factories import BreachFileFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_files_the_oldest_lab_on_time_and_leaves_an_overdue_lab_without_filing(incident):
    now = timezone.now()
    oldest = BreachFileFactory(
        incident=incident, controller=OrganisationFactory(code="LAB-RENNES"), became_aware_at=now - timedelta(hours=96)
    )
    overdue = BreachFileFactory(
        incident=incident, controller=OrganisationFactory(code="LAB-BREST"), became_aware_at=now - timedelta(hours=84)
    )
    fresh = BreachFileFactory(
        incident=incident, controller=OrganisationFactory(code="LAB-CAEN"), became_aware_at=now - timedelta(hours=2)
    )
    dpo = UserFactory(username="dpo.rennes", role=Role.DPO, organisation=oldest.controller)

    filings = demo_filings.seed_demo_filings(incident=incident, now=now)

    assert [filing.breach_file for filing in filings] == [oldest]
    filing = filings[0]
    assert filing.kind == Filing.Kind.INITIAL and filing.cnil_case_number
    assert filing.submitted_at == oldest.became_aware_at + timedelta(hours=60)
    assert not filing.is_late and filing.prepared_by == dpo
    assert storage.exists(filing.pdf_path)
    oldest.refresh_from_db()
    assert oldest.status == Status.NOTIFIED and oldest.authority_notified_at == filing.submitted_at
    assert oldest.decisions.count() == 2 and oldest.risk_assessments.count() == 1
    assert set(BreachFile.objects.overdue(now=now)) == {overdue}
    assert not Filing.objects.filter(breach_file__in=[overdue, fresh]).exists()
    # Seeding again adds nothing.
    assert demo_filings.seed_demo_filings(incident=incident, now=now) == []
    assert Filing.objects.count() == 1
