"""What the commands share: their exit codes and finding the breach file named on the command line."""

from __future__ import annotations

from django.core.management.base import CommandError

from breachdesk.models import BreachFile, Incident

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


def incident_named(reference: str) -> Incident:
    """Return the incident of --incident, or stop with a usage error."""
    incident = Incident.objects.select_related("processor").filter(reference=reference).first()
    if incident is None:
        raise CommandError(f"No incident {reference}.", returncode=EXIT_USAGE)
    return incident


def processor_of(incident: Incident, code: str) -> Incident:
    """Check that --processor (a code, or empty for the incident's own) names the incident's processor."""
    if incident.processor is None or (code and incident.processor.code != code):
        raise CommandError(
            f"Incident {incident.reference} has no processor {code}".rstrip() + ".", returncode=EXIT_USAGE
        )
    return incident
