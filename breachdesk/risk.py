"""ENISA severity of a personal data breach, SE = DPC x EI + CB, with the arithmetic shown (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from breachdesk.taxonomy import EXPOSURES


class Identification(models.TextChoices):
    """Ease of identification (EI): how easily the data lead to the person."""

    NEGLIGIBLE = "negligible", _("Negligible (0.25)")
    LIMITED = "limited", _("Limited (0.5)")
    SIGNIFICANT = "significant", _("Significant (0.75)")
    MAXIMUM = "maximum", _("Maximum (1): e.g. name with NIR")


class ConfidentialityLoss(models.TextChoices):
    NONE = "none", _("No loss of confidentiality (0)")
    KNOWN_RECIPIENTS = "known_recipients", _("Disclosed to known recipients (0.25)")
    UNKNOWN_RECIPIENTS = "unknown_recipients", _("Disclosed to unknown recipients, e.g. published online (0.5)")


class IntegrityLoss(models.TextChoices):
    NONE = "none", _("No loss of integrity (0)")
    RECOVERABLE = "recoverable", _("Altered, the correct data can be restored (0.25)")
    NOT_RECOVERABLE = "not_recoverable", _("Altered and possibly used, cannot be restored (0.5)")


class AvailabilityLoss(models.TextChoices):
    NONE = "none", _("No loss of availability (0)")
    TEMPORARY = "temporary", _("Temporary (0.25)")
    PERMANENT = "permanent", _("Permanent (0.5)")


class Band(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")


BAND_ORDER = [band.value for band in Band]
# Art. 34(1) applies from this level on.
HIGH_BANDS = [Band.HIGH.value, Band.VERY_HIGH.value]

IDENTIFICATION_FACTOR = {
    Identification.NEGLIGIBLE: Decimal("0.25"),
    Identification.LIMITED: Decimal("0.5"),
    Identification.SIGNIFICANT: Decimal("0.75"),
    Identification.MAXIMUM: Decimal("1"),
}
CONFIDENTIALITY_POINTS = {
    ConfidentialityLoss.NONE: Decimal("0"),
    ConfidentialityLoss.KNOWN_RECIPIENTS: Decimal("0.25"),
    ConfidentialityLoss.UNKNOWN_RECIPIENTS: Decimal("0.5"),
}
INTEGRITY_POINTS = {
    IntegrityLoss.NONE: Decimal("0"),
    IntegrityLoss.RECOVERABLE: Decimal("0.25"),
    IntegrityLoss.NOT_RECOVERABLE: Decimal("0.5"),
}
AVAILABILITY_POINTS = {
    AvailabilityLoss.NONE: Decimal("0"),
    AvailabilityLoss.TEMPORARY: Decimal("0.25"),
    AvailabilityLoss.PERMANENT: Decimal("0.5"),
}
MALICIOUS_INTENT_POINTS = Decimal("0.5")

BAND_LABELS_FR = {
    Band.LOW: "faible",
    Band.MEDIUM: "moyen",
    Band.HIGH: "élevé",
    Band.VERY_HIGH: "très élevé",
}
BAND_LABELS_EN = {Band.LOW: "low", Band.MEDIUM: "medium", Band.HIGH: "high", Band.VERY_HIGH: "very high"}


def band_label(band: str, language: str = "en") -> str:
    labels = BAND_LABELS_FR if language == "fr" else BAND_LABELS_EN
    return labels[Band(band)]


def format_number(value: Decimal, language: str = "en") -> str:
    """Write 0.25 as "0.25" (or "0,25" in French) and 5.00 as "5"."""
    text = f"{value.normalize():f}"
    return text.replace(".", ",") if language == "fr" else text


def band_of(score: Decimal) -> Band:
    """ENISA bands: below 2 low, 2 to 3 medium, 3 to 4 high, 4 and above very high."""
    if score < 2:
        return Band.LOW
    if score < 3:
        return Band.MEDIUM
    if score < 4:
        return Band.HIGH
    return Band.VERY_HIGH


def higher_band(first: str, second: str) -> Band:
    return Band(max(first, second, key=BAND_ORDER.index))


def is_at_least(band: str, floor: str) -> bool:
    return BAND_ORDER.index(band) >= BAND_ORDER.index(floor)


@dataclass(frozen=True)
class ProcessingContext:
    """The data processing context (DPC): the highest base score among the exposed data."""

    dpc: int
    # The exposures that set the score, shown to explain it.
    drivers: tuple[str, ...]
    has_health_data: bool


def processing_context(exposures: Iterable[str]) -> ProcessingContext:
    """Take the highest base score of the exposed data; the health ladder is in each exposure's base score."""
    known = [EXPOSURES[code] for code in dict.fromkeys(exposures) if code in EXPOSURES]
    unknown = [code for code in exposures if code not in EXPOSURES]
    if unknown:
        raise ValueError(f"Unknown exposure codes: {', '.join(sorted(set(unknown)))}")
    if not known:
        raise ValueError("At least one exposure is needed to assess the processing context.")
    dpc = max(exposure.base_dpc for exposure in known)
    return ProcessingContext(
        dpc=dpc,
        drivers=tuple(exposure.code for exposure in known if exposure.base_dpc == dpc),
        has_health_data=any(exposure.is_health for exposure in known),
    )


