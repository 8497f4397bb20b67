"""BreachDesk: handle a personal-data breach under the GDPR, end to end."""

from __future__ import annotations

from breachdesk.celery import app as celery_app

__all__ = ["celery_app"]
