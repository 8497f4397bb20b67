"""Prepare a CNIL filing from the command line and render its dossier.

Exit status: 0 prepared (warnings printed), 1 refused because the notification is late and the breach file has
no reasons for the delay (Art. 33(1)), 2 a usage error (unknown incident, organisation, breach file or type, or a
complementary filing before the initial one is recorded).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from breachdesk import formats
from breachdesk.commands import EXIT_USAGE, breach_file_named
from breachdesk.models import LateNotificationError
from notifications import storage
from notifications.models import Filing
from notifications.services import filings

EXIT_LATE_WITHOUT_REASONS = 1


class Command(BaseCommand):
    help = (
        "Prepare a CNIL filing (initial or complementary), print the completeness warnings, and the dossier's name in "
        "the private storage or, with --output, where its PDF was written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incident", required=True, help="incident reference, e.g. INC-2021-0001")
        parser.add_argument("--organisation", required=True, help="controller code, e.g. LAB-RENNES")
        parser.add_argument("--type", required=True, choices=Filing.Kind.values, dest="kind")
        parser.add_argument("--output", type=Path, help="write the dossier's PDF there, decrypted, to file it")

    def handle(self, *args: Any, **options: Any) -> None:
        breach_file = breach_file_named(options["incident"], options["organisation"])
        try:
            filing = filings.prepare_filing(breach_file=breach_file, kind=options["kind"], user=None)
        except LateNotificationError as error:
            raise CommandError(
                " ".join(error.messages) + f" Deadline was {formats.paris_datetime(breach_file.authority_deadline)}.",
                returncode=EXIT_LATE_WITHOUT_REASONS,
            ) from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages), returncode=EXIT_USAGE) from error
        filing = filings.generate_filing_dossier(filing_id=filing.pk) or filing
        if filing.state != Filing.State.READY:
            raise CommandError(f"The dossier of filing {filing.pk} could not be rendered ({filing.error}).")
        for gap in filing.missing:
            self.stderr.write(f"warning: missing {gap['section']} / {gap['label']} ({gap['required_by']})")
        for gap in filing.unknown:
            self.stderr.write(f"warning: not known yet {gap['section']} / {gap['label']}")
        if filing.missing or filing.unknown:
            self.stderr.write(
                "warning: incomplete initial notification allowed (phased notification, Art. 33(4))"
                if filing.kind == Filing.Kind.INITIAL
                else "warning: incomplete complementary notification"
            )
        # Stored encrypted: the PDF itself only where the person running the command asked for it.
        if options["output"] is None:
            self.stdout.write(filing.pdf_path)
            return
        options["output"].write_bytes(storage.read_decrypted(filing.pdf_path))
        self.stdout.write(str(options["output"]))