@dataclass(frozen=True)
class Circumstances:
    """The circumstances of the breach (CB), added to DPC x EI."""

    confidentiality: str
    integrity: str
    availability: str
    is_malicious: bool

    @property
    def terms(self) -> list[Decimal]:
        return [
            CONFIDENTIALITY_POINTS[ConfidentialityLoss(self.confidentiality)],
            INTEGRITY_POINTS[IntegrityLoss(self.integrity)],
            AVAILABILITY_POINTS[AvailabilityLoss(self.availability)],
            MALICIOUS_INTENT_POINTS if self.is_malicious else Decimal("0"),
        ]

    @property
    def value(self) -> Decimal:
        return sum(self.terms, Decimal("0"))


@dataclass(frozen=True)
class SeverityScore:
    """One ENISA severity computation and everything needed to show how it was reached."""

    context: ProcessingContext
    identification: str
    circumstances: Circumstances

    @property
    def dpc(self) -> int:
        return self.context.dpc

    @property
    def ei(self) -> Decimal:
        return IDENTIFICATION_FACTOR[Identification(self.identification)]

    @property
    def cb(self) -> Decimal:
        return self.circumstances.value

    @property
    def score(self) -> Decimal:
        return Decimal(self.dpc) * self.ei + self.cb

    @property
    def band(self) -> Band:
        return band_of(self.score)

    @property
    def default_level(self) -> Band:
        """Return the level decisions start from: health data count as high at least (EDPB 9/2022 para 102)."""
        return higher_band(self.band, Band.HIGH) if self.context.has_health_data else self.band

    def arithmetic(self, language: str = "en") -> str:
        """Write the computation with its numbers, e.g. for the 2021 file "... = 4 x 1 + (0.5 + 0 + 0 + 0.5) = 5"."""
        terms = " + ".join(format_number(term, language) for term in self.circumstances.terms)
        return (
            f"SE = DPC × EI + CB = {self.dpc} × {format_number(self.ei, language)} + ({terms}) = "  # noqa: RUF001
            f"{format_number(self.score, language)} → {band_label(self.band, language)}"
        )

    def explanation(self, language: str = "en") -> list[str]:
        """Say where each number comes from, one line per factor."""
        driver = ", ".join(EXPOSURES[code].label(language) for code in self.context.drivers)
        c = self.circumstances
        if language == "fr":
            lines = [
                f"DPC {self.dpc} : score le plus élevé des données exposées ({driver}).",
                f"EI {format_number(self.ei, 'fr')} : facilité d'identification {IDENTIFICATION_FR[Identification(self.identification)]}.",
                f"CB {format_number(self.cb, 'fr')} : perte de confidentialité "
                f"{format_number(c.terms[0], 'fr')}, d'intégrité {format_number(c.terms[1], 'fr')}, "
                f"de disponibilité {format_number(c.terms[2], 'fr')}, intention malveillante "
                f"{format_number(c.terms[3], 'fr')}.",
            ]
            if self.context.has_health_data:
                lines.append("Données de santé : risque élevé par défaut (EDPB, lignes directrices 9/2022, § 102).")
            return lines
        lines = [
            f"DPC {self.dpc}: highest base score of the exposed data ({driver}).",
            f"EI {format_number(self.ei)}: {IDENTIFICATION_EN[Identification(self.identification)]} ease of identification.",
            f"CB {format_number(self.cb)}: confidentiality {format_number(c.terms[0])}, integrity "
            f"{format_number(c.terms[1])}, availability {format_number(c.terms[2])}, malicious intent "
            f"{format_number(c.terms[3])}.",
        ]
        if self.context.has_health_data:
            lines.append("Health data: high risk by default (EDPB guidelines 9/2022, para 102).")
        return lines


