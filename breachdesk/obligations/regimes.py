"""The regimes a French lab and its processor face after a breach (DOMAIN.md section 11), as data.

A regime is a definition, not code: adding one (or a country) adds an entry here and, later, a dossier template.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Debtor(models.TextChoices):
    """Who owes the obligation: each controller (per breach file) or the processor (per incident)."""

    CONTROLLER = "controller", _("Controller")
    PROCESSOR = "processor", _("Processor")


class StartEvent(models.TextChoices):
    """The event that starts a regime's clock."""

    AWARENESS = "awareness", _("Awareness of the breach")
    DISCOVERY = "discovery", _("Discovery of the breach")
    PROCESSOR_AWARENESS = "processor_awareness", _("The processor's awareness")
    INFORM_DECISION = "inform_decision", _("Decision to inform the data subjects")


class DefaultApplicability(models.TextChoices):
    """What a regime's applicability is until a person decides."""

    APPLIES = "applies", _("Applies")
    NOT_DECIDED = "not_decided", _("Not decided")
    # gdpr_art33 and gdpr_art34 follow the recorded Art. 33 / Art. 34 decisions.
    FROM_DECISION = "from_decision", _("Follows the recorded decision")
    # insurer_notice: decided once the organisation's policy says how many hours it gives.
    FROM_POLICY = "from_policy", _("Follows the insurance policy")
    # The processor's regimes: only when the incident has a processor.
    WITH_PROCESSOR = "with_processor", _("When a processor is involved")


@dataclass(frozen=True)
class Offset:
    """When a phase falls due: hours (elapsed time) or calendar months after its start, or without undue delay."""

    hours: int | None = None
    months: int | None = None
    # insurer_notice: the hours come from the organisation's policy.
    from_policy: bool = False

    @property
    def is_without_undue_delay(self) -> bool:
        return self.hours is None and self.months is None and not self.from_policy


WITHOUT_UNDUE_DELAY = Offset()


@dataclass(frozen=True)
class Phase:
    code: str
    label: str | Promise
    offset: Offset
    # None: the clock runs from the regime's start event; else from the submission of that earlier phase.
    after_phase: str | None = None
    # The fields the phase's report carries (keys of the copy-ready report, filled from the breach file).
    report_fields: tuple[str, ...] = ()
    # Sent as needed after the first report (complementary, follow-ups, updates): never holds the regime up.
    is_follow_up: bool = False


@dataclass(frozen=True)
class Regime:
    code: str
    label: str | Promise
    debtor: str
    recipient: str | Promise
    channel: str | Promise
    start_event: str
    phases: tuple[Phase, ...]
    default: str
    # Hours before a phase's due time when a reminder goes out; an overdue reminder follows once.
    reminder_hours: tuple[int, ...] = (24, 6)
    legal_basis: str = ""
    is_unconfirmed: bool = False
    order: int = 0
    # Owed to each controller (a row per breach file), or once (the processor's own reports of the incident).
    is_per_controller: bool = True
    # The column heading of the compliance grid.
    short_label: str | Promise = ""
    phase_codes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "phase_codes", tuple(phase.code for phase in self.phases))

    @property
    def is_decided_per_incident(self) -> bool:
        """The processor's regimes are decided once per incident, the controllers' per breach file."""
        return self.debtor == Debtor.PROCESSOR

    def phase(self, code: str) -> Phase:
        for phase in self.phases:
            if phase.code == code:
                return phase
        raise KeyError(code)


DECLARATION_FIELDS = ("declarant", "description", "scope", "systems_and_data", "impacts", "causes", "handling")
NIS2_FIELDS = ("entity", "description", "severity", "impacts", "cross_border", "suspected_malicious")

