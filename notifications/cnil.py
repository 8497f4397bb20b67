"""The one mapping of a breach file to the CNIL teleservice sections (DOMAIN.md section 5), field by field, as data.

A template is a list of sections, each a list of fields that read one value from a FilingContext. Another
template (the EDPB's common form) is another list over the same readers. Values are plain French text,
a list of texts, or None for "not known yet"; they never hold data subjects' personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse

from breachdesk.models import BreachFile, Decision, DecisionKind, DecisionOutcome, Organisation, RiskAssessment, Role
from breachdesk.risk import band_label, format_number
from breachdesk.taxonomy import (
    EXPOSURES,
    Cause,
    Consequence,
    DataCategory,
    Nature,
    Origin,
    OtherBody,
    PersonCategory,
    Severity,
    Status,
)

PARIS = ZoneInfo("Europe/Paris")
NOT_KNOWN = "Non connu à ce jour"

Value = str | list[str] | None

NATURE_FR = {
    Nature.CONFIDENTIALITY: "Perte de confidentialité",
    Nature.INTEGRITY: "Perte d'intégrité",
    Nature.AVAILABILITY: "Perte de disponibilité",
}
ORIGIN_FR = {
    Origin.EQUIPMENT_LOST_OR_STOLEN: "Équipement perdu ou volé",
    Origin.PAPER_LOST_OR_STOLEN: "Papier perdu, volé ou laissé accessible dans un endroit non sécurisé",
    Origin.MAIL_LOST_OR_OPENED: "Courrier perdu ou ouvert avant d'être retourné à l'envoyeur",
    Origin.HACKING: "Piratage, logiciel malveillant, hameçonnage",
    Origin.PAPER_DISPOSED: "Mise au rebut de documents papier sans destruction",
    Origin.DEVICE_DISPOSED: "Mise au rebut d'appareils numériques sans effacement sécurisé",
    Origin.UNINTENDED_PUBLICATION: "Publication non volontaire d'informations",
    Origin.WRONG_PERSON_DATA_SHOWN: "Données de la mauvaise personne affichées sur le portail du client",
    Origin.WRONG_RECIPIENT: "Données personnelles envoyées à un mauvais destinataire",
    Origin.VERBAL_DISCLOSURE: "Informations personnelles divulguées de façon verbale",
    Origin.OTHER: "Autre",
    Origin.UNKNOWN: "Inconnue",
}
CAUSE_FR = {
    Cause.INTERNAL_MALICIOUS: "Acte interne malveillant",
    Cause.INTERNAL_ACCIDENTAL: "Acte interne accidentel",
    Cause.EXTERNAL_MALICIOUS: "Acte externe malveillant",
    Cause.EXTERNAL_ACCIDENTAL: "Acte externe accidentel",
    Cause.UNKNOWN: "Inconnue",
}
PERSON_CATEGORY_FR = {
    PersonCategory.PATIENTS: "Patients",
    PersonCategory.MINORS: "Mineurs",
    PersonCategory.VULNERABLE: "Personnes vulnérables",
    PersonCategory.EMPLOYEES: "Salariés",
    PersonCategory.CUSTOMERS: "Clients",
    PersonCategory.OTHER: "Autres",
}
DATA_CATEGORY_FR = {
    DataCategory.CIVIL_STATUS: "État civil, identité, données d'identification",
    DataCategory.NIR: "Numéro de sécurité sociale (NIR)",
    DataCategory.CONTACT: "Coordonnées (adresse postale, téléphone, e-mail)",
    DataCategory.ACCESS: "Données d'identification ou d'accès (identifiants, mots de passe)",
    DataCategory.FINANCIAL: "Données économiques et financières",
    DataCategory.OFFICIAL_DOCUMENTS: "Documents officiels",
    DataCategory.LOCATION: "Données de localisation",
    DataCategory.OFFENCES: "Infractions, condamnations, mesures de sûreté",
    DataCategory.HEALTH: "Données de santé (catégorie particulière)",
    DataCategory.GENETIC: "Données génétiques (catégorie particulière)",
    DataCategory.BIOMETRIC: "Données biométriques (catégorie particulière)",
    DataCategory.SEX_LIFE: "Vie sexuelle ou orientation sexuelle (catégorie particulière)",
    DataCategory.RACIAL_ETHNIC: "Origine raciale ou ethnique (catégorie particulière)",
    DataCategory.CONNECTION: "Données de connexion (adresses IP, journaux)",
    DataCategory.UNKNOWN: "Pas encore connues",
    DataCategory.OTHER: "Autres",
}
CONSEQUENCE_FR = {
    Consequence.LOSS_OF_CONTROL: "Perte de contrôle sur leurs données personnelles",
    Consequence.DISCRIMINATION: "Discrimination",
    Consequence.IDENTITY_THEFT: "Vol ou usurpation d'identité",
    Consequence.FRAUD: "Fraude",
    Consequence.FINANCIAL_LOSS: "Pertes financières",
    Consequence.REPUTATION: "Atteinte à la réputation",
    Consequence.PROFESSIONAL_SECRECY: "Perte de la confidentialité de données protégées par un secret professionnel (secret médical)",
    Consequence.OTHER: "Autre",
}
SEVERITY_FR = {
    Severity.NEGLIGIBLE: "Négligeable",
    Severity.LIMITED: "Limitée",
    Severity.SIGNIFICANT: "Importante",
    Severity.MAXIMUM: "Maximale",
}
# The CNIL's four-step severity scale read from the ENISA bands.
SEVERITY_FROM_BAND = {
    "low": Severity.NEGLIGIBLE,
    "medium": Severity.LIMITED,
    "high": Severity.SIGNIFICANT,
    "very_high": Severity.MAXIMUM,
}
OUTCOME_FR = {
    DecisionOutcome.NOTIFY: "Notifier la CNIL",
    DecisionOutcome.DO_NOT_NOTIFY: "Ne pas notifier : violation non susceptible d'engendrer un risque (article 33(1))",
    DecisionOutcome.INFORM: "Informer les personnes concernées (article 34(1))",
    DecisionOutcome.NOT_REQUIRED: "Ne pas informer : risque non élevé (article 34(1))",
    DecisionOutcome.EXEMPT_UNINTELLIGIBLE: "Ne pas informer : données incompréhensibles (article 34(3)(a))",
    DecisionOutcome.EXEMPT_MITIGATED: "Ne pas informer : risque élevé supprimé par des mesures ultérieures (article 34(3)(b))",
    DecisionOutcome.EXEMPT_DISPROPORTIONATE: "Communication publique au lieu d'une information individuelle (article 34(3)(c))",
}
DECISION_KIND_FR = {
    DecisionKind.NOTIFY_AUTHORITY: "Notification à la CNIL (article 33)",
    DecisionKind.INFORM_SUBJECTS: "Information des personnes concernées (article 34)",
}
STATUS_FR = {
    Status.DETECTED: "Détectée",
    Status.ASSESSED: "Évaluée",
    Status.NOTIFIED: "Notifiée à la CNIL",
    Status.COMPLEMENTED: "Notification complémentaire déposée",
    Status.SUBJECTS_INFORMED: "Personnes concernées informées",
    Status.CLOSED: "Close",
}
OTHER_BODY_FR = {
    OtherBody.ARS_CERT_SANTE: "ARS et CERT Santé (article L.1111-8-2 du code de la santé publique)",
    OtherBody.ANSSI: "ANSSI / CERT-FR",
    OtherBody.POLICE: "Police, gendarmerie ou procureur de la République",
    OtherBody.INSURER: "Assureur",
    OtherBody.OTHER: "Autre",
}
ROLE_FR: dict[str, str] = {
    Role.DPO: "délégué à la protection des données",
    Role.COMPLIANCE_OFFICER: "responsable de la conformité",
    Role.MAILROOM: "opérateur du service courrier",
    Role.ADMIN: "administrateur",
}
MEDIUM_FR = {
    "website": "site internet de l'organisme",
    "press": "presse",
    "premises": "affichage dans les locaux",
    "other": "autre support",
}
EMAIL_SECTION_FR = {
    "what_happened": "Ce qui s'est passé",
    "consequences": "Conséquences probables",
    "measures": "Ce que nous avons fait",
    "advice": "Ce que vous pouvez faire",
}
LANGUAGE_FR = {"fr": "français", "en": "anglais"}
# Art. 56 and the teleservice's cross-border question: persons living in another member state of the Union.
EU_MEMBER_STATES_FR = {
    "AT": "Autriche",
    "BE": "Belgique",
    "BG": "Bulgarie",
    "CY": "Chypre",
    "CZ": "Tchéquie",
    "DE": "Allemagne",
    "DK": "Danemark",
    "EE": "Estonie",
    "ES": "Espagne",
    "FI": "Finlande",
    "GR": "Grèce",
    "HR": "Croatie",
    "HU": "Hongrie",
    "IE": "Irlande",
    "IT": "Italie",
    "LT": "Lituanie",
    "LU": "Luxembourg",
    "LV": "Lettonie",
    "MT": "Malte",
    "NL": "Pays-Bas",
    "PL": "Pologne",
    "PT": "Portugal",
    "RO": "Roumanie",
    "SE": "Suède",
    "SI": "Slovénie",
    "SK": "Slovaquie",
}
KIND_FR = {"initial": "Notification initiale", "complementary": "Notification complémentaire"}


@dataclass(frozen=True)
class FilingContext:
    """Everything a field may read; counts only, never a data subject's row."""

    breach_file: BreachFile
    kind: str
    version: int
    initial_case_number: str
    is_late: bool
    assessment: RiskAssessment | None
    decisions: dict[str, Decision]
    subjects_to_inform: int = 0
    subjects_by_channel: dict[str, int] = field(default_factory=dict)
    # DataSubject rows with a child or adolescent age group (DOMAIN.md section 9).
    minors: int = 0
    # Data subjects per country code other than France.
    countries: dict[str, int] = field(default_factory=dict)
    # What the notice ledger says (notifications.selectors.information.PersonsInformed), None before a campaign.
    informed: Any = None
    # The emails' frozen texts per language, when a campaign was launched: annexed as models.
    email_texts: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def organisation(self) -> Organisation:
        return self.breach_file.controller


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    read: Callable[[FilingContext], Value]
    # The rule that makes the field mandatory ("Art. 33(3)(a)", "Téléservice"); empty when optional.
    required_by: str = ""
    # Where to fix it: "breach_file:<form field>", "organisation:<model field>" or "risk:<anchor>".
    edit: str = ""
    # Whether a value means "not known yet" rather than an answer (e.g. an unknown origin).
    is_unknown: Callable[[FilingContext], bool] | None = None
    # Compared between filings to show what changed.
    is_compared: bool = True


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    fields: tuple[Field, ...]
    # Annexes go in the dossier and the export but are not typed into the teleservice.
    is_annex: bool = False


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    sections: tuple[Section, ...]

    def fields(self) -> list[tuple[Section, Field]]:
        return [(section, item) for section in self.sections for item in section.fields]


