"""List the obligations of one breach file (or of the incident's processor), each phase with its due time and state.

Exit status: 0 listed; 2 a usage error (unknown incident or organisation, an incident without that processor).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from breachdesk.commands import breach_file_named, incident_named, processor_of
from breachdesk.formats import paris_datetime
from breachdesk.obligations import selectors


class Command(BaseCommand):
    help = "Each obligation phase of a breach file (or of the processor with --processor), in the order they fall due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incident", required=True, help="incident reference, e.g. INC-2021-0001")
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--organisation", help="controller code, e.g. LAB-RENNES")
        owner.add_argument(
            "--processor", nargs="?", const="", help="the incident's processor (optionally its code, e.g. VENDOR)"
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["processor"] is not None:
            incident = processor_of(incident_named(options["incident"]), options["processor"])
            rows = selectors.obligations_of_processor(incident=incident)
        else:
            breach_file = breach_file_named(options["incident"], options["organisation"])
            rows = selectors.obligations_of_breach_file(breach_file=breach_file)
        if options["json"]:
            self.stdout.write(json.dumps([row.as_json() for row in rows], indent=2, ensure_ascii=False))
            return
        for row in rows:
            due = paris_datetime(row.due_at) if row.due_at else "-"
            owner = f" {row.controller_code}" if row.regime.is_decided_per_incident and row.controller_code else ""
            reference = f" {row.reference}" if row.reference else ""
            self.stdout.write(f"{row.regime.code}/{row.phase.code}{owner}: {row.state} (due {due}){reference}")
