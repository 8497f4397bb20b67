"""Reads over many breach files: the compliance dashboard and the Art. 33(5) register."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import models
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from breachdesk.formats import PARIS, paris_datetime
from breachdesk.models import (
    BreachFile,
    BreachFileQuerySet,
    Decision,
    DecisionKind,
    DecisionOutcome,
    Incident,
    Organisation,
    RiskAssessment,
    User,
)
from breachdesk.risk import Band
from breachdesk.taxonomy import Cause, Consequence, DataCategory, Nature, Origin, PersonCategory, Severity, Status
from notifications import pdf
from notifications.models import Filing, ProcessorNotice
from notifications.selectors.information import InformingProgress, informing_progress


@dataclass(frozen=True)
class BreachFileRow:
    """One breach file with what the dashboard and the register show of it."""

    breach_file: BreachFile
    assessment: RiskAssessment | None
    decisions: dict[str, Decision]
    decision_history: list[Decision]
    filings: list[Filing]
    notice: ProcessorNotice | None
    # None until the campaign informing the data subjects (Art. 34) is launched.
    informing: InformingProgress | None = None

    @property
    def submitted_filings(self) -> list[Filing]:
        return [filing for filing in self.filings if filing.is_submitted]

    @property
    def case_number(self) -> str:
        initial = next((f for f in self.filings if f.kind == Filing.Kind.INITIAL and f.is_submitted), None)
        return initial.cnil_case_number if initial else ""

    @property
    def notify_decision(self) -> Decision | None:
        return self.decisions.get(DecisionKind.NOTIFY_AUTHORITY)

    @property
    def inform_decision(self) -> Decision | None:
        return self.decisions.get(DecisionKind.INFORM_SUBJECTS)


def _grouped(rows: Iterable[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.breach_file_id, []).append(row)
    return grouped


def breach_file_rows(breach_files: models.QuerySet[BreachFile], *, with_informing: bool = True) -> list[BreachFileRow]:
    """Load breach files with their assessments, decisions, filings, notices and, unless a page shows none of it,
    how far their campaigns went (a pass over each ledger: the register and the breach file panel skip it)."""
    files = list(breach_files.select_related("incident", "controller", "incident__processor"))
    ids = [breach_file.pk for breach_file in files]
    assessments = _grouped(
        RiskAssessment.objects.filter(breach_file__in=ids).latest_first().select_related("assessed_by")
    )
    decisions = _grouped(Decision.objects.filter(breach_file__in=ids).latest_first().select_related("decided_by"))
    filings = _grouped(Filing.objects.filter(breach_file__in=ids).order_by("version"))
    notices = {
        notice.breach_file_id: notice
        for notice in ProcessorNotice.objects.filter(breach_file__in=ids).select_related("email")
    }
    informing = informing_progress(ids) if with_informing else {}
    rows = []
    for breach_file in files:
        history: list[Decision] = decisions.get(breach_file.pk, [])
        current: dict[str, Decision] = {}
        for decision in history:
            current.setdefault(decision.kind, decision)
        latest = assessments.get(breach_file.pk, [])
        rows.append(
            BreachFileRow(
                breach_file=breach_file,
                assessment=latest[0] if latest else None,
                decisions=current,
                decision_history=history,
                filings=filings.get(breach_file.pk, []),
                notice=notices.get(breach_file.pk),
                informing=informing.get(breach_file.pk),
            )
        )
    return rows


def visible_breach_files(
    *,
    user: User,
    organisation: Organisation | None = None,
    status: str = "",
    incident: Incident | None = None,
    aware_from: date | None = None,
    aware_until: date | None = None,
) -> BreachFileQuerySet:
    """Filter the breach files the user may see by organisation, status, incident and period of awareness."""
    breach_files = BreachFile.objects.visible_to(user)
    if organisation is not None:
        breach_files = breach_files.filter(controller=organisation)
    if status:
        breach_files = breach_files.filter(status=status)
    if incident is not None:
        breach_files = breach_files.filter(incident=incident)
    if aware_from is not None:
        breach_files = breach_files.filter(became_aware_at__gte=datetime.combine(aware_from, time.min, tzinfo=PARIS))
    if aware_until is not None:
        end = datetime.combine(aware_until + timedelta(days=1), time.min, tzinfo=PARIS)
        breach_files = breach_files.filter(became_aware_at__lt=end)
    return breach_files


def _label(enumeration: type[models.TextChoices], value: str) -> str:
    """Name a stored code by its label in the active language; an unknown code stays as stored."""
    return str(enumeration(value).label) if value in enumeration.values else value


def _labels(enumeration: type[models.TextChoices], values: Iterable[str]) -> str:
    return ", ".join(_label(enumeration, value) for value in values or [])


def _yes_no(flag: bool) -> str:
    return pgettext("csv", "yes") if flag else pgettext("csv", "no")


def _person(user: User | None) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _decision_text(decision: Decision | None) -> str:
    if decision is None:
        return ""
    levels = f" [{_labels(Band, decision.levels)}]" if decision.levels else ""
    return f"{_label(DecisionOutcome, decision.outcome)}{levels}"


def _time_left_text(breach_file: BreachFile, now: datetime) -> str:
    if not breach_file.is_awaiting_notification:
        return ""
    seconds = int(breach_file.time_left(now=now).total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600}h{(seconds % 3600) // 60:02d}"


def _informing_cells(informing: InformingProgress | None) -> list[object]:
    """The campaign's columns (Art. 34); empty, not zero, while it is not launched."""
    if informing is None:
        return [""] * 9
    return [
        paris_datetime(informing.launched_at),
        informing.persons,
        informing.told,
        informing.letters_posted,
        informing.emails_sent,
        informing.letters_returned,
        informing.emails_bounced,
        informing.unreachable,
        informing.emails_unknown,
    ]


