"""Record whether an obligation applies to a breach file (or to the incident's processor), with the reason.

Exit status: 0 recorded; 1 refused (no reason, a controller's obligation named for the processor or the reverse);
2 a usage error (unknown incident, organisation or regime, --applies other than yes or no).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from breachdesk.commands import EXIT_REFUSED, EXIT_USAGE, breach_file_named, incident_named, processor_of
from breachdesk.models import Applicability, BreachFile, User
from breachdesk.obligations import services
from breachdesk.obligations.regimes import REGIMES


class Command(BaseCommand):
    help = "Record that an obligation applies or not, with the reason; the latest decision wins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incident", required=True, help="incident reference, e.g. INC-2021-0001")
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--organisation", help="controller code, e.g. LAB-RENNES")
        owner.add_argument("--processor", nargs="?", const="", help="the incident's processor (its own obligations)")
        parser.add_argument("--regime", required=True, help=f"one of {', '.join(REGIMES)}")
        parser.add_argument("--applies", required=True, help="yes or no")
        parser.add_argument("--reason", required=True, help="why it applies or not")
        parser.add_argument("--user", help="username of the person deciding (recorded and audited)")

    def handle(self, *args: Any, **options: Any) -> None:
        regime = REGIMES.get(options["regime"])
        if regime is None:
            raise CommandError(f"Unknown regime {options['regime']}.", returncode=EXIT_USAGE)
        applicability = {"yes": Applicability.APPLIES, "no": Applicability.DOES_NOT_APPLY}.get(options["applies"])
        if applicability is None:
            raise CommandError("--applies takes yes or no.", returncode=EXIT_USAGE)
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {options['user']}.", returncode=EXIT_USAGE)
        breach_file: BreachFile | None = None
        if options["processor"] is not None:
            incident = processor_of(incident_named(options["incident"]), options["processor"])
            if not regime.is_decided_per_incident:
                raise CommandError(
                    f"{regime.code} is owed by each controller: use --organisation.", returncode=EXIT_REFUSED
                )
        else:
            breach_file = breach_file_named(options["incident"], options["organisation"])
            incident = breach_file.incident
            if regime.is_decided_per_incident:
                raise CommandError(f"{regime.code} is owed by the processor: use --processor.", returncode=EXIT_REFUSED)
        try:
            decision = services.decide_obligation(
                incident=incident,
                breach_file=breach_file,
                regime=regime.code,
                applicability=applicability,
                reason=options["reason"],
                user=user,
            )
        except services.ObligationRefused as error:
            raise CommandError(" ".join(error.messages), returncode=EXIT_REFUSED) from error
        self.stdout.write(f"{regime.code}: {decision.applicability} (decision #{decision.pk}).")
