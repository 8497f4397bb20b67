"""Where an obligation's phase is done in another app (the CNIL filing, the campaign, the processor's notice).

The core app names nothing of the apps built on it: each registers from its AppConfig.ready() how to read
that a phase was submitted, as breachdesk.panels and breachdesk.timeline do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from breachdesk.models import BreachFile


@dataclass(frozen=True)
class Recorded:
    """A phase done elsewhere: when, and the recipient's reference (e.g. the CNIL case number)."""

    submitted_at: datetime
    reference: str = ""
    is_late: bool = False
    delay_reasons: str = ""


Source = Callable[["BreachFile"], "Recorded | None"]

_sources: dict[tuple[str, str], Source] = {}


def register_source(*, regime: str, phase: str, source: Source) -> None:
    """Say how to read that this phase of a breach file was submitted (registering again replaces it)."""
    _sources[(regime, phase)] = source


def source_for(regime: str, phase: str) -> Source | None:
    return _sources.get((regime, phase))


ReportLink = Callable[["BreachFile", str, str], "str | None"]

_report_links: list[ReportLink] = []


def register_report_link(link: ReportLink) -> None:
    """Say where a phase's copy-ready report is (a URL, or None when the phase has none)."""
    if link not in _report_links:
        _report_links.append(link)


def report_link(breach_file: BreachFile, regime: str, phase: str) -> str | None:
    for link in _report_links:
        url = link(breach_file, regime, phase)
        if url:
            return url
    return None
