"""Launch the information of the data subjects (Art. 34) of one breach file.

Exit status: 0 launched, or already launched and nothing new (said so); 1 refused (no decision to inform the data
subjects); 2 a usage error (unknown incident or organisation, unknown channel).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from breachdesk.commands import EXIT_REFUSED, EXIT_USAGE, breach_file_named
from notifications.services import campaigns


class Command(BaseCommand):
    help = "Give every data subject the decision covers a notice per channel (post, email); safe to run twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incident", required=True, help="incident reference, e.g. INC-2021-0001")
        parser.add_argument("--organisation", required=True, help="controller code, e.g. LAB-RENNES")
        parser.add_argument("--channels", default="post,email", help="post, email or post,email (default)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            channels = campaigns.parse_channels(options["channels"])
        except ValueError as error:
            raise CommandError(str(error), returncode=EXIT_USAGE) from error
        breach_file = breach_file_named(options["incident"], options["organisation"])
        try:
            result = campaigns.launch_campaign(breach_file=breach_file, user=None, channels=channels)
        except campaigns.CampaignRefused as error:
            raise CommandError(str(error), returncode=EXIT_REFUSED) from error
        self.stdout.write(result.summary())
