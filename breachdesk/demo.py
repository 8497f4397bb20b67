"""The 2021 scenario as demo data: one processor, 27 labs, a breach file each, synthetic patients."""

from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from django.db import transaction

from breachdesk.importing.services import import_subjects
from breachdesk.importing.validation import COLUMN_NAMES
from breachdesk.models import BreachFile, Incident, Organisation, OrganisationGroup, Role, SubjectImport, User
from breachdesk.services import record_event
from breachdesk.synthetic import FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES, PLACES, lab_code, person, siret_for
from breachdesk.taxonomy import Cause, Consequence, Nature, Origin, PersonCategory
from breachdesk.timeline import TimelineKind

DEMO_INCIDENT = "INC-2021-0001"
DEMO_GROUP = "Laboratoires du Grand Ouest"
IMPORT_COLUMNS = COLUMN_NAMES
# The story, in order: the vendor finds the file online (discovery, its own awareness), informs each lab (the lab's
# awareness, EDPB 9/2022), the labs act; each lab imports its patient list on the day of the demo, when it came.
# Hours since awareness per lab: overdue ones, ones due within hours, and fresh ones.
AWARENESS_AGES_HOURS = [
    96,
    84,
    75,
    71.5,
    70,
    68,
    66,
    60,
    54,
    48,
    44,
    40,
    36,
    30,
    28,
    24,
    20,
    16,
    12,
    10,
    8,
    6,
    5,
    4,
    3,
    2,
    1,
]
PROCESSOR_AWARE_HOURS = max(AWARENESS_AGES_HOURS) + 6
# Hours after its awareness at which a lab recorded whether NIS2 applies to it.
NIS2_DECISION_HOURS = 12


@dataclass
class DemoResult:
    incident: Incident
    breach_files: list[BreachFile]
    subjects: int
    credentials: list[tuple[str, str, str]] = field(default_factory=list)


