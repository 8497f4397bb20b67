"""A campaign's progress, per channel and state, for its page and the status command."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import models

from breachdesk.models import BreachFile, DataSubject, User
from notifications.models import (
    TERMINAL_STATES,
    Campaign,
    Channel,
    NoticeState,
    PrintBatch,
)
from notifications.services import campaigns

PROGRESS_STATES: dict[str, list[str]] = {
    Channel.POST: [
        NoticeState.PENDING,
        NoticeState.RENDERING,
        NoticeState.READY,
        NoticeState.PRINTED,
        NoticeState.POSTED,
        NoticeState.RETURNED,
        NoticeState.UNREADABLE,
    ],
    Channel.EMAIL: [
        NoticeState.PENDING,
        NoticeState.SENDING,
        NoticeState.SENT,
        NoticeState.UNKNOWN,
        NoticeState.FAILED_PERMANENT,
        NoticeState.BOUNCED,
        NoticeState.UNREADABLE,
    ],
}


# What no worker will do more for: an unreadable notice is done, never told (information counts it apart).
DONE_STATES: dict[str, set[str]] = {
    Channel.POST: {NoticeState.POSTED, NoticeState.RETURNED, NoticeState.UNREADABLE},
    Channel.EMAIL: {
        NoticeState.SENT,
        NoticeState.FAILED_PERMANENT,
        NoticeState.BOUNCED,
        NoticeState.UNKNOWN,
        NoticeState.UNREADABLE,
    },
}


def campaign_progress(campaign: Campaign) -> dict[str, Any]:
    """Counts per channel and state, with the share done: what the DPO's page polls."""
    counts: dict[str, dict[str, int]] = {
        channel: dict.fromkeys(states, 0) for channel, states in PROGRESS_STATES.items()
    }
    for channel, state, count in (
        campaign.notices.order_by().values_list("channel", "state").annotate(count=models.Count("pk"))
    ):
        counts.setdefault(channel, {})[state] = count
    channels: dict[str, Any] = {}
    for channel, by_state in counts.items():
        total = sum(by_state.values())
        done = sum(count for state, count in by_state.items() if state in DONE_STATES.get(channel, set()))
        channels[channel] = {
            "total": total,
            "done": done,
            "percent": round(100 * done / total, 1) if total else 0.0,
            "states": [
                {"state": state, "label": str(NoticeState(state).label), "count": count}
                for state, count in by_state.items()
            ],
        }
    # From the counts per state already read: a second pass over the ledger cost as much again (issue 14).
    terminal = sum(
        count for by_state in counts.values() for state, count in by_state.items() if state in TERMINAL_STATES
    )
    total = sum(channel["total"] for channel in channels.values())
    batches = Counter(campaign.batches.values_list("state", flat=True))
    return {
        "campaign": campaign.pk,
        "launched_at": campaign.launched_at.isoformat(),
        # "filling" while a launch writes the ledger (the totals are the rows written so far), "failed" when it
        # stopped (a retry adds what is missing), "done" once every covered person has a row or is listed unreachable.
        "fill_state": campaign.fill_state,
        "fill_error": campaign.fill_error,
        "channels": channels,
        "total": total,
        "terminal": terminal,
        "is_finished": total > 0 and terminal == total and campaign.fill_state == "done",
        "unreachable": campaign.unreachable.count(),
        "unknown": counts[Channel.EMAIL].get(NoticeState.UNKNOWN, 0),
        "unreadable": sum(by_state.get(NoticeState.UNREADABLE, 0) for by_state in counts.values()),
        "batches": {state: batches.get(state, 0) for state in PrintBatch.State.values},
    }


def campaign_context(breach_file: BreachFile, user: User) -> dict[str, Any]:
    """What the campaign panel and page show: progress, or what launching needs."""
    campaign = Campaign.objects.filter(breach_file=breach_file).first()
    return {
        "campaign": campaign,
        "progress": campaign_progress(campaign) if campaign else None,
        "has_decision": campaigns.inform_decision(breach_file) is not None,
        "can_edit": user.can_edit_breach_files(),
        "addresses_to_review": DataSubject.objects.filter(breach_file=breach_file, address_needs_review=True).count(),
    }
