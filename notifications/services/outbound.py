"""Emails to professionals (processor notices, reminders): recipients, retries, queueing after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from breachdesk.models import (
    Organisation,
    Role,
    User,
)

logger = logging.getLogger(__name__)


MAX_ATTEMPTS = 3


# A claimed email not finished after this long had its worker die mid-send: its fate is unknown.
CLAIM_TIMEOUT = timedelta(minutes=15)


# A row still pending after this long lost its wake-up message: the sweep queues it again.
REQUEUE_AFTER = timedelta(minutes=5)


def enqueue(task: Any, *args: object) -> None:
    """Queue a task once the current transaction commits (Redis only wakes workers up)."""
    task.delay_on_commit(*args)


def _dedupe(addresses: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        cleaned = address.strip()
        if cleaned:
            seen.setdefault(cleaned.lower(), cleaned)
    return list(seen.values())


def dpo_recipients(organisation: Organisation) -> list[str]:
    """Return the controller's DPO address and its DPO users' addresses."""
    users = User.objects.filter(role=Role.DPO, organisation=organisation, is_active=True).exclude(email="")
    return _dedupe([organisation.dpo_email, *users.order_by("pk").values_list("email", flat=True)])


def compliance_recipients(organisation: Organisation) -> list[str]:
    """Return the addresses of the compliance officers of the controller's group."""
    if organisation.group_id is None:
        return []
    users = User.objects.filter(role=Role.COMPLIANCE_OFFICER, group_id=organisation.group_id, is_active=True)
    return _dedupe(users.exclude(email="").order_by("pk").values_list("email", flat=True))