DASHBOARD_COLUMNS: list[tuple[str, Promise]] = [
    ("incident", pgettext_lazy("csv column", "Incident")),
    ("organisation_code", pgettext_lazy("csv column", "Organisation code")),
    ("organisation", pgettext_lazy("csv column", "Organisation")),
    ("status", pgettext_lazy("csv column", "Status")),
    ("became_aware_at", pgettext_lazy("csv column", "Became aware at")),
    ("deadline_at", pgettext_lazy("csv column", "CNIL deadline")),
    ("time_left", pgettext_lazy("csv column", "Time left")),
    ("is_overdue", pgettext_lazy("csv column", "Overdue")),
    ("authority_notified_at", pgettext_lazy("csv column", "CNIL notified at")),
    ("risk_score", pgettext_lazy("csv column", "Risk score")),
    ("risk_level", pgettext_lazy("csv column", "Risk level")),
    ("notify_decision", pgettext_lazy("csv column", "Decision to notify the CNIL")),
    ("inform_decision", pgettext_lazy("csv column", "Decision to inform the data subjects")),
    ("filings_prepared", pgettext_lazy("csv column", "Filings prepared")),
    ("filings_submitted", pgettext_lazy("csv column", "Filings submitted")),
    ("cnil_case_number", pgettext_lazy("csv column", "CNIL case number")),
    ("processor_informed_at", pgettext_lazy("csv column", "Informed by the processor at")),
    # The campaign (Art. 34): empty, not zero, while it is not launched.
    ("informing_launched_at", pgettext_lazy("csv column", "Informing launched at")),
    ("persons_to_inform", pgettext_lazy("csv column", "Persons to inform")),
    ("persons_informed", pgettext_lazy("csv column", "Persons informed")),
    ("letters_posted", pgettext_lazy("csv column", "Letters posted")),
    ("emails_sent", pgettext_lazy("csv column", "Emails sent")),
    ("letters_returned", pgettext_lazy("csv column", "Letters returned")),
    ("emails_bounced", pgettext_lazy("csv column", "Emails bounced")),
    ("unreachable", pgettext_lazy("csv column", "Unreachable")),
    ("emails_unknown", pgettext_lazy("csv column", "Emails of unknown fate")),
]


def header(columns: list[tuple[str, Promise]], *, language: str) -> list[str]:
    """Name a CSV's columns in the reader's language, as a person reads them in a spreadsheet."""
    with translation.override(language):
        return [str(label) for _code, label in columns]


def dashboard_rows_for_csv(rows: list[BreachFileRow], *, now: datetime, language: str) -> list[list[object]]:
    """The dashboard's rows with labels, not codes, in the reader's language."""
    with translation.override(language):
        return _dashboard_rows(rows, now=now)


