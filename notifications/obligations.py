"""Tell breachdesk.obligations where the phases done in this app are: filings, campaigns, processor notices."""

from __future__ import annotations

from django.urls import reverse

from breachdesk.models import BreachFile
from breachdesk.obligations.hooks import Recorded, register_report_link, register_source
from notifications.models import Campaign, Filing, ProcessorNotice


def _filing(breach_file: BreachFile, kind: str) -> Recorded | None:
    filing = breach_file.filings.submitted().filter(kind=kind).order_by("-submitted_at", "-pk").first()
    if filing is None or filing.submitted_at is None:
        return None
    # Art. 33(1): the reasons for a late initial filing are kept on the breach file.
    return Recorded(
        submitted_at=filing.submitted_at,
        reference=filing.cnil_case_number,
        is_late=filing.is_late,
        delay_reasons=breach_file.delay_reasons if filing.is_late else "",
    )


def _campaign(breach_file: BreachFile) -> Recorded | None:
    campaign = Campaign.objects.filter(breach_file=breach_file).first()
    return Recorded(submitted_at=campaign.launched_at) if campaign is not None else None


def _processor_notice(breach_file: BreachFile) -> Recorded | None:
    notice = ProcessorNotice.objects.filter(breach_file=breach_file, informed_at__isnull=False).first()
    if notice is None or notice.informed_at is None:
        return None
    return Recorded(submitted_at=notice.informed_at)


def _report_link(breach_file: BreachFile, regime: str, phase: str) -> str | None:
    from notifications.obligation_reports import has_report

    if not has_report(regime, phase):
        return None
    return reverse(
        "notifications:obligation_report",
        args=[breach_file.incident.reference, breach_file.controller.code, regime, phase],
    )


def register_sources() -> None:
    register_report_link(_report_link)
    register_source(regime="gdpr_art33", phase="initial", source=lambda bf: _filing(bf, Filing.Kind.INITIAL))
    register_source(
        regime="gdpr_art33", phase="complementary", source=lambda bf: _filing(bf, Filing.Kind.COMPLEMENTARY)
    )
    register_source(regime="gdpr_art34", phase="messages", source=_campaign)
    register_source(regime="gdpr_art33_2", phase="notice", source=_processor_notice)
