"""The demo builds the 2021 scenario deterministically."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from stdnum.fr import nir, siret

from breachdesk.demo import seed_demo
from breachdesk.models import BreachFile, DataSubject, Organisation, User

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_the_demo_has_one_processor_27_labs_with_valid_sirets_and_a_breach_file_each():
    seed_demo(subjects=54, seed=7, now=NOW)
    labs = Organisation.objects.filter(kind="controller")
    assert labs.count() == 27
    assert Organisation.objects.filter(kind="processor").count() == 1
    assert all(siret.is_valid(lab.siret) and lab.dpo_email and lab.dpo_name for lab in labs)
    assert BreachFile.objects.count() == 27
    overdue = BreachFile.objects.overdue(now=NOW).count()
    due_within_6_hours = sum(
        1 for bf in BreachFile.objects.all() if 0 < bf.time_left(now=NOW).total_seconds() < 6 * 3600
    )
    assert overdue >= 2 and due_within_6_hours >= 2


def test_the_demo_patients_are_deterministic_with_valid_nirs_and_varied_exposures():
    # The first run is rolled back: breach files are never deleted (their timelines are append-only).
    with transaction.atomic():
        seed_demo(subjects=270, seed=7, now=NOW)
        subjects = list(DataSubject.objects.order_by("pk"))
        assert len(subjects) == 270
        assert all(nir.is_valid(subject.personal.nir) for subject in subjects)
        assert len({tuple(subject.exposures) for subject in subjects}) >= 5
        first = [(s.personal.last_name, s.personal.nir) for s in subjects[:20]]
        transaction.set_rollback(True)
    assert not DataSubject.objects.exists()
    seed_demo(subjects=270, seed=7, now=NOW)
    assert [(s.personal.last_name, s.personal.nir) for s in DataSubject.objects.order_by("pk")[:20]] == first


def test_the_command_prints_one_login_per_role_and_skips_when_data_exists():
    output = StringIO()
    call_command("seed_demo", "--subjects", "27", stdout=output)
    text = output.getvalue()
    assert "  LAB-RENNES: 1 data subjects imported" in text
    assert text.count(" data subjects imported") == 27
    for username in ("admin", "compliance", "dpo.rennes", "mailroom"):
        assert username in text
        assert User.objects.get(username=username).has_usable_password()
    again = StringIO()
    call_command("seed_demo", "--if-empty", stdout=again)
    assert "already present" in again.getvalue()
    assert DataSubject.objects.count() == 27


def test_the_demo_grid_shows_ars_declarations_done_one_complaint_late_and_nis2_decided_for_a_few():
    from breachdesk.obligations.selectors import obligations_of_breach_file

    seed_demo(subjects=27, seed=7, now=NOW)
    states: dict[tuple[str, str], list[str]] = {}
    for breach_file in BreachFile.objects.order_by("became_aware_at", "pk"):
        for row in obligations_of_breach_file(breach_file=breach_file, now=NOW):
            states.setdefault((row.regime.code, row.phase.code), []).append(row.state)

    assert states[("csp_l1111_8_2", "declaration")].count("done") == 5
    assert states[("lopmi_l12_10_1", "complaint")].count("late") == 1
    assert states[("lopmi_l12_10_1", "complaint")].count("done") == 2
    nis2 = states[("nis2_art23", "early_warning")]
    assert nis2.count("not_decided") == 24 and nis2.count("not_applicable") == 2


def test_the_demo_timeline_tells_the_story_in_order():
    from django.utils import timezone

    from breachdesk.demo import DEMO_INCIDENT
    from breachdesk.models import Incident

    call_command("seed_demo", "--subjects", "27", stdout=StringIO())
    incident = Incident.objects.get(reference=DEMO_INCIDENT)
    for breach_file in BreachFile.objects.filter(incident=incident):
        # The vendor found the file online, then informed the lab, which made the lab aware (EDPB 9/2022).
        assert breach_file.discovered_at == incident.processor_became_aware_at
        assert incident.processor_became_aware_at < breach_file.processor_informed_at == breach_file.became_aware_at
    rennes = BreachFile.objects.get(incident=incident, controller__code="LAB-RENNES")
    events = list(rennes.events.all())  # as the page shows them
    kinds = [event.kind for event in events]

    assert kinds[:2] == ["processor_informed", "aware"]
    assert kinds[-1] == "subjects_imported"
    story = ["risk_assessed", "decision", "filing_prepared", "authority_notified", "subjects_imported"]
    assert [kinds.index(kind) for kind in story] == sorted(kinds.index(kind) for kind in story)
    assert all(rennes.became_aware_at <= event.at <= timezone.now() for event in events)