def _dashboard_rows(rows: list[BreachFileRow], *, now: datetime) -> list[list[object]]:
    result: list[list[object]] = []
    for row in rows:
        breach_file = row.breach_file
        result.append(
            [
                breach_file.incident.reference,
                breach_file.controller.code,
                breach_file.controller.name,
                _label(Status, breach_file.status),
                paris_datetime(breach_file.became_aware_at),
                paris_datetime(breach_file.authority_deadline),
                _time_left_text(breach_file, now),
                _yes_no(breach_file.is_overdue(now=now)),
                paris_datetime(breach_file.authority_notified_at),
                # A decimal comma in French: a spreadsheet reads "4,75" as a number there, "4.75" as text.
                number_format(f"{row.assessment.score.normalize():f}") if row.assessment else "",
                _label(Band, row.assessment.level) if row.assessment else "",
                _decision_text(row.notify_decision),
                _decision_text(row.inform_decision),
                len(row.filings),
                len(row.submitted_filings),
                row.case_number,
                paris_datetime(breach_file.processor_informed_at),
                *_informing_cells(row.informing),
            ]
        )
    return result


REGISTER_COLUMNS: list[tuple[str, Promise]] = [
    ("incident", pgettext_lazy("csv column", "Incident")),
    ("organisation_code", pgettext_lazy("csv column", "Organisation code")),
    ("organisation", pgettext_lazy("csv column", "Organisation")),
    ("status", pgettext_lazy("csv column", "Status")),
    ("became_aware_at", pgettext_lazy("csv column", "Became aware at")),
    ("started_at", pgettext_lazy("csv column", "Start of the breach")),
    ("discovered_at", pgettext_lazy("csv column", "Discovered at")),
    ("ended_at", pgettext_lazy("csv column", "End of the breach")),
    ("is_ongoing", pgettext_lazy("csv column", "Still ongoing")),
    ("natures", pgettext_lazy("csv column", "Nature of the breach")),
    ("origin", pgettext_lazy("csv column", "Origin")),
    ("cause", pgettext_lazy("csv column", "Cause")),
    ("description", pgettext_lazy("csv column", "Description")),
    ("person_categories", pgettext_lazy("csv column", "Categories of persons")),
    ("approximate_persons", pgettext_lazy("csv column", "Approximate number of persons")),
    ("approximate_records", pgettext_lazy("csv column", "Approximate number of records")),
    ("data_categories", pgettext_lazy("csv column", "Categories of data")),
    ("consequences", pgettext_lazy("csv column", "Likely consequences")),
    ("consequences_detail", pgettext_lazy("csv column", "Consequences in detail")),
    ("severity", pgettext_lazy("csv column", "Severity")),
    ("risk_assessment", pgettext_lazy("csv column", "Risk assessment (ENISA)")),
    ("risk_level", pgettext_lazy("csv column", "Risk level")),
    ("measures_immediate", pgettext_lazy("csv column", "Immediate measures")),
    ("measures_medium_term", pgettext_lazy("csv column", "Medium-term measures")),
    ("measures_long_term", pgettext_lazy("csv column", "Long-term measures")),
    ("notify_decision", pgettext_lazy("csv column", "Decision to notify the CNIL")),
    ("notify_rationale", pgettext_lazy("csv column", "Rationale of the decision to notify")),
    ("inform_decision", pgettext_lazy("csv column", "Decision to inform the data subjects")),
    ("inform_rationale", pgettext_lazy("csv column", "Rationale of the decision to inform")),
    ("authority_notified_at", pgettext_lazy("csv column", "CNIL notified at")),
    ("delay_reasons", pgettext_lazy("csv column", "Reasons for the delay")),
    ("filings", pgettext_lazy("csv column", "Filings")),
    ("cnil_case_number", pgettext_lazy("csv column", "CNIL case number")),
    ("other_obligations", pgettext_lazy("csv column", "Other obligations")),
]


def _decision_record(decision: Decision | None) -> tuple[str, str]:
    if decision is None:
        return "", ""
    rationale = decision.rationale
    if decision.override_rationale:
        rationale += " | " + _("departs from the proposal: %(reason)s") % {"reason": decision.override_rationale}
    if decision.public_communication:
        rationale += " | " + _("public communication of %(when)s: %(text)s") % {
            "when": paris_datetime(decision.public_communication_at),
            "text": decision.public_communication,
        }
    record = _("%(decision)s, by %(who)s on %(when)s") % {
        "decision": _decision_text(decision),
        "who": _person(decision.decided_by),
        "when": paris_datetime(decision.decided_at),
    }
    return record, rationale


