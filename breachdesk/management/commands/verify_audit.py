"""Recompute the audit trail's hash chains: exit 0 with the count when intact, 1 naming the first broken entry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from breachdesk.audit_chain import verify
from breachdesk.commands import EXIT_REFUSED
from breachdesk.models import AuditEvent, BreachFileEvent


class Command(BaseCommand):
    help = (
        "Verify the hash chains of the audit trail and of the breach file timelines. Exit 0 and print the number "
        "of entries when both are intact; exit 1 naming the first entry (table, id, date) whose seal does not match."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        broken = []
        for model in (AuditEvent, BreachFileEvent):
            report = verify(model)
            if report.is_intact:
                self.stdout.write(f"{report.table}: {report.count} entries, chain intact.")
            else:
                at = f"{report.broken_at:%Y-%m-%d %H:%M:%S%z}" if report.broken_at else "no date"
                broken.append(f"{report.table}: entry #{report.broken_id} of {at} breaks the chain.")
        if broken:
            raise CommandError(" ".join(broken), returncode=EXIT_REFUSED)
