"""What the commands share: their exit codes and finding the breach file named on the command line."""

from __future__ import annotations

from django.core.management.base import CommandError

from breachdesk.models import BreachFile

EXIT_REFUSED = 1
EXIT_USAGE = 2


def breach_file_named(incident: str, organisation: str) -> BreachFile:
    """Return the breach file of --incident and --organisation, or stop with a usage error."""
    breach_file = BreachFile.objects.named(incident, organisation)
    if breach_file is None:
        raise CommandError(
            f"No breach file for incident {incident} and organisation {organisation}.", returncode=EXIT_USAGE
        )
    return breach_file