def paris_datetime(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") + " (heure de Paris)"


def yes_no(value: bool) -> str:
    return "Oui" if value else "Non"


def text(value: str) -> str | None:
    return value.strip() or None


def labels(values: list[str], names: dict[Any, str]) -> list[str] | None:
    return [names.get(value, value) for value in values] or None


def french_date(day: date | None) -> str | None:
    return day.strftime("%d/%m/%Y") if day is not None else None


def person_name(user: object) -> str:
    """Name a person by name and role, never by login (the dossier is read outside BreachDesk)."""
    if user is None:
        return "BreachDesk (traitement automatique)"
    full_name = getattr(user, "get_full_name", lambda: "")().strip()
    role = ROLE_FR.get(str(getattr(user, "role", "")), "")
    if full_name and role:
        return f"{full_name}, {role}"
    return full_name or (f"le {role}" if role else "un utilisateur dont le nom n'est pas renseigné")


def _siren(context: FilingContext) -> Value:
    organisation = context.organisation
    if organisation.has_no_siren:
        return "L'organisme n'a pas de numéro SIREN"
    return organisation.siren or None


def _severity(context: FilingContext) -> Value:
    breach_file = context.breach_file
    if breach_file.severity:
        return SEVERITY_FR[Severity(breach_file.severity)]
    if context.assessment is not None:
        return f"{SEVERITY_FR[SEVERITY_FROM_BAND[context.assessment.level]]} (d'après l'évaluation ENISA en annexe)"
    return None


def _processor_involved(context: FilingContext) -> Value:
    return yes_no(context.breach_file.incident.processor_id is not None)


def _processor_identity(context: FilingContext) -> Value:
    processor = context.breach_file.incident.processor
    if processor is None:
        return None
    parts = [processor.name]
    if processor.siret:
        parts.append(f"SIREN {processor.siren}")
    if processor.address:
        parts.append(processor.address.replace("\n", ", "))
    return " — ".join(parts)


def _processor_contact(context: FilingContext) -> Value:
    processor = context.breach_file.incident.processor
    if processor is None:
        return None
    parts = [processor.dpo_name, processor.dpo_email, processor.dpo_phone]
    return ", ".join(part for part in parts if part) or None


def _late(context: FilingContext) -> Value:
    return yes_no(context.is_late)


def _delay_reasons(context: FilingContext) -> Value:
    if not context.is_late:
        return "Sans objet (notification dans les 72 heures)"
    return text(context.breach_file.delay_reasons)


def _exposed_items(context: FilingContext) -> Value:
    if context.assessment is None:
        return None
    return [EXPOSURES[code].label_fr for code in context.assessment.exposures if code in EXPOSURES]


def _information_status(context: FilingContext) -> Value:
    breach_file = context.breach_file
    informed = context.informed
    if informed is not None and informed.is_everyone_informed:
        return "Oui, les personnes ont été informées"
    if breach_file.status in (Status.SUBJECTS_INFORMED, Status.CLOSED):
        return "Oui, les personnes ont été informées"
    decision = context.decisions.get(DecisionKind.INFORM_SUBJECTS)
    if decision is None:
        return None
    if decision.outcome == DecisionOutcome.INFORM:
        if informed is not None and informed.has_sent_anything:
            return f"Oui, en cours : {informed.told} personne(s) informée(s) sur {informed.covered} à ce jour"
        return "Pas encore, mais elles le seront"
    if decision.outcome == DecisionOutcome.NOT_REQUIRED:
        return "Non : la violation n'est pas susceptible d'engendrer un risque élevé (article 34(1))"
    exemption = {
        DecisionOutcome.EXEMPT_UNINTELLIGIBLE: "Non : données incompréhensibles pour les tiers, "
        "par exemple chiffrées (article 34(3)(a))",
        DecisionOutcome.EXEMPT_MITIGATED: "Non : des mesures ultérieures ont supprimé le risque élevé (article 34(3)(b))",
        DecisionOutcome.EXEMPT_DISPROPORTIONATE: "Non individuellement : efforts disproportionnés, "
        "communication publique à la place (article 34(3)(c))",
    }
    return exemption[DecisionOutcome(decision.outcome)]


def _information_reason(context: FilingContext) -> Value:
    decision = context.decisions.get(DecisionKind.INFORM_SUBJECTS)
    return decision.rationale if decision is not None else None


def _information_how(context: FilingContext) -> Value:
    decision = context.decisions.get(DecisionKind.INFORM_SUBJECTS)
    if decision is None:
        return None
    if decision.outcome == DecisionOutcome.EXEMPT_DISPROPORTIONATE:
        when = paris_datetime(decision.public_communication_at)
        return f"Communication publique le {when} : {decision.public_communication}"
    if decision.outcome != DecisionOutcome.INFORM:
        return "Sans objet"
    levels = ", ".join(band_label(level, "fr") for level in decision.levels)
    by_post = context.subjects_by_channel.get("post", 0)
    by_email = context.subjects_by_channel.get("email", 0)
    lines = [
        f"Personnes à informer : {context.subjects_to_inform} (niveaux de risque {levels})",
        f"Par courrier individuel : {by_post} ; par e-mail en complément : {by_email}",
        "Courrier dédié en français (en anglais pour les personnes qui l'ont demandé), signé par le DPO",
    ]
    return lines + _ledger_lines(context)


def _ledger_lines(context: FilingContext) -> list[str]:
    """Whether, when and how the persons were told, from the notice ledger (DOMAIN.md section 10)."""
    informed = context.informed
    if informed is None or informed.campaign is None:
        return []
    lines = [
        f"Information lancée le {paris_datetime(informed.campaign.launched_at)}",
        f"Personnes informées à ce jour : {informed.told} sur {informed.covered}",
        f"Courriers postés : {informed.letters_posted} ; courriers revenus (NPAI) : {informed.letters_returned}",
        f"E-mails envoyés : {informed.emails_sent} ; e-mails revenus en erreur ou refusés : "
        f"{informed.emails_undelivered}",
    ]
    if informed.emails_unknown:
        lines.append(f"E-mails dont la remise est incertaine : {informed.emails_unknown}")
    lines.append(f"Personnes injoignables (ni adresse ni e-mail utilisable) : {informed.unreachable}")
    lines.append(f"Communications publiques en complément (article 34(3)(c)) : {len(informed.public_communications)}")
    if informed.first_sent_on is not None:
        lines.append(
            f"Premier envoi le {french_date(informed.first_sent_on)} ; dernier envoi le "
            f"{french_date(informed.last_sent_on)}"
        )
    else:
        lines.append("Aucun courrier posté ni e-mail envoyé à ce jour")
    if informed.in_progress:
        lines.append(f"Envois encore en cours : {informed.in_progress}")
    return lines


def _public_communications(context: FilingContext) -> Value:
    informed = context.informed
    if informed is None or not informed.public_communications:
        return "Aucune"
    return [
        f"Le {french_date(item.published_on)}, {MEDIUM_FR.get(item.medium, item.medium)}"
        + (f" ({item.medium_detail})" if item.medium_detail else "")
        + f", pour {item.unreachable_count} personne(s) injoignable(s) : {item.text}"
        for item in informed.public_communications
    ]


def _model_messages(context: FilingContext) -> Value:
    informed = context.informed
    if informed is None or not informed.languages:
        return None
    return [
        line
        for language in informed.languages
        for line in (
            f"Modèle de courrier en {LANGUAGE_FR.get(language, language)} : joint en annexe",
            f"Modèle d'e-mail en {LANGUAGE_FR.get(language, language)} : joint en annexe",
        )
    ]


def _email_model(context: FilingContext) -> Value:
    lines: list[str] = []
    for language, texts in context.email_texts.items():
        lines.append(f"— E-mail en {LANGUAGE_FR.get(language, language)} —")
        lines.extend(
            f"{EMAIL_SECTION_FR.get(section, section)} : {value}" for section, value in texts.items() if value.strip()
        )
    return lines or None


def _person_categories(context: FilingContext) -> Value:
    names = [PERSON_CATEGORY_FR.get(value, value) for value in context.breach_file.person_categories]
    minors = PERSON_CATEGORY_FR[PersonCategory.MINORS]
    if context.minors and minors not in names:
        names.append(minors)
    named = [f"{name} ({context.minors})" if name == minors and context.minors else name for name in names]
    return named or None


def _other_member_states(context: FilingContext) -> Value:
    in_union = {code: count for code, count in context.countries.items() if code in EU_MEMBER_STATES_FR}
    elsewhere = sum(count for code, count in context.countries.items() if code not in EU_MEMBER_STATES_FR)
    if not in_union and not elsewhere:
        return "Aucune : toutes les personnes résident en France"
    lines = [f"{EU_MEMBER_STATES_FR[code]} : {count}" for code, count in sorted(in_union.items())]
    if elsewhere:
        lines.append(f"Hors de l'Union européenne : {elsewhere}")
    return lines


def _late_awareness(context: FilingContext) -> Value:
    breach_file = context.breach_file
    informed_at = breach_file.processor_informed_at
    if informed_at is None or breach_file.became_aware_at <= informed_at:
        return "Sans objet (prise de connaissance dès l'information par le sous-traitant)"
    return text(breach_file.late_awareness_reason)


def _complaint(context: FilingContext) -> Value:
    breach_file = context.breach_file
    if breach_file.complaint_filed_on is None:
        return "Non, pas à ce jour"
    return f"Oui, le {french_date(breach_file.complaint_filed_on)} auprès de : {breach_file.complaint_filed_with}"


def _other_bodies(context: FilingContext) -> Value:
    breach_file = context.breach_file
    names = [OTHER_BODY_FR.get(value, value) for value in breach_file.other_bodies_informed]
    if breach_file.other_bodies_detail.strip():
        names.append(f"Précisions : {breach_file.other_bodies_detail.strip()}")
    return names or "Aucun"


def _levels_fr(decision: Decision) -> str:
    if not decision.levels:
        return ""
    return " (niveaux " + ", ".join(band_label(level, "fr") for level in decision.levels) + ")"


def decision_summary_fr(decision: Decision) -> str:
    """Say in French what was decided, by whom and when."""
    return (
        f"{OUTCOME_FR[DecisionOutcome(decision.outcome)]}{_levels_fr(decision)} — décidé par "
        f"{person_name(decision.decided_by)} le {paris_datetime(decision.decided_at)}"
    )


def _decision_line(decision: Decision | None) -> Value:
    if decision is None:
        return None
    return [
        decision_summary_fr(decision),
        f"Motivation : {decision.rationale}",
        *([f"Écart avec la proposition : {decision.override_rationale}"] if decision.override_rationale else []),
    ]


def _enisa(read: Callable[[RiskAssessment], Value]) -> Callable[[FilingContext], Value]:
    def reader(context: FilingContext) -> Value:
        return read(context.assessment) if context.assessment is not None else None

    return reader


def _enisa_level(assessment: RiskAssessment) -> Value:
    level = band_label(assessment.level, "fr")
    if assessment.is_level_overridden:
        return f"{level} (niveau par défaut {band_label(assessment.default_level, 'fr')} ; motif : {assessment.level_rationale})"
    return level


def _subjects_by_level(context: FilingContext) -> Value:
    decision = context.decisions.get(DecisionKind.INFORM_SUBJECTS) or context.decisions.get(
        DecisionKind.NOTIFY_AUTHORITY
    )
    if decision is None or not decision.subjects_by_level or not any(decision.subjects_by_level.values()):
        return None
    return [f"{band_label(level, 'fr')} : {count}" for level, count in decision.subjects_by_level.items()]


def _unknown_date(name: str) -> Callable[[FilingContext], bool]:
    return lambda context: getattr(context.breach_file, name) is None


CNIL_TELESERVICE = Template(
    key="cnil-teleservice",
    title="Notification de violation de données personnelles à la CNIL",
    sections=(
        Section(
            "notification",
            "Type de notification",
            (
                Field("notification.type", "Type de notification", lambda c: KIND_FR[c.kind], is_compared=False),
                Field(
                    "notification.initial_case_number",
                    "Numéro de la notification initiale (CNIL)",
                    lambda c: c.initial_case_number or ("Sans objet" if c.kind == "initial" else None),
                    is_compared=False,
                ),
                Field("notification.version", "Version du dossier", lambda c: str(c.version), is_compared=False),
            ),
        ),
        Section(
            "organisation",
            "Organisme",
            (
                Field("organisation.name", "Raison sociale", lambda c: text(c.organisation.name), "Téléservice"),
                Field("organisation.siren", "Numéro SIREN", _siren, "Téléservice", "organisation:siret"),
                Field("organisation.siret", "Numéro SIRET", lambda c: text(c.organisation.siret.replace(" ", ""))),
                Field(
                    "organisation.address",
                    "Adresse",
                    lambda c: text(c.organisation.address.replace("\n", ", ")),
                    "Téléservice",
                    "organisation:address",
                ),
                Field(
                    "organisation.sector",
                    "Secteur d'activité",
                    lambda c: text(c.organisation.sector),
                    "Téléservice",
                    "organisation:sector",
                ),
            ),
        ),
        Section(
            "contact",
            "Personne à contacter (DPO ou autre point de contact)",
            (
                Field(
                    "contact.name",
                    "Nom et prénom",
                    lambda c: text(c.organisation.dpo_name),
                    "Art. 33(3)(b)",
                    "organisation:dpo_name",
                ),
                Field(
                    "contact.email",
                    "Adresse e-mail",
                    lambda c: text(c.organisation.dpo_email),
                    "Art. 33(3)(b)",
                    "organisation:dpo_email",
                ),
                Field(
                    "contact.phone",
                    "Téléphone",
                    lambda c: text(c.organisation.dpo_phone),
                    "Art. 33(3)(b)",
                    "organisation:dpo_phone",
                ),
                Field(
                    "contact.address",
                    "Adresse postale",
                    lambda c: text(c.organisation.dpo_address.replace("\n", ", ")),
                    edit="organisation:dpo_address",
                ),
            ),
        ),
        Section(
            "legal_representative",
            "Représentant légal de l'organisme",
            (
                Field(
                    "legal_representative.name",
                    "Nom et prénom",
                    lambda c: text(c.organisation.legal_representative_name),
                    "Téléservice",
                    "organisation:legal_representative_name",
                ),
                Field(
                    "legal_representative.title",
                    "Fonction",
                    lambda c: text(c.organisation.legal_representative_title),
                    "Téléservice",
                    "organisation:legal_representative_title",
                ),
            ),
        ),
        Section(
            "breach",
            "La violation",
            (
                Field(
                    "breach.established",
                    "Violation avérée ou suspectée",
                    lambda c: "Avérée" if c.breach_file.is_established else "Suspectée",
                    edit="breach_file:is_established",
                ),
                Field(
                    "breach.ongoing",
                    "Violation toujours en cours",
                    lambda c: yes_no(c.breach_file.is_ongoing),
                    edit="breach_file:is_ongoing",
                ),
                Field(
                    "breach.narrative",
                    "Description de ce qui s'est passé",
                    lambda c: text(c.breach_file.narrative),
                    "Art. 33(3)(a)",
                    "breach_file:narrative",
                ),
            ),
        ),
        Section(
            "dates",
            "Dates et heures",
            (
                Field(
                    "dates.start",
                    "Début de la violation",
                    lambda c: paris_datetime(c.breach_file.started_at),
                    edit="breach_file:started_at",
                    is_unknown=_unknown_date("started_at"),
                ),
                Field(
                    "dates.discovery",
                    "Découverte de la violation",
                    lambda c: paris_datetime(c.breach_file.discovered_at),
                    edit="breach_file:discovered_at",
                    is_unknown=_unknown_date("discovered_at"),
                ),
                Field(
                    "dates.awareness",
                    "Prise de connaissance par le responsable de traitement (début du délai de 72 heures)",
                    lambda c: paris_datetime(c.breach_file.became_aware_at),
                    "Art. 33(1)",
                    "breach_file:became_aware_at",
                ),
                Field(
                    "dates.end",
                    "Fin de la violation",
                    lambda c: (
                        "Violation toujours en cours"
                        if c.breach_file.is_ongoing
                        else paris_datetime(c.breach_file.ended_at)
                    ),
                    edit="breach_file:ended_at",
                    is_unknown=lambda c: not c.breach_file.is_ongoing and c.breach_file.ended_at is None,
                ),
                Field(
                    "dates.processor_informed",
                    "Information par le sous-traitant (article 33(2))",
                    lambda c: (
                        paris_datetime(c.breach_file.processor_informed_at)
                        if c.breach_file.incident.processor_id
                        else "Sans objet"
                    ),
                    edit="breach_file:processor_informed_at",
                    is_unknown=lambda c: (
                        bool(c.breach_file.incident.processor_id) and c.breach_file.processor_informed_at is None
                    ),
                ),
                Field(
                    "dates.late_awareness",
                    "Motif d'une prise de connaissance postérieure à l'information par le sous-traitant (EDPB 9/2022)",
                    _late_awareness,
                    "EDPB 9/2022",
                    "breach_file:late_awareness_reason",
                ),
                Field(
                    "dates.circumstances",
                    "Circonstances de la découverte",
                    lambda c: text(c.breach_file.discovery_circumstances),
                    edit="breach_file:discovery_circumstances",
                    is_unknown=lambda c: not c.breach_file.discovery_circumstances.strip(),
                ),
                Field("dates.late", "Notification au-delà de 72 heures", _late),
                Field(
                    "dates.delay_reasons",
                    "Motifs du retard (article 33(1))",
                    _delay_reasons,
                    "Art. 33(1)",
                    "breach_file:delay_reasons",
                ),
            ),
        ),
        Section(
            "nature",
            "Nature de la violation",
            (
                Field(
                    "nature.natures",
                    "Nature",
                    lambda c: labels(c.breach_file.natures, NATURE_FR),
                    "Art. 33(3)(a)",
                    "breach_file:natures",
                ),
            ),
        ),
        Section(
            "origin",
            "Origine de l'incident",
            (
                Field(
                    "origin.origin",
                    "Origine",
                    lambda c: ORIGIN_FR[Origin(c.breach_file.origin)],
                    edit="breach_file:origin",
                    is_unknown=lambda c: c.breach_file.origin == Origin.UNKNOWN,
                ),
                Field(
                    "origin.detail",
                    "Précisions",
                    lambda c: text(c.breach_file.origin_detail),
                    edit="breach_file:origin_detail",
                ),
            ),
        ),
        Section(
            "cause",
            "Cause de l'incident",
            (
                Field(
                    "cause.cause",
                    "Cause",
                    lambda c: CAUSE_FR[Cause(c.breach_file.cause)],
                    edit="breach_file:cause",
                    is_unknown=lambda c: c.breach_file.cause == Cause.UNKNOWN,
                ),
            ),
        ),
        Section(
            "processor",
            "Sous-traitants",
            (
                Field("processor.involved", "Sous-traitant impliqué", _processor_involved),
                Field("processor.identity", "Nom et coordonnées du sous-traitant", _processor_identity),
                Field("processor.contact", "Contact chez le sous-traitant", _processor_contact),
            ),
        ),
        Section(
            "persons",
            "Personnes concernées et volume",
            (
                Field(
                    "persons.categories",
                    "Catégories de personnes concernées",
                    _person_categories,
                    "Art. 33(3)(a)",
                    "breach_file:person_categories",
                ),
                Field(
                    "persons.count",
                    "Nombre approximatif de personnes concernées",
                    lambda c: (
                        None if c.breach_file.approximate_persons is None else str(c.breach_file.approximate_persons)
                    ),
                    "Art. 33(3)(a)",
                    "breach_file:approximate_persons",
                ),
                Field(
                    "persons.records",
                    "Nombre approximatif d'enregistrements concernés",
                    lambda c: (
                        None if c.breach_file.approximate_records is None else str(c.breach_file.approximate_records)
                    ),
                    "Art. 33(3)(a)",
                    "breach_file:approximate_records",
                ),
                Field("persons.minors", "Nombre de mineurs concernés", lambda c: str(c.minors)),
                Field(
                    "persons.identifiable",
                    "Personnes directement identifiables",
                    lambda c: yes_no(c.breach_file.is_directly_identifiable),
                    edit="breach_file:is_directly_identifiable",
                ),
            ),
        ),
        Section(
            "data",
            "Catégories de données concernées",
            (
                Field(
                    "data.categories",
                    "Catégories de données",
                    lambda c: labels(c.breach_file.data_categories, DATA_CATEGORY_FR),
                    "Art. 33(3)(a)",
                    "breach_file:data_categories",
                    is_unknown=lambda c: DataCategory.UNKNOWN in c.breach_file.data_categories,
                ),
                Field("data.items", "Détail des données exposées", _exposed_items, edit="risk:assessment"),
            ),
        ),
        Section(
            "consequences",
            "Conséquences probables",
            (
                Field(
                    "consequences.list",
                    "Conséquences et préjudices potentiels pour les personnes",
                    lambda c: labels(c.breach_file.consequences, CONSEQUENCE_FR),
                    "Art. 33(3)(c)",
                    "breach_file:consequences",
                ),
                Field(
                    "consequences.detail",
                    "Précisions",
                    lambda c: text(c.breach_file.consequences_detail),
                    edit="breach_file:consequences_detail",
                ),
                Field("consequences.severity", "Gravité", _severity, "Art. 33(3)(c)", "breach_file:severity"),
            ),
        ),
        Section(
            "measures",
            "Mesures prises ou envisagées",
            (
                Field(
                    "measures.before",
                    "Mesures de sécurité en place avant la violation",
                    lambda c: text(c.breach_file.security_measures_before),
                    edit="breach_file:security_measures_before",
                    is_unknown=lambda c: not c.breach_file.security_measures_before.strip(),
                ),
                Field(
                    "measures.immediate",
                    "Mesures immédiates",
                    lambda c: text(c.breach_file.measures_immediate),
                    "Art. 33(3)(d)",
                    "breach_file:measures_immediate",
                ),
                Field(
                    "measures.medium_term",
                    "Mesures à moyen terme",
                    lambda c: text(c.breach_file.measures_medium_term),
                    edit="breach_file:measures_medium_term",
                    is_unknown=lambda c: not c.breach_file.measures_medium_term.strip(),
                ),
                Field(
                    "measures.long_term",
                    "Mesures à long terme",
                    lambda c: text(c.breach_file.measures_long_term),
                    edit="breach_file:measures_long_term",
                    is_unknown=lambda c: not c.breach_file.measures_long_term.strip(),
                ),
                Field(
                    "measures.mitigation",
                    "Mesures pour atténuer les conséquences pour les personnes",
                    lambda c: text(c.breach_file.mitigation_measures),
                    "Art. 33(3)(d)",
                    "breach_file:mitigation_measures",
                ),
            ),
        ),
        Section(
            "information",
            "Information des personnes concernées",
            (
                Field(
                    "information.status",
                    "Les personnes ont-elles été informées ?",
                    _information_status,
                    "Téléservice",
                    "risk:decision-inform_subjects",
                ),
                Field("information.reason", "Motivation", _information_reason, edit="risk:decision-inform_subjects"),
                Field("information.how", "Modalités et date", _information_how, edit="risk:decision-inform_subjects"),
                Field(
                    "information.public",
                    "Communication publique en complément, pour les personnes injoignables (article 34(3)(c))",
                    _public_communications,
                ),
                Field("information.models", "Modèles de message joints", _model_messages),
            ),
        ),
        Section(
            "other_bodies",
            "Plainte et autres organismes informés",
            (
                Field(
                    "other_bodies.complaint",
                    "Plainte déposée",
                    _complaint,
                    edit="breach_file:complaint_filed_on",
                ),
                Field(
                    "other_bodies.informed",
                    "Autres organismes informés (ARS / CERT Santé, ANSSI, police, assureur)",
                    _other_bodies,
                    edit="breach_file:other_bodies_informed",
                ),
            ),
        ),
        Section(
            "cross_border",
            "Traitement transfrontalier",
            (
                Field(
                    "cross_border.authorities",
                    "Autres autorités de contrôle concernées",
                    lambda c: text(c.breach_file.other_authorities) or "Aucune",
                    edit="breach_file:other_authorities",
                ),
                Field(
                    "cross_border.member_states",
                    "Personnes concernées résidant dans d'autres États membres de l'Union",
                    _other_member_states,
                ),
            ),
        ),
        Section(
            "enisa",
            "Annexe — évaluation de la gravité (méthode ENISA)",
            (
                Field("enisa.formula", "Calcul", _enisa(lambda a: a.severity.arithmetic("fr")), edit="risk:assessment"),
                Field("enisa.explanation", "Détail", _enisa(lambda a: a.severity.explanation("fr"))),
                Field("enisa.score", "Score de gravité", _enisa(lambda a: format_number(a.score, "fr"))),
                Field("enisa.band", "Niveau calculé", _enisa(lambda a: band_label(a.band, "fr"))),
                Field("enisa.level", "Niveau de risque retenu", _enisa(_enisa_level)),
                Field("enisa.notes", "Justification des niveaux", _enisa(lambda a: text(a.notes))),
                Field(
                    "enisa.assessed",
                    "Évaluation réalisée",
                    _enisa(lambda a: f"le {paris_datetime(a.assessed_at)} par {person_name(a.assessed_by)}"),
                    is_compared=False,
                ),
                Field("enisa.subjects_by_level", "Personnes concernées par niveau de risque", _subjects_by_level),
                Field(
                    "enisa.notify_decision",
                    "Décision de notifier la CNIL",
                    lambda c: _decision_line(c.decisions.get(DecisionKind.NOTIFY_AUTHORITY)),
                    edit="risk:decision-notify_authority",
                ),
                Field(
                    "enisa.inform_decision",
                    "Décision d'informer les personnes",
                    lambda c: _decision_line(c.decisions.get(DecisionKind.INFORM_SUBJECTS)),
                    edit="risk:decision-inform_subjects",
                ),
            ),
            is_annex=True,
        ),
        Section(
            "models",
            "Annexe — modèles des messages aux personnes concernées",
            (
                Field(
                    "models.letters",
                    "Modèle de courrier",
                    lambda c: (
                        ["Les pages du modèle de courrier suivent, pour chaque langue utilisée."]
                        if c.email_texts
                        else None
                    ),
                    is_compared=False,
                ),
                Field("models.email", "Modèle d'e-mail", _email_model, is_compared=False),
            ),
            is_annex=True,
        ),
    ),
)

TEMPLATES = {CNIL_TELESERVICE.key: CNIL_TELESERVICE}


def read_values(template: Template, context: FilingContext) -> dict[str, Value]:
    """Read every field of the template: the snapshot a filing keeps."""
    return {item.key: item.read(context) for _section, item in template.fields()}


# Art. 33(1): decided by the real submission time, so read again when the submission is recorded.
TIMELINESS_KEYS = ("dates.late", "dates.delay_reasons")


def timeliness_values(template: Template, context: FilingContext) -> dict[str, Value]:
    """Read the fields that say whether the notification is late and why."""
    return {item.key: item.read(context) for _section, item in template.fields() if item.key in TIMELINESS_KEYS}


def is_empty(value: Value) -> bool:
    return value is None or value == "" or value == []


@dataclass(frozen=True)
class Gap:
    """One item a filing lacks, with the rule that asks for it and where to fix it."""

    key: str
    section: str
    label: str
    required_by: str
    edit: str
    is_blocking: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "section": self.section,
            "label": self.label,
            "required_by": self.required_by,
            "edit": self.edit,
            "is_blocking": self.is_blocking,
        }


