"""Enumerations of the breach file and the exposure taxonomy, in one place for the CNIL mapping."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Nature(models.TextChoices):
    CONFIDENTIALITY = "confidentiality", _("Loss of confidentiality")
    INTEGRITY = "integrity", _("Loss of integrity")
    AVAILABILITY = "availability", _("Loss of availability")


class Origin(models.TextChoices):
    EQUIPMENT_LOST_OR_STOLEN = "equipment_lost_or_stolen", _("Equipment lost or stolen")
    PAPER_LOST_OR_STOLEN = "paper_lost_or_stolen", _("Paper lost, stolen or left accessible")
    MAIL_LOST_OR_OPENED = "mail_lost_or_opened", _("Mail lost or opened")
    HACKING = "hacking", _("Hacking, malware, phishing")
    PAPER_DISPOSED = "paper_disposed", _("Paper disposed of without destruction")
    DEVICE_DISPOSED = "device_disposed", _("Devices disposed of without wiping")
    UNINTENDED_PUBLICATION = "unintended_publication", _("Unintended publication")
    WRONG_PERSON_DATA_SHOWN = "wrong_person_data_shown", _("Wrong person's data shown")
    WRONG_RECIPIENT = "wrong_recipient", _("Data sent to the wrong recipient")
    VERBAL_DISCLOSURE = "verbal_disclosure", _("Verbal disclosure")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Cause(models.TextChoices):
    INTERNAL_MALICIOUS = "internal_malicious", _("Internal malicious act")
    INTERNAL_ACCIDENTAL = "internal_accidental", _("Internal accidental act")
    EXTERNAL_MALICIOUS = "external_malicious", _("External malicious act")
    EXTERNAL_ACCIDENTAL = "external_accidental", _("External accidental act")
    UNKNOWN = "unknown", _("Unknown")


class PersonCategory(models.TextChoices):
    PATIENTS = "patients", _("Patients")
    MINORS = "minors", _("Minors")
    VULNERABLE = "vulnerable", _("Vulnerable persons")
    EMPLOYEES = "employees", _("Employees")
    CUSTOMERS = "customers", _("Customers")
    OTHER = "other", _("Other")


class DataCategory(models.TextChoices):
    """CNIL teleservice data categories."""

    CIVIL_STATUS = "civil_status", _("Civil status, identity")
    NIR = "nir", _("Social security number (NIR)")
    CONTACT = "contact", _("Contact details")
    ACCESS = "access", _("Identification or access data")
    FINANCIAL = "financial", _("Economic and financial data")
    OFFICIAL_DOCUMENTS = "official_documents", _("Official documents")
    LOCATION = "location", _("Location data")
    OFFENCES = "offences", _("Offences, convictions")
    HEALTH = "health", _("Health data")
    GENETIC = "genetic", _("Genetic data")
    BIOMETRIC = "biometric", _("Biometric data")
    SEX_LIFE = "sex_life", _("Sex life or sexual orientation")
    RACIAL_ETHNIC = "racial_ethnic", _("Racial or ethnic origin")
    CONNECTION = "connection", _("Connection data (logs, IP addresses)")
    UNKNOWN = "unknown", _("Not known yet")
    OTHER = "other", _("Other")


class Consequence(models.TextChoices):
    LOSS_OF_CONTROL = "loss_of_control", _("Loss of control over personal data")
    DISCRIMINATION = "discrimination", _("Discrimination")
    IDENTITY_THEFT = "identity_theft", _("Identity theft")
    FRAUD = "fraud", _("Fraud")
    FINANCIAL_LOSS = "financial_loss", _("Financial loss")
    REPUTATION = "reputation", _("Damage to reputation")
    PROFESSIONAL_SECRECY = "professional_secrecy", _("Breach of professional (medical) secrecy")
    OTHER = "other", _("Other")


class OtherBody(models.TextChoices):
    """Bodies other than the CNIL a lab informs of the same breach (DOMAIN.md section 11)."""

    ARS_CERT_SANTE = "ars_cert_sante", _("ARS and CERT Santé (CSP L.1111-8-2)")
    ANSSI = "anssi", _("ANSSI / CERT-FR")
    POLICE = "police", _("Police, gendarmerie or prosecutor")
    INSURER = "insurer", _("Insurer")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    NEGLIGIBLE = "negligible", _("Negligible")
    LIMITED = "limited", _("Limited")
    SIGNIFICANT = "significant", _("Significant")
    MAXIMUM = "maximum", _("Maximum")


class Status(models.TextChoices):
    DETECTED = "detected", _("Detected")
    ASSESSED = "assessed", _("Assessed")
    NOTIFIED = "notified", _("Notified to the supervisory authority")
    COMPLEMENTED = "complemented", _("Complementary notification filed")
    SUBJECTS_INFORMED = "subjects_informed", _("Data subjects informed")
    CLOSED = "closed", _("Closed")


class AdolescentAddressee(models.TextChoices):
    """Who is informed of a minor from the digital age to 17 (DOMAIN.md section 9): the DPO's choice per breach file."""

    MINOR = "minor", _("The minor")
    REPRESENTATIVES = "representatives", _("The legal representatives")
    BOTH = "both", _("Both the minor and the legal representatives")


