"""Due times of an obligation's phases: hours as elapsed time, months on the Paris calendar."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from breachdesk.formats import PARIS
from breachdesk.obligations.regimes import Offset


def add_months_in_paris(moment: datetime, months: int) -> datetime:
    """Add calendar months on the Paris date, same Paris wall time, the day clamped to the month's end."""
    local = moment.astimezone(PARIS)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    # The same wall time on the new day, whatever the offset there (a DST change in between keeps 10:00 at 10:00).
    wall = local.replace(tzinfo=None, year=year, month=month, day=day)
    return wall.replace(tzinfo=PARIS).astimezone(UTC)


def due_at(*, start_at: datetime, offset: Offset, policy_hours: int | None = None) -> datetime | None:
    """Return when a phase falls due in UTC, or None for "without undue delay"."""
    hours = policy_hours if offset.from_policy else offset.hours
    if hours is not None:
        # Elapsed time: add in UTC so a DST change moves the Paris wall clock (as BreachFile.authority_deadline).
        return start_at.astimezone(UTC) + timedelta(hours=hours)
    if offset.months is not None:
        return add_months_in_paris(start_at, offset.months)
    return None