def missing_items(template: Template, context: FilingContext, values: dict[str, Value]) -> list[Gap]:
    """List every mandatory field left empty; reasons for a late notification block the filing."""
    gaps = []
    for section, item in template.fields():
        if item.required_by and is_empty(values.get(item.key)):
            gaps.append(
                Gap(
                    key=item.key,
                    section=section.title,
                    label=item.label,
                    required_by=item.required_by,
                    edit=item.edit,
                    is_blocking=item.key == "dates.delay_reasons" and context.is_late,
                )
            )
    return gaps


def unknown_items(template: Template, context: FilingContext) -> list[Gap]:
    """List the fields answered "not known yet", to complete in a complementary notification (Art. 33(4))."""
    return [
        Gap(key=item.key, section=section.title, label=item.label, required_by="", edit=item.edit)
        for section, item in template.fields()
        if item.is_unknown is not None and item.is_unknown(context)
    ]


def changed_items(template: Template, before: dict[str, Value], after: dict[str, Value]) -> list[dict[str, object]]:
    """List the compared fields whose value differs from the previous filing's."""
    return [
        {
            "key": item.key,
            "section": section.title,
            "label": item.label,
            "before": before.get(item.key),
            "after": after.get(item.key),
        }
        for section, item in template.fields()
        if item.is_compared and before.get(item.key) != after.get(item.key)
    ]


