"""Fixtures of the notification tests: a breach file filled in as the 2021 case, Celery run in-process."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from breachdesk import assessment
from breachdesk.celery import app
from breachdesk.models import BreachFile


@pytest.fixture
def eager_tasks():
    """Run queued tasks in-process; wrap the action in django_capture_on_commit_callbacks(execute=True)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


def fill_in(breach_file: BreachFile) -> BreachFile:
    """Fill every field of the CNIL form as for one lab of the 2021 case."""
    aware = breach_file.became_aware_at
    breach_file.started_at = aware - timedelta(days=30)
    breach_file.discovered_at = aware - timedelta(hours=2)
    breach_file.ended_at = aware - timedelta(hours=1)
    breach_file.processor_informed_at = aware
    breach_file.is_ongoing = False
    breach_file.discovery_circumstances = "Article de presse signalant un fichier de patients en ligne."
    breach_file.narrative = "Un fichier de patients extrait de l'outil de migration de l'éditeur a été publié en ligne."
    breach_file.security_measures_before = "Accès nominatifs à l'outil de migration ; journalisation des exports."
    breach_file.mitigation_measures = "Ligne d'écoute pour les patients ; vigilance face à l'hameçonnage ciblé."
    breach_file.natures = ["confidentiality"]
    breach_file.origin = "hacking"
    breach_file.origin_detail = "Extraction depuis l'outil de migration de l'éditeur."
    breach_file.cause = "external_malicious"
    breach_file.person_categories = ["patients", "minors"]
    breach_file.approximate_persons = 18216
    breach_file.approximate_records = 18216
    breach_file.data_categories = ["civil_status", "nir", "contact", "health"]
    breach_file.consequences = ["loss_of_control", "identity_theft", "professional_secrecy"]
    breach_file.consequences_detail = "Hameçonnage ciblé à craindre."
    breach_file.severity = "maximum"
    breach_file.measures_immediate = "Retrait du fichier demandé à l'hébergeur ; plainte déposée."
    breach_file.measures_medium_term = "Audit du sous-traitant."
    breach_file.measures_long_term = "Chiffrement des exports de migration."
    breach_file.other_authorities = ""
    breach_file.save()
    return breach_file


@pytest.fixture
def complete_breach_file(breach_file, lab_dpo) -> BreachFile:
    """The lab's breach file, every field filled in, assessed and decided (aware 10 hours ago)."""
    fill_in(breach_file)
    assessment.assess_risk(
        breach_file=breach_file,
        user=lab_dpo,
        exposures=["identity", "contact", "nir", "hiv"],
        identification="maximum",
        confidentiality="unknown_recipients",
        integrity="none",
        availability="none",
        is_malicious=True,
        notes="Fichier publié en ligne.",
    )
    assessment.record_decision(
        breach_file=breach_file,
        user=lab_dpo,
        kind="notify_authority",
        outcome="notify",
        rationale="Données de santé publiées.",
    )
    assessment.record_decision(
        breach_file=breach_file,
        user=lab_dpo,
        kind="inform_subjects",
        outcome="inform",
        levels=["high", "very_high"],
        rationale="Risque élevé pour les patients.",
    )
    breach_file.refresh_from_db()
    return breach_file


def hours_ago(hours: float):
    return timezone.now() - timedelta(hours=hours)
