"""Copy-ready reports of the other obligations (issue 12): ARS/CERT Santé, NIS2, the complaint, the insurer.

Like the CNIL field page (notifications/cnil.py, whose French labels this module reuses), each report is filled from
the breach file, in French (every recipient is French), and says what is still unknown. No recipient publishes a
machine format (DOMAIN.md section 11): the DPO copies the fields into the portal, the form or the letter, then
records the submission with the recipient's reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from breachdesk.models import BreachFile
from breachdesk.obligations.regimes import REGIMES
from breachdesk.taxonomy import Cause
from notifications import cnil

Value = str | list[str] | None


@dataclass(frozen=True)
class ReportField:
    key: str
    label: str
    value: Value

    @property
    def is_known(self) -> bool:
        return not cnil.is_empty(self.value)

    @property
    def lines(self) -> list[str]:
        if isinstance(self.value, list):
            return self.value
        return [self.value] if self.value else []

    def as_json(self) -> dict[str, object]:
        return {"key": self.key, "label": self.label, "value": self.value, "known": self.is_known}


@dataclass(frozen=True)
class ReportSection:
    title: str
    fields: list[ReportField]


@dataclass(frozen=True)
class Report:
    regime: str
    phase: str
    title: str
    recipient: str
    channel: str
    legal_basis: str
    sections: list[ReportSection]
    # A ready text (the complaint, the insurer's notice), empty for a form to fill field by field.
    letter: list[str] = field(default_factory=list)
    annexes: list[str] = field(default_factory=list)

    @property
    def unknown(self) -> list[str]:
        return [item.label for section in self.sections for item in section.fields if not item.is_known]

    def as_json(self, *, reference: str, generated_at: datetime) -> dict[str, object]:
        return {
            "regime": self.regime,
            "phase": self.phase,
            "title": self.title,
            "recipient": self.recipient,
            "breach_file": reference,
            "generated_at": generated_at.isoformat(),
            "sections": [
                {"title": section.title, "fields": [item.as_json() for item in section.fields]}
                for section in self.sections
            ],
            "letter": self.letter,
            "annexes": self.annexes,
            "unknown": self.unknown,
        }


def _text(value: str) -> str | None:
    return value.strip() or None


def _when(moment: datetime | None) -> str | None:
    return cnil.paris_datetime(moment)


def _labels(values: list[str], names: Mapping[Any, str]) -> list[str] | None:
    return cnil.labels(values, dict(names))


def _label(value: str, names: Mapping[Any, str]) -> str | None:
    """Name a code as the CNIL mapping does, or None when the breach file has none."""
    return names.get(value) if value else None


def _declarant(breach_file: BreachFile) -> list[ReportField]:
    organisation = breach_file.controller
    return [
        ReportField("structure", "Structure déclarante", organisation.name),
        ReportField("siret", "SIRET", organisation.siret or None),
        ReportField("address", "Adresse", _text(organisation.address.replace("\n", ", "))),
        ReportField("sector", "Secteur", _text(organisation.sector)),
        ReportField(
            "declarant",
            "Déclarant (nom, qualité, coordonnées)",
            [
                line
                for line in (
                    organisation.dpo_name and f"{organisation.dpo_name}, délégué à la protection des données",
                    organisation.dpo_email,
                    organisation.dpo_phone,
                )
                if line
            ]
            or None,
        ),
        ReportField(
            "legal_representative",
            "Représentant légal",
            ", ".join(
                part
                for part in (organisation.legal_representative_name, organisation.legal_representative_title)
                if part
            )
            or None,
        ),
    ]


def _facts(breach_file: BreachFile) -> list[ReportField]:
    return [
        ReportField("discovered_at", "Date et heure de la découverte", _when(breach_file.discovered_at)),
        ReportField("became_aware_at", "Date et heure de la prise de connaissance", _when(breach_file.became_aware_at)),
        ReportField("started_at", "Début de l'incident", _when(breach_file.started_at)),
        ReportField(
            "ended_at",
            "Fin de l'incident",
            "En cours" if breach_file.is_ongoing else _when(breach_file.ended_at),
        ),
        ReportField(
            "description",
            "Description de l'incident",
            _text(breach_file.narrative) or _text(breach_file.incident.description),
        ),
        ReportField("discovery", "Circonstances de la découverte", _text(breach_file.discovery_circumstances)),
    ]


def _scope(breach_file: BreachFile) -> list[ReportField]:
    others = breach_file.incident.breach_files.exclude(pk=breach_file.pk).count()
    processor = breach_file.incident.processor
    return [
        ReportField(
            "persons",
            "Nombre approximatif de personnes concernées",
            str(breach_file.approximate_persons) if breach_file.approximate_persons is not None else None,
        ),
        ReportField(
            "records",
            "Nombre approximatif d'enregistrements",
            str(breach_file.approximate_records) if breach_file.approximate_records is not None else None,
        ),
        ReportField(
            "person_categories",
            "Catégories de personnes",
            _labels(breach_file.person_categories, cnil.PERSON_CATEGORY_FR),
        ),
        # Since 2022 an incident "susceptible de toucher d'autres établissements" is declared, a subcontractor serving
        # several establishments included (instruction of 31 May 2023).
        ReportField(
            "other_establishments",
            "Incident susceptible de toucher d'autres établissements",
            f"Oui : {others} autres établissements touchés par le même incident"
            + (f", via le sous-traitant {processor.name}" if processor else "")
            if others
            else "Non connu à ce jour : aucun autre établissement enregistré pour cet incident",
        ),
    ]


def _systems_and_data(breach_file: BreachFile) -> list[ReportField]:
    processor = breach_file.incident.processor
    return [
        ReportField(
            "systems",
            "Systèmes d'information concernés",
            f"Logiciel de l'éditeur {processor.name} (sous-traitant)" if processor else None,
        ),
        ReportField(
            "data_categories", "Données concernées", _labels(breach_file.data_categories, cnil.DATA_CATEGORY_FR)
        ),
        ReportField("natures", "Atteinte", _labels(breach_file.natures, cnil.NATURE_FR)),
    ]


def _impacts(breach_file: BreachFile) -> list[ReportField]:
    return [
        ReportField(
            "impacts_people", "Conséquences pour les personnes", _labels(breach_file.consequences, cnil.CONSEQUENCE_FR)
        ),
        ReportField("impacts_detail", "Précisions sur les conséquences", _text(breach_file.consequences_detail)),
        ReportField(
            "severity",
            "Gravité estimée",
            _label(breach_file.severity, cnil.SEVERITY_FR),
        ),
        ReportField(
            "care_safety",
            "Conséquences sur la sécurité des soins ou le fonctionnement",
            "Fonctionnement dégradé : incident en cours" if breach_file.is_ongoing else None,
        ),
    ]


def _causes(breach_file: BreachFile) -> list[ReportField]:
    return [
        ReportField("origin", "Origine", _label(breach_file.origin, cnil.ORIGIN_FR)),
        ReportField("cause", "Cause", _label(breach_file.cause, cnil.CAUSE_FR)),
        ReportField("origin_detail", "Précisions", _text(breach_file.origin_detail)),
    ]


def _handling(breach_file: BreachFile) -> list[ReportField]:
    return [
        ReportField("measures_immediate", "Mesures immédiates", _text(breach_file.measures_immediate)),
        ReportField("measures_medium_term", "Mesures à moyen terme", _text(breach_file.measures_medium_term)),
        ReportField("measures_long_term", "Mesures à long terme", _text(breach_file.measures_long_term)),
        ReportField("status", "État du traitement de l'incident", _label(breach_file.status, cnil.STATUS_FR)),
    ]


def _ars_declaration(breach_file: BreachFile) -> Report:
    """The declaration of the arrêté of 30 October 2017: structure, description, impacts, causes, handling."""
    return _report(
        breach_file,
        "csp_l1111_8_2",
        "declaration",
        "Déclaration d'incident de sécurité des systèmes d'information (CSP L.1111-8-2)",
        [
            ReportSection("1. Structure et déclarant", _declarant(breach_file)),
            ReportSection("2. Description de l'incident", _facts(breach_file)),
            ReportSection("3. Périmètre", _scope(breach_file)),
            ReportSection("4. Systèmes et données concernés", _systems_and_data(breach_file)),
            ReportSection("5. Impacts", _impacts(breach_file)),
            ReportSection("6. Causes", _causes(breach_file)),
            ReportSection("7. Traitement de l'incident", _handling(breach_file)),
        ],
    )


def _nis2(phase: str, title: str) -> Callable[[BreachFile], Report]:
    def build(breach_file: BreachFile) -> Report:
        malicious = breach_file.cause in (Cause.INTERNAL_MALICIOUS, Cause.EXTERNAL_MALICIOUS)
        suspicion = ReportField(
            "suspected_malicious",
            "Acte illicite ou malveillant suspecté",
            ("Oui" if malicious else "Non") if breach_file.cause != Cause.UNKNOWN else None,
        )
        cross_border = ReportField(
            "cross_border", "Impact transfrontière", _text(breach_file.other_authorities) or "Aucun connu à ce jour"
        )
        sections = [
            ReportSection("1. Entité", _declarant(breach_file)),
            ReportSection("2. Incident", [*_facts(breach_file), suspicion, cross_border]),
        ]
        if phase != "early_warning":
            sections += [
                ReportSection("3. Gravité et impacts", _impacts(breach_file)),
                ReportSection("4. Indicateurs de compromission et causes", _causes(breach_file)),
                ReportSection("5. Mesures", _handling(breach_file)),
            ]
        return _report(breach_file, "nis2_art23", phase, title, sections)

    return build


def _complaint(breach_file: BreachFile) -> Report:
    """A ready complaint for the police or the prosecutor (C. pén. 323-1 to 323-3-1), with the annexes to join."""
    organisation = breach_file.controller
    processor = breach_file.incident.processor
    categories = _labels(breach_file.data_categories, cnil.DATA_CATEGORY_FR) or []
    letter = [
        "Madame, Monsieur le Procureur de la République,",
        f"{organisation.name}"
        + (
            f", représenté par {organisation.legal_representative_name}"
            if organisation.legal_representative_name
            else ""
        )
        + ", dépose plainte contre X pour accès frauduleux à un système de traitement automatisé de données, "
        "extraction et diffusion de données (articles 323-1 à 323-3-1 du code pénal).",
        f"Le {cnil.paris_datetime(breach_file.became_aware_at)}, nous avons eu connaissance de la violation suivante : "
        + (_text(breach_file.narrative) or _text(breach_file.incident.description) or cnil.NOT_KNOWN),
        (f"Les données étaient hébergées par notre sous-traitant {processor.name}. " if processor else "")
        + (f"Elles comprennent : {', '.join(categories).lower()}. " if categories else "")
        + (
            f"Environ {breach_file.approximate_persons} personnes sont concernées."
            if breach_file.approximate_persons
            else "Le nombre de personnes concernées n'est pas encore connu."
        ),
        "Cette plainte est déposée dans les 72 heures de la connaissance de l'atteinte, comme le prévoit l'article "
        "L.12-10-1 du code des assurances.",
        "Nous nous tenons à votre disposition pour tout complément et vous prions d'agréer, Madame, Monsieur le "
        "Procureur de la République, l'expression de notre considération distinguée.",
    ]
    annexes = [
        "Extrait Kbis ou avis de situation SIRENE de la structure",
        "Pouvoir du signataire s'il n'est pas le représentant légal",
        "Copie de la notification à la CNIL (dossier BreachDesk)",
        "Liste des catégories de données exposées et chronologie de l'incident",
        "Éléments techniques : journaux, adresses de publication du fichier, captures d'écran",
    ]
    return _report(
        breach_file,
        "lopmi_l12_10_1",
        "complaint",
        "Plainte (code des assurances L.12-10-1)",
        [
            ReportSection("1. Plaignant", _declarant(breach_file)),
            ReportSection("2. Faits", _facts(breach_file)),
            ReportSection("3. Données concernées", _systems_and_data(breach_file)),
        ],
        letter=letter,
        annexes=annexes,
    )


def _insurer(breach_file: BreachFile) -> Report:
    organisation = breach_file.controller
    hours = organisation.insurer_notice_hours
    policy = ReportField(
        "policy", "Délai de déclaration prévu par le contrat", f"{hours} heures" if hours is not None else None
    )
    return _report(
        breach_file,
        "insurer_notice",
        "notice",
        "Déclaration de sinistre à l'assureur",
        [
            ReportSection("1. Assuré", [*_declarant(breach_file), policy]),
            ReportSection("2. Circonstances", _facts(breach_file)),
            ReportSection("3. Conséquences", _impacts(breach_file)),
            ReportSection("4. Mesures prises", _handling(breach_file)),
        ],
    )


def _report(
    breach_file: BreachFile,
    regime_code: str,
    phase_code: str,
    title: str,
    sections: list[ReportSection],
    *,
    letter: list[str] | None = None,
    annexes: list[str] | None = None,
) -> Report:
    regime = REGIMES[regime_code]
    return Report(
        regime=regime_code,
        phase=phase_code,
        title=title,
        recipient=str(regime.recipient),
        channel=str(regime.channel),
        legal_basis=regime.legal_basis,
        sections=sections,
        letter=letter or [],
        annexes=annexes or [],
    )


# The phases that have a copy-ready report; adding a regime's report is an entry here and its builder.
BUILDERS: dict[tuple[str, str], Callable[[BreachFile], Report]] = {
    ("csp_l1111_8_2", "declaration"): _ars_declaration,
    ("csp_l1111_8_2", "follow_ups"): _ars_declaration,
    ("nis2_art23", "early_warning"): _nis2("early_warning", "Alerte précoce (NIS2 art. 23, 24 heures)"),
    ("nis2_art23", "notification"): _nis2("notification", "Notification d'incident (NIS2 art. 23, 72 heures)"),
    ("nis2_art23", "final_report"): _nis2("final_report", "Rapport final (NIS2 art. 23, un mois)"),
    ("lopmi_l12_10_1", "complaint"): _complaint,
    ("insurer_notice", "notice"): _insurer,
}


def has_report(regime: str, phase: str) -> bool:
    return (regime, phase) in BUILDERS


def build_report(*, breach_file: BreachFile, regime: str, phase: str) -> Report:
    """Fill a phase's report from the breach file; KeyError when the phase has none."""
    return BUILDERS[(regime, phase)](breach_file)
