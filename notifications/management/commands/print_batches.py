"""Batch the pending letters of a breach file and write every batch not yet printed, decrypted, for the print shop.

Exit status: 0 written; 1 refused (the campaign is not launched); 2 a usage error (unknown incident or
organisation, output directory not writable). Running it again writes the same batches: no letter is rendered
twice or put in two batches.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from breachdesk.commands import EXIT_REFUSED, EXIT_USAGE, breach_file_named
from breachdesk.models import AuditEvent
from breachdesk.services import record_audit
from notifications.models import Campaign, NotificationAuditObject, PrintBatch
from notifications.selectors import exports
from notifications.services import mailroom


class Command(BaseCommand):
    help = "Write batch-NNNN.pdf and batch-NNNN-manifest.csv for each batch ready to print."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incident", required=True, help="incident reference, e.g. INC-2021-0001")
        parser.add_argument("--organisation", required=True, help="controller code, e.g. LAB-RENNES")
        parser.add_argument("--out", required=True, type=Path, help="directory for the PDFs and manifests")

    def handle(self, *args: Any, **options: Any) -> None:
        breach_file = breach_file_named(options["incident"], options["organisation"])
        campaign = Campaign.objects.filter(breach_file=breach_file).first()
        if campaign is None:
            raise CommandError("The campaign of this breach file is not launched.", returncode=EXIT_REFUSED)
        out: Path = options["out"]
        try:
            out.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as error:
            raise CommandError(f"Cannot write to {out}: {error.strerror}", returncode=EXIT_USAGE) from error
        if not os.access(out, os.W_OK):
            raise CommandError(f"Cannot write to {out}.", returncode=EXIT_USAGE)
        made = mailroom.build_print_batches(campaign_id=campaign.pk)
        batches = PrintBatch.objects.filter(campaign=campaign, state=PrintBatch.State.READY).order_by("number")
        written = 0
        for batch in batches:
            name = f"batch-{batch.number:04d}"
            _write_private(out / f"{name}.pdf", mailroom.read_batch_pdf(batch))
            _write_private(out / f"{name}-manifest.csv", exports.manifest_csv(batch).encode("utf-8"))
            record_audit(
                user=None,
                action=AuditEvent.Action.DOWNLOAD,
                object_type=NotificationAuditObject.PRINT_BATCH,
                object_id=batch.pk,
                organisation_id=breach_file.controller_id,
                detail="print_batches command",
            )
            written += 1
        self.stdout.write(f"{len(made)} new batches rendered; {written} batches ready to print written to {out}.")


def _write_private(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
