"""The demo's filings, composed on top of breachdesk's demo incident."""

from __future__ import annotations

from datetime import datetime, timedelta

from breachdesk.assessment import (
    assess_risk,
    record_decision,
)
from breachdesk.models import (
    BreachFile,
    DecisionKind,
    Incident,
    Role,
    User,
)
from breachdesk.taxonomy import AdolescentAddressee, SensitiveDetail
from notifications.models import Filing
from notifications.services.campaigns import record_letter_choices, save_notice_text
from notifications.services.filings import generate_filing_dossier, prepare_filing, record_submission
from notifications.services.notice_texts import default_texts


def seed_demo_filings(*, incident: Incident, now: datetime) -> list[Filing]:
    """Leave the lab aware the longest with an assessed risk, decisions and an initial notification filed on time.

    The other labs stay as seeded: those past 72 hours remain overdue without a filing.
    """
    if Filing.objects.filter(breach_file__incident=incident).exists():
        return []
    breach_file = (
        BreachFile.objects.filter(incident=incident, authority_notified_at__isnull=True)
        .select_related("controller", "incident")
        .order_by("became_aware_at", "controller__code")
        .first()
    )
    if breach_file is None:
        return []
    dpo = User.objects.filter(role=Role.DPO, organisation=breach_file.controller, is_active=True).order_by("pk").first()
    aware = breach_file.became_aware_at
    assessment_at = min(aware + timedelta(hours=6), now)
    assess_risk(
        breach_file=breach_file,
        user=dpo,
        exposures=["identity", "contact", "nir", "insurance", "physician", "blood_group", "test_results", "hiv"],
        identification="maximum",
        confidentiality="unknown_recipients",
        integrity="none",
        availability="none",
        is_malicious=True,
        notes="Fichier publié sur internet, accessible à tous ; noms, NIR et données de santé.",
        at=assessment_at,
    )
    record_decision(
        breach_file=breach_file,
        user=dpo,
        kind=DecisionKind.NOTIFY_AUTHORITY,
        outcome="notify",
        rationale="Données de santé et NIR publiés : risque très élevé, notification obligatoire.",
        at=assessment_at,
    )
    record_decision(
        breach_file=breach_file,
        user=dpo,
        kind=DecisionKind.INFORM_SUBJECTS,
        outcome="inform",
        levels=["low", "medium", "high", "very_high"],
        rationale="Données de santé publiées : chaque patient est informé individuellement (EDPB 9/2022 § 102).",
        override_rationale="Comme la CNIL l'a exigé en 2021, chaque patient est informé, quel que soit son niveau.",
        at=assessment_at,
    )
    # The letters' choices and texts in both languages, so the demo shows children, minors and English letters.
    record_letter_choices(
        breach_file=breach_file,
        adolescent_addressee=AdolescentAddressee.BOTH,
        reason="Mineurs de 15 à 17 ans : ils sont informés, et leurs parents aussi, sauf soins confidentiels.",
        sensitive_detail=SensitiveDetail.OMIT,
        user=dpo,
        now=assessment_at,
    )
    submitted_at = min(aware + timedelta(hours=60), now)
    filing_at = submitted_at - timedelta(minutes=30)
    filing = prepare_filing(breach_file=breach_file, kind=Filing.Kind.INITIAL, user=dpo, now=filing_at)
    generate_filing_dossier(filing_id=filing.pk)
    delay_reasons = None
    if breach_file.is_late_at(submitted_at) and not breach_file.delay_reasons:
        delay_reasons = "Liste des patients concernés transmise tardivement par le sous-traitant."
    record_submission(
        filing=filing,
        user=dpo,
        submitted_at=submitted_at,
        case_number=f"CNIL-{submitted_at:%Y}-{breach_file.pk:06d}",
        delay_reasons=delay_reasons,
        now=now,
    )
    filing.refresh_from_db()
    # The letters' texts in both languages, proposed once the CNIL is notified (they say so).
    breach_file.refresh_from_db()
    for language in ("fr", "en"):
        save_notice_text(
            breach_file=breach_file, language=language, values=default_texts(breach_file, language), user=dpo
        )
    return [filing]
