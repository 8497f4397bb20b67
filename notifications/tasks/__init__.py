"""Celery tasks of the notifications: adapters that take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from notifications.tasks import campaigns, filings, processor_notices, reminders, sweeps

__all__ = ["campaigns", "filings", "processor_notices", "reminders", "sweeps"]