class SensitiveDetail(models.TextChoices):
    """Where a letter names the specific health items: page 1 only ever names the CNIL's categories."""

    # The safer default: a letter opened by someone else in the household reveals nothing specific.
    OMIT = "omit", _("Leave them out: the letter names the categories only")
    INNER_PAGE = "inner_page", _("On an inner page headed as confidential")


STATUS_ORDER = [status.value for status in Status]


@dataclass(frozen=True)
class Exposure:
    code: str
    # A gettext string (context "exposure"): named in the reader's or the letter's language.
    label_text: Promise
    data_category: DataCategory
    # ENISA data processing context base score (1 simple .. 4 sensitive); health ladder for health data.
    base_dpc: int

    @property
    def is_health(self) -> bool:
        return self.data_category in (DataCategory.HEALTH, DataCategory.GENETIC)

    def label(self, language: str) -> str:
        with translation.override(language):
            return str(self.label_text)

    @property
    def label_fr(self) -> str:
        return self.label("fr")

    @property
    def label_en(self) -> str:
        return self.label("en")


# The exposure taxonomy: what of a data subject was exposed.
EXPOSURES: dict[str, Exposure] = {
    exposure.code: exposure
    for exposure in (
        Exposure("identity", pgettext_lazy("exposure", "Identity (name, date of birth)"), DataCategory.CIVIL_STATUS, 1),
        Exposure(
            "contact", pgettext_lazy("exposure", "Contact details (address, phone, email)"), DataCategory.CONTACT, 1
        ),
        # The NIR enables identity theft: ENISA raises simple data when it does.
        Exposure("nir", pgettext_lazy("exposure", "Social security number"), DataCategory.NIR, 2),
        Exposure("insurance", pgettext_lazy("exposure", "Health insurer"), DataCategory.OTHER, 2),
        Exposure("physician", pgettext_lazy("exposure", "Treating physician"), DataCategory.HEALTH, 2),
        Exposure("blood_group", pgettext_lazy("exposure", "Blood group"), DataCategory.HEALTH, 3),
        Exposure("test_results", pgettext_lazy("exposure", "Test results"), DataCategory.HEALTH, 4),
        Exposure("health_comment", pgettext_lazy("exposure", "Medical comments"), DataCategory.HEALTH, 4),
        Exposure("pregnancy", pgettext_lazy("exposure", "Pregnancy information"), DataCategory.HEALTH, 4),
        Exposure("treatment", pgettext_lazy("exposure", "Drug treatments"), DataCategory.HEALTH, 4),
        Exposure("pathology", pgettext_lazy("exposure", "Medical conditions"), DataCategory.HEALTH, 4),
        Exposure("hiv", pgettext_lazy("exposure", "HIV status"), DataCategory.HEALTH, 4),
        Exposure("genetic", pgettext_lazy("exposure", "Genetic data"), DataCategory.GENETIC, 4),
    )
}


def data_categories_of(exposure_codes: list[str] | set[str]) -> list[str]:
    """Return the CNIL data categories of exposure codes, in the CNIL order."""
    categories = {EXPOSURES[code].data_category for code in exposure_codes}
    return [category.value for category in DataCategory if category in categories]


# The harms a person's own exposed categories make likely: one source for the letters' conditional lines and the
# consequences BreachDesk proposes. A condition lists CNIL categories: "+" means all of them, "," any of them.
HARM_CONDITIONS: dict[str, str] = {
    # Phishing that names the lab or the health insurance needs a way to reach the person.
    Consequence.LOSS_OF_CONTROL: "contact",
    # Identity theft needs the identity and the NIR together.
    Consequence.IDENTITY_THEFT: "civil_status+nir",
    Consequence.FRAUD: "civil_status+nir",
    Consequence.FINANCIAL_LOSS: "financial",
    Consequence.PROFESSIONAL_SECRECY: "health,genetic",
    Consequence.DISCRIMINATION: "health,genetic",
}


def condition_holds(condition: str, categories: set[str] | frozenset[str]) -> bool:
    """Tell whether a line's condition ("contact", "civil_status+nir", "health,genetic") holds for these categories."""
    alternatives = [part.strip() for part in condition.split(",") if part.strip()]
    return any(all(item.strip() in categories for item in part.split("+")) for part in alternatives)


def known_condition(condition: str) -> bool:
    """Tell whether every category a condition names exists, so a typing error in a letter text is caught."""
    names = [item.strip() for part in condition.split(",") for item in part.split("+")]
    return bool(names) and all(name in DataCategory.values for name in names)
