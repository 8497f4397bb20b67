"""What the campaign commands share: exit codes and finding the breach file named on the command line."""

from __future__ import annotations

from django.core.management.base import CommandError

from breachdesk.models import BreachFile

EXIT_REFUSED = 1
EXIT_USAGE = 2


def breach_file_named(incident: str, organisation: str) -> BreachFile:
    breach_file = (
        BreachFile.objects.select_related("incident", "controller")
        .filter(incident__reference=incident, controller__code=organisation)
        .first()
    )
    if breach_file is None:
        raise CommandError(
            f"No breach file for incident {incident} and organisation {organisation}.", returncode=EXIT_USAGE
        )
    return breach_file
