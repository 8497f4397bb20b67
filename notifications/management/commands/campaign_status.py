"""Show the progress of the campaigns of an incident, per controller, channel and state.

Exit status: 0 shown (a breach file not launched yet is listed as such); 2 a usage error (unknown incident).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from breachdesk.commands import EXIT_USAGE
from breachdesk.models import BreachFile
from notifications.models import Campaign
from notifications.selectors import progress


class Command(BaseCommand):
    help = "Counts of notices per organisation, channel and state; unreachable and unknown-fate counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incident", required=True, help="incident reference, e.g. INC-2021-0001")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        breach_files = list(
            BreachFile.objects.select_related("controller")
            .filter(incident__reference=options["incident"])
            .order_by("controller__code")
        )
        if not breach_files:
            raise CommandError(f"No incident {options['incident']}.", returncode=EXIT_USAGE)
        report = []
        for breach_file in breach_files:
            campaign = Campaign.objects.filter(breach_file=breach_file).first()
            entry: dict[str, Any] = {"organisation": breach_file.controller.code, "launched": campaign is not None}
            if campaign is not None:
                entry.update(progress.campaign_progress(campaign))
            report.append(entry)
        if options["json"]:
            self.stdout.write(json.dumps({"incident": options["incident"], "breach_files": report}, indent=2))
            return
        for entry in report:
            if not entry["launched"]:
                self.stdout.write(f"{entry['organisation']}: not launched")
                continue
            self.stdout.write(
                f"{entry['organisation']}: {entry['terminal']}/{entry['total']} final, "
                f"{entry['unreachable']} unreachable, {entry['unknown']} of unknown fate"
            )
            for channel, data in entry["channels"].items():
                states = ", ".join(f"{item['state']} {item['count']}" for item in data["states"] if item["count"])
                self.stdout.write(f"  {channel}: {data['done']}/{data['total']} ({data['percent']}%) {states}")