def _user(username: str, password: str, **fields: object) -> User:
    user, _created = User.objects.update_or_create(username=username, defaults=fields)
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def seed_demo(
    *, subjects: int, seed: int, now: datetime, on_lab_imported: Callable[[str, int], None] | None = None
) -> DemoResult:
    """Build the 2021 scenario deterministically for a seed; awareness times are relative to now.

    on_lab_imported(lab code, patients stored) is called after each lab's import: the 2021 case's size takes minutes.
    """
    rng = random.Random(seed)
    group, _created = OrganisationGroup.objects.get_or_create(name=DEMO_GROUP)
    processor, _created = Organisation.objects.update_or_create(
        code="VENDOR-LABSOFT",
        defaults={
            "kind": Organisation.Kind.PROCESSOR,
            "name": "LabSoft Éditions",
            "group": group,
            "siret": siret_for(seed * 1000 + 999),
            "address": "12 rue de l'Informatique\n35510 Cesson-Sévigné",
            "sector": "Édition de logiciels",
            "dpo_name": "Hélène Garnier",
            "dpo_email": "dpo@labsoft.example.org",
            "dpo_phone": "+33 2 99 00 11 22",
            "legal_representative_name": "Marc Lefort",
            "legal_representative_title": "Président",
        },
    )
    incident, _created = Incident.objects.update_or_create(
        reference=DEMO_INCIDENT,
        defaults={
            "title": "Fichier de patients de 27 laboratoires publié en ligne",
            "description": "Un fichier extrait du logiciel de l'éditeur, contenant l'identité, les coordonnées, le "
            "NIR et des informations de santé de patients, circule sur internet.",
            "processor": processor,
            # Art. 33(2): the processor's own side, which its notice to each lab gives.
            "processor_became_aware_at": now - timedelta(hours=PROCESSOR_AWARE_HOURS),
            "processor_account": "Un fichier exporté de notre logiciel de gestion des laboratoires, contenant "
            "l'identité, les coordonnées, le NIR et des informations de santé de patients, a été publié sur internet "
            "après l'intrusion dans un serveur de migration de données.",
            "processor_measures": "Serveur de migration isolé et effacé, accès des comptes de maintenance révoqués, "
            "demandes de retrait adressées aux hébergeurs, plainte déposée.",
        },
    )
    breach_files: list[BreachFile] = []
    per_lab = [subjects // len(PLACES) + (1 if index < subjects % len(PLACES) else 0) for index in range(len(PLACES))]
    subject_count = 0
    for index, place in enumerate(PLACES):
        dpo_first = rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)
        dpo_last = rng.choice(LAST_NAMES)
        lab, _created = Organisation.objects.update_or_create(
            code=lab_code(place),
            defaults={
                "kind": Organisation.Kind.CONTROLLER,
                "name": f"Laboratoire de biologie médicale de {place.city}",
                "group": group,
                "siret": siret_for(seed * 1000 + index),
                "sector": "Santé — biologie médicale",
                "address": f"{rng.randrange(1, 90)} rue Pasteur\n{place.postcode} {place.city}",
                "dpo_name": f"{dpo_first} {dpo_last}",
                "dpo_email": f"dpo@{lab_code(place).lower()}.example.org",
                "dpo_phone": f"+33 2 {rng.randrange(10, 99)} {rng.randrange(10, 99)} 00 {index:02d}",
                "dpo_address": f"1 rue Pasteur\n{place.postcode} {place.city}",
                "legal_representative_name": f"Dr {rng.choice(FIRST_NAMES_M)} {rng.choice(LAST_NAMES)}",
                "legal_representative_title": "Biologiste responsable",
                "signatory_name": f"{dpo_first} {dpo_last}",
                "signatory_title": "Délégué(e) à la protection des données",
                "signatory_title_en": "Data protection officer",
            },
        )
        became_aware_at = now - timedelta(hours=AWARENESS_AGES_HOURS[index])
        breach_file, created = BreachFile.objects.get_or_create(
            incident=incident,
            controller=lab,
            defaults={
                "became_aware_at": became_aware_at,
                # EDPB 9/2022: a controller is in principle aware once its processor has informed it.
                "processor_informed_at": became_aware_at,
                "started_at": None,
                # One file found online once: the vendor's discovery precedes every lab's awareness.
                "discovered_at": incident.processor_became_aware_at,
                "discovery_circumstances": "Information par l'éditeur après la découverte du fichier en ligne.",
                "natures": [Nature.CONFIDENTIALITY.value],
                "origin": Origin.HACKING,
                "cause": Cause.EXTERNAL_MALICIOUS,
                "person_categories": [PersonCategory.PATIENTS.value],
                "consequences": [
                    Consequence.PROFESSIONAL_SECRECY.value,
                    Consequence.IDENTITY_THEFT.value,
                    Consequence.DISCRIMINATION.value,
                    Consequence.LOSS_OF_CONTROL.value,
                ],
                "measures_immediate": "Demande de retrait du fichier aux hébergeurs ; réinitialisation des accès.",
                "narrative": "Un fichier de patients du laboratoire, extrait du logiciel de l'éditeur, a été publié "
                "sur internet. Il contient l'identité, les coordonnées, le NIR et des informations de santé.",
                "security_measures_before": "Accès au logiciel par identifiant et mot de passe ; sauvegardes "
                "chiffrées ; contrat de sous-traitance conforme à l'article 28.",
                "mitigation_measures": "Information individuelle de chaque patient par courrier et courriel, "
                "conseils contre l'hameçonnage et l'usurpation d'identité, ligne dédiée auprès du DPO.",
            },
        )
        if created:
            # The processor's notice makes the lab aware (EDPB 9/2022): it reads first on the timeline.
            record_event(breach_file=breach_file, kind=TimelineKind.PROCESSOR_INFORMED, at=became_aware_at)
            record_event(breach_file=breach_file, kind=TimelineKind.AWARE, at=became_aware_at)
            stored = _seed_subjects(breach_file=breach_file, count=per_lab[index], place_index=index, seed=seed)
            subject_count += stored
            if on_lab_imported is not None:
                on_lab_imported(lab.code, stored)
        breach_files.append(breach_file)

    rennes = Organisation.objects.get(code=lab_code(PLACES[0]))
    brest = Organisation.objects.get(code=lab_code(PLACES[1]))
    credentials = [
        ("admin", "demo-admin-2021", "admin"),
        ("compliance", "demo-compliance-2021", "compliance officer (every lab of the group)"),
        ("dpo.rennes", "demo-dpo-2021", f"lab DPO of {rennes.code}"),
        ("dpo.brest", "demo-dpo-2021", f"lab DPO of {brest.code}"),
        ("mailroom", "demo-mailroom-2021", "mailroom operator"),
    ]
    _user("admin", credentials[0][1], role=Role.ADMIN, is_staff=True, is_superuser=True)
    _user("compliance", credentials[1][1], role=Role.COMPLIANCE_OFFICER, group=group)
    _user("dpo.rennes", credentials[2][1], role=Role.DPO, organisation=rennes)
    _user("dpo.brest", credentials[3][1], role=Role.DPO, organisation=brest)
    _user("mailroom", credentials[4][1], role=Role.MAILROOM, group=group)
    _seed_obligations(incident=incident, breach_files=breach_files, now=now)
    return DemoResult(incident=incident, breach_files=breach_files, subjects=subject_count, credentials=credentials)