def edit_url(breach_file: BreachFile, target: str) -> str:
    """Return the page and anchor where a missing item is filled in."""
    if not target:
        return ""
    kind, _separator, name = target.partition(":")
    reference, code = breach_file.incident.reference, breach_file.controller.code
    if kind == "breach_file":
        return reverse("breach_file_edit", args=[reference, code]) + f"#id_{name}"
    if kind == "organisation":
        return reverse("admin:breachdesk_organisation_change", args=[breach_file.controller_id]) + f"#id_{name}"
    if kind == "risk":
        return reverse("risk", args=[reference, code]) + f"#{name}"
    raise ValueError(f"Unknown edit target kind: {kind}")


@dataclass(frozen=True)
class RenderedField:
    key: str
    label: str
    value: Value
    required_by: str
    edit: str
    is_missing: bool
    is_changed: bool

    @property
    def lines(self) -> list[str]:
        if self.value is None or self.value == "":
            return []
        return self.value if isinstance(self.value, list) else [self.value]

    @property
    def copy_text(self) -> str:
        return "\n".join(self.lines) if self.lines else NOT_KNOWN


@dataclass(frozen=True)
class RenderedSection:
    key: str
    title: str
    is_annex: bool
    fields: list[RenderedField]

    @property
    def has_values(self) -> bool:
        return any(item.lines for item in self.fields)

    @property
    def has_changes(self) -> bool:
        return any(item.is_changed for item in self.fields)

    @property
    def is_shown(self) -> bool:
        """An annex with nothing in it (no campaign, no model message) is left out; the ENISA one says "not assessed"."""
        return not self.is_annex or self.key == "enisa" or self.has_values