def _filing_text(filing: Filing) -> str:
    text = _("v%(version)s %(kind)s, prepared on %(prepared)s") % {
        "version": filing.version,
        "kind": _label(Filing.Kind, filing.kind),
        "prepared": paris_datetime(filing.prepared_at),
    }
    if filing.is_submitted:
        return (
            text
            + ", "
            + _("filed on %(submitted)s, case %(case)s")
            % {
                "submitted": paris_datetime(filing.submitted_at),
                "case": filing.cnil_case_number,
            }
        )
    return text + ", " + _("not filed")


def register_rows_for_csv(rows: list[BreachFileRow], *, language: str) -> list[list[object]]:
    """The register's rows with labels, not codes, in the reader's language."""
    from breachdesk.obligations.selectors import obligations_of_breach_files

    obligations = obligations_of_breach_files(breach_files=[row.breach_file for row in rows])
    with translation.override(language):
        return [_register_row(row, language=language, obligations=obligations[row.breach_file.pk]) for row in rows]


def _register_row(row: BreachFileRow, *, language: str, obligations: list[Any]) -> list[object]:
    breach_file = row.breach_file
    notify, notify_rationale = _decision_record(row.notify_decision)
    inform, inform_rationale = _decision_record(row.inform_decision)
    return [
        breach_file.incident.reference,
        breach_file.controller.code,
        breach_file.controller.name,
        _label(Status, breach_file.status),
        paris_datetime(breach_file.became_aware_at),
        paris_datetime(breach_file.started_at),
        paris_datetime(breach_file.discovered_at),
        paris_datetime(breach_file.ended_at),
        _yes_no(breach_file.is_ongoing),
        _labels(Nature, breach_file.natures),
        _label(Origin, breach_file.origin) if breach_file.origin else "",
        _label(Cause, breach_file.cause) if breach_file.cause else "",
        breach_file.incident.description,
        _labels(PersonCategory, breach_file.person_categories),
        breach_file.approximate_persons if breach_file.approximate_persons is not None else "",
        breach_file.approximate_records if breach_file.approximate_records is not None else "",
        _labels(DataCategory, breach_file.data_categories),
        _labels(Consequence, breach_file.consequences),
        breach_file.consequences_detail,
        _label(Severity, breach_file.severity) if breach_file.severity else "",
        row.assessment.severity.arithmetic(language) if row.assessment else "",
        _label(Band, row.assessment.level) if row.assessment else "",
        breach_file.measures_immediate,
        breach_file.measures_medium_term,
        breach_file.measures_long_term,
        notify,
        notify_rationale,
        inform,
        inform_rationale,
        paris_datetime(breach_file.authority_notified_at),
        breach_file.delay_reasons,
        " | ".join(_filing_text(filing) for filing in row.filings),
        row.case_number,
        _obligations_text(obligations),
    ]


# Already in the register's own columns (decisions, filings, the campaign).
_IN_OWN_COLUMNS = {"gdpr_art33", "gdpr_art34"}


def _obligations_text(obligations: list[Any]) -> str:
    """The other clocks of the breach file (issue 12), each phase with its state, date and recipient's reference."""
    from breachdesk.obligations.selectors import PhaseState

    parts: list[str] = []
    for row in obligations:
        if row.regime.code in _IN_OWN_COLUMNS or row.state == PhaseState.NOT_APPLICABLE:
            continue
        text = f"{row.regime.label} — {row.phase.label}: {row.state_label}"
        if row.submitted_at:
            text += " " + _("on %(when)s") % {"when": paris_datetime(row.submitted_at)}
            if row.reference:
                text += f" ({row.reference})"
        elif row.due_at:
            text += ", " + _("due %(when)s") % {"when": paris_datetime(row.due_at)}
        parts.append(text)
    return " | ".join(parts)


def register_pdf(
    *, rows: list[BreachFileRow], title_filters: dict[str, str], user: User, language: str
) -> pdf.RenderedPdf:
    """Render the register (Art. 33(5)) as a PDF in the reader's language: every breach file, notified or not."""
    with translation.override(language):
        not_known = _("not known")
        return pdf.render_pdf(
            "notifications/pdf/register.html",
            {
                "rows": [
                    {
                        "row": row,
                        "not_known": not_known,
                        "decisions": [
                            {"summary": _decision_record(decision)[0], "decision": decision}
                            for decision in row.decision_history
                        ],
                        "filings": [_filing_text(filing) for filing in row.filings],
                    }
                    for row in rows
                ],
                "filters": title_filters,
                "generated_at": paris_datetime(timezone.now()),
                "generated_by": _person(user),
            },
            author=user.organisation.name if user.organisation is not None else pdf.PRODUCER,
        )