def _seed_obligations(*, incident: Incident, breach_files: list[BreachFile], now: datetime) -> None:
    """Give the grid something to show: some ARS declarations done, NIS2 decided for a few labs, one complaint late.

    Labs are in awareness order (96 h first): five of the first six declared to their ARS, two of the three past
    72 hours filed their complaint (the second lab has not: overdue), and three labs said whether NIS2 applies.
    """
    from breachdesk.models.obligations import Applicability
    from breachdesk.obligations.services import decide_obligation, record_phase_submission

    if not breach_files or breach_files[0].obligation_decisions.exists():
        return
    officer = User.objects.filter(role=Role.COMPLIANCE_OFFICER, is_active=True).order_by("pk").first()
    for position, breach_file in enumerate(breach_files[:6]):
        aware = breach_file.became_aware_at
        if position != 1:
            record_phase_submission(
                incident=incident,
                breach_file=breach_file,
                regime="csp_l1111_8_2",
                phase="declaration",
                submitted_at=min(aware + timedelta(hours=5), now),
                reference=f"ARS-BRE-{2021}-{position + 101:04d}",
                user=officer,
                now=now,
            )
        # Of the three labs past 72 hours, the second has not filed its complaint: the grid shows it late.
        if position in (0, 2):
            record_phase_submission(
                incident=incident,
                breach_file=breach_file,
                regime="lopmi_l12_10_1",
                phase="complaint",
                submitted_at=min(aware + timedelta(hours=30), now),
                reference=f"PV 2021/{4512 + position:06d}",
                user=officer,
                now=now,
            )
    for position in (0, 2, 3):
        if position < len(breach_files):
            decide_obligation(
                incident=incident,
                breach_file=breach_files[position],
                regime="nis2_art23",
                applicability=Applicability.APPLIES if position == 0 else Applicability.DOES_NOT_APPLY,
                reason=(
                    "Groupe de laboratoires de plus de 250 salariés : entité importante (annexe I, santé)."
                    if position == 0
                    else "Site unique de moins de 50 salariés : hors du champ de NIS2."
                ),
                user=officer,
                at=min(breach_files[position].became_aware_at + timedelta(hours=NIS2_DECISION_HOURS), now),
            )


def _years_ago(years: int) -> str:
    today = date.today()
    return date(today.year - years, today.month, min(today.day, 28)).isoformat()


def _special_person(number: int) -> dict[str, str]:
    """The first lab's first patients show each way of being told (DOMAIN.md section 9) and the English letters."""
    return {
        # Children under 15: a letter to the legal representatives, no email.
        0: {"birth_date": _years_ago(8)},
        1: {"birth_date": _years_ago(12), "exposed": "identity|contact|nir|test_results"},
        # A minor of 16: the DPO's recorded choice applies.
        2: {"birth_date": _years_ago(16)},
        # A minor whose HIV test is kept confidential from the parents (CSP L.1111-5): told personally.
        3: {"birth_date": _years_ago(16), "confidential_care": "oui", "exposed": "identity|contact|hiv"},
        # English speakers: letters and emails wholly in English.
        4: {"language": "en"},
        5: {"language": "en", "exposed": "identity|contact"},
    }.get(number, {})


def _seed_subjects(*, breach_file: BreachFile, count: int, place_index: int, seed: int) -> int:
    """Import the lab's synthetic patients through the real import, as a DPO would."""
    rng = random.Random(seed * 100_003 + place_index)
    place = PLACES[place_index]
    with tempfile.TemporaryDirectory(prefix="breachdesk-demo-") as directory:
        path = Path(directory) / f"{breach_file.controller.code}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=IMPORT_COLUMNS, delimiter=";")
            writer.writeheader()
            for number in range(count):
                personal, exposures, language = person(rng, place_index * 1_000_000 + number, place)
                row = {name: value for name, value in personal.to_json().items() if name in IMPORT_COLUMNS}
                row = {**row, "country": "FR", "language": language, "exposed": "|".join(exposures)}
                if place_index == 0:
                    row.update(_special_person(number))
                writer.writerow(row)
        if count == 0:
            return 0
        subject_import = import_subjects(breach_file=breach_file, path=path)
    if subject_import.state != SubjectImport.State.IMPORTED:
        # The report names lines, columns and codes only, never personal values.
        findings = [(entry["line"], entry["column"], entry["code"]) for entry in subject_import.findings[:50]]
        raise RuntimeError(f"demo import ended {subject_import.state}: {findings}")
    return subject_import.rows_stored
