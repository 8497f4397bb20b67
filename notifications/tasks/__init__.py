"""Celery tasks of the notifications: adapters that take ids, call one service, and are safe to run twice.

Each task keeps, by name=, the name it had before these modules existed, so that messages already queued (and the
workers of the previous release during a deploy) still find it.
"""

from __future__ import annotations

from notifications.tasks import campaigns, filings, processor_notices, reminders, sweeps

__all__ = ["campaigns", "filings", "processor_notices", "reminders", "sweeps"]