REGIMES: dict[str, Regime] = {
    regime.code: regime
    for regime in (
        Regime(
            code="gdpr_art33",
            short_label=_("CNIL (Art. 33)"),
            label=_("Notification to the CNIL (GDPR Art. 33)"),
            debtor=Debtor.CONTROLLER,
            recipient=_("CNIL"),
            channel=_("CNIL teleservice"),
            start_event=StartEvent.AWARENESS,
            phases=(
                # Art. 33(1): at the latest 72 hours after awareness.
                Phase("initial", _("Initial notification"), Offset(hours=72)),
                # Art. 33(4): further information in phases, referring to the initial case number.
                Phase(
                    "complementary",
                    _("Complementary notification"),
                    WITHOUT_UNDUE_DELAY,
                    after_phase="initial",
                    is_follow_up=True,
                ),
            ),
            default=DefaultApplicability.FROM_DECISION,
            legal_basis="GDPR Art. 33",
            order=10,
        ),
        Regime(
            code="gdpr_art34",
            short_label=_("Data subjects (Art. 34)"),
            label=_("Communication to the data subjects (GDPR Art. 34)"),
            debtor=Debtor.CONTROLLER,
            recipient=_("Each data subject"),
            channel=_("Letter, email; public notice as a complement"),
            start_event=StartEvent.INFORM_DECISION,
            phases=(
                # The public notice for the unreachable is part of the same campaign (DOMAIN.md section 10).
                Phase("messages", _("Letters and emails"), WITHOUT_UNDUE_DELAY),
            ),
            default=DefaultApplicability.FROM_DECISION,
            legal_basis="GDPR Art. 34",
            order=20,
        ),
        Regime(
            code="gdpr_art33_2",
            short_label=_("Processor's notice"),
            label=_("Processor's notice to the controller (GDPR Art. 33(2))"),
            debtor=Debtor.PROCESSOR,
            recipient=_("Each controller"),
            channel=_("Letter by email to the controller's DPO"),
            start_event=StartEvent.PROCESSOR_AWARENESS,
            phases=(
                Phase("notice", _("Notice"), WITHOUT_UNDUE_DELAY),
                Phase("updates", _("Updates"), WITHOUT_UNDUE_DELAY, after_phase="notice", is_follow_up=True),
            ),
            default=DefaultApplicability.WITH_PROCESSOR,
            legal_basis="GDPR Art. 33(2)",
            order=30,
        ),
        Regime(
            code="csp_l1111_8_2",
            short_label=_("ARS / CERT Santé"),
            label=_("Declaration to the ARS and CERT Santé (CSP L.1111-8-2)"),
            debtor=Debtor.CONTROLLER,
            recipient=_("ARS and ANS / CERT Santé"),
            channel=_("Portail de signalement des événements sanitaires indésirables"),
            start_event=StartEvent.DISCOVERY,
            phases=(
                # CSP L.1111-8-2: "sans délai" from discovery.
                Phase("declaration", _("Declaration"), WITHOUT_UNDUE_DELAY, report_fields=DECLARATION_FIELDS),
                Phase("follow_ups", _("Follow-ups"), WITHOUT_UNDUE_DELAY, after_phase="declaration", is_follow_up=True),
            ),
            default=DefaultApplicability.APPLIES,
            legal_basis="Code de la santé publique L.1111-8-2, décret 2022-715, arrêté du 30 octobre 2017",
            order=40,
        ),
        Regime(
            code="nis2_art23",
            short_label=_("NIS2"),
            label=_("Reporting to the CSIRT (NIS2 Art. 23)"),
            debtor=Debtor.CONTROLLER,
            recipient=_("National CSIRT (ANSSI / CERT-FR)"),
            channel=_("Channel not confirmed yet"),
            start_event=StartEvent.AWARENESS,
            phases=(
                Phase("early_warning", _("Early warning"), Offset(hours=24), report_fields=NIS2_FIELDS),
                Phase("notification", _("Incident notification"), Offset(hours=72), report_fields=NIS2_FIELDS),
                # NIS2 Art. 23(4)(d): one month after the incident notification.
                Phase(
                    "final_report",
                    _("Final report"),
                    Offset(months=1),
                    after_phase="notification",
                    report_fields=NIS2_FIELDS,
                ),
            ),
            default=DefaultApplicability.NOT_DECIDED,
            legal_basis="Directive (EU) 2022/2555 Art. 23",
            # The French transposition and its channel are unconfirmed (DOMAIN.md section 11): a per-lab decision.
            is_unconfirmed=True,
            order=50,
        ),
        Regime(
            code="lopmi_l12_10_1",
            short_label=_("Complaint"),
            label=_("Criminal complaint for the insurance (Code des assurances L.12-10-1)"),
            debtor=Debtor.CONTROLLER,
            recipient=_("Police, gendarmerie or public prosecutor"),
            channel=_("Complaint filed in person or in writing"),
            start_event=StartEvent.AWARENESS,
            phases=(
                # Code des assurances L.12-10-1: within 72 hours of knowledge of the attack.
                Phase("complaint", _("Complaint"), Offset(hours=72)),
            ),
            default=DefaultApplicability.APPLIES,
            legal_basis="Code des assurances L.12-10-1 (loi 2023-22, LOPMI)",
            order=60,
        ),
        Regime(
            code="insurer_notice",
            short_label=_("Insurer"),
            label=_("Notice to the insurer"),
            debtor=Debtor.CONTROLLER,
            recipient=_("Insurer or breach coach"),
            channel=_("As the policy says"),
            start_event=StartEvent.AWARENESS,
            phases=(Phase("notice", _("Notice of circumstances"), Offset(from_policy=True)),),
            default=DefaultApplicability.FROM_POLICY,
            legal_basis="",
            order=70,
        ),
        Regime(
            code="cra_art14",
            short_label=_("CRA"),
            label=_("Reporting by the manufacturer (Cyber Resilience Act Art. 14)"),
            debtor=Debtor.PROCESSOR,
            recipient=_("ENISA single reporting platform, then the coordinator CSIRT"),
            channel=_("ENISA single reporting platform"),
            start_event=StartEvent.PROCESSOR_AWARENESS,
            phases=(
                Phase("early_warning", _("Early warning"), Offset(hours=24)),
                Phase("notification", _("Incident notification"), Offset(hours=72)),
                # CRA Art. 14(4)(c): for a severe incident, one month after the notification.
                Phase("final_report", _("Final report"), Offset(months=1), after_phase="notification"),
            ),
            # Only a severe incident or an actively exploited vulnerability: the processor decides.
            default=DefaultApplicability.NOT_DECIDED,
            legal_basis="Regulation (EU) 2024/2847 Art. 14 (from 11 September 2026)",
            order=80,
            is_per_controller=False,
        ),
    )
}


def regime_named(code: str) -> Regime:
    """Return the regime of this code; KeyError for an unknown one."""
    return REGIMES[code]


def regimes_owed_by(debtor: str) -> list[Regime]:
    return sorted((regime for regime in REGIMES.values() if regime.debtor == debtor), key=lambda r: r.order)