def lay_out(template: Template, snapshot: dict[str, Value], changed_keys: set[str]) -> list[RenderedSection]:
    """Arrange a snapshot's values by section for the dossier, the summary page and the export."""
    return [
        RenderedSection(
            key=section.key,
            title=section.title,
            is_annex=section.is_annex,
            fields=[
                RenderedField(
                    key=item.key,
                    label=item.label,
                    value=snapshot.get(item.key),
                    required_by=item.required_by,
                    edit=item.edit,
                    is_missing=bool(item.required_by) and is_empty(snapshot.get(item.key)),
                    is_changed=item.key in changed_keys,
                )
                for item in section.fields
            ],
        )
        for section in template.sections
    ]


def export(template: Template, snapshot: dict[str, Value], header: dict[str, object]) -> dict[str, object]:
    """Return the JSON export of a filing: the same sections and fields as the summary page."""
    return {
        "template": template.key,
        "title": template.title,
        **header,
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "is_annex": section.is_annex,
                "fields": [
                    {
                        "key": item.key,
                        "label": item.label,
                        "value": snapshot.get(item.key),
                        "is_known": not is_empty(snapshot.get(item.key)),
                        "required_by": item.required_by,
                    }
                    for item in section.fields
                ],
            }
            for section in template.sections
            if not section.is_annex
            or section.key == "enisa"
            or any(not is_empty(snapshot.get(item.key)) for item in section.fields)
        ],
    }