IDENTIFICATION_FR = {
    Identification.NEGLIGIBLE: "négligeable",
    Identification.LIMITED: "limitée",
    Identification.SIGNIFICANT: "importante",
    Identification.MAXIMUM: "maximale",
}
IDENTIFICATION_EN = {
    Identification.NEGLIGIBLE: "negligible",
    Identification.LIMITED: "limited",
    Identification.SIGNIFICANT: "significant",
    Identification.MAXIMUM: "maximum",
}


def severity(*, exposures: Iterable[str], identification: str, circumstances: Circumstances) -> SeverityScore:
    """Compute the ENISA severity of a breach from what was exposed, how identifiable, and the circumstances."""
    return SeverityScore(
        context=processing_context(exposures), identification=identification, circumstances=circumstances
    )


def class_severity(
    *, dpc: int, has_health_data: bool, identification: str, circumstances: Circumstances
) -> SeverityScore:
    """Score a person from the derived classes stored in clear: their processing context and health flag."""
    context = ProcessingContext(dpc=dpc, drivers=(), has_health_data=has_health_data)
    return SeverityScore(context=context, identification=identification, circumstances=circumstances)


# Every processing context a person can have (ENISA DPC 1 to 4): the classes a level filter enumerates.
DPC_VALUES = (1, 2, 3, 4)


@dataclass(frozen=True)
class ExposureGroup:
    """Data subjects who share the same exposed data, hence the same severity."""

    exposures: tuple[str, ...]
    count: int
    score: SeverityScore

    @property
    def level(self) -> Band:
        return self.score.default_level


def severity_by_exposure_set(
    groups: Iterable[tuple[Iterable[str], int]], *, identification: str, circumstances: Circumstances
) -> list[ExposureGroup]:
    """Score each distinct set of exposures once; the same codes in another order form one group."""
    merged: dict[frozenset[str], int] = {}
    for exposures, count in groups:
        key = frozenset(exposures)
        if key:
            merged[key] = merged.get(key, 0) + count
    ordered_codes = list(EXPOSURES)
    result = [
        ExposureGroup(
            exposures=tuple(sorted(key, key=ordered_codes.index)),
            count=count,
            score=severity(exposures=key, identification=identification, circumstances=circumstances),
        )
        for key, count in merged.items()
    ]
    result.sort(key=lambda group: (-group.score.score, -group.count, group.exposures))
    return result


def count_by_level(groups: Iterable[ExposureGroup]) -> dict[str, int]:
    """Count data subjects per level, every level present (zero when empty)."""
    counts = dict.fromkeys(BAND_ORDER, 0)
    for group in groups:
        counts[group.level.value] += group.count
    return counts
