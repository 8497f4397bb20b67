"""Import a lab's file of data subjects into its breach file, now, all or nothing."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from breachdesk.commands import EXIT_USAGE, breach_file_named
from breachdesk.importing.report import report_csv
from breachdesk.importing.services import import_subjects
from breachdesk.models import SubjectImport

EXIT_IMPORTED = 0
EXIT_REJECTED = 1


class Command(BaseCommand):
    help = (
        "Import data subjects from a CSV or .xlsx file into the breach file of an organisation for an incident. "
        "Exit status: 0 imported (or valid with --dry-run, or already imported), 1 rejected, 2 usage error."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--incident", required=True, help="Incident reference, e.g. INC-2021-0001.")
        parser.add_argument("--organisation", required=True, help="Code of the controller, e.g. LAB-RENNES.")
        parser.add_argument("file", help="The CSV or .xlsx file of data subjects.")
        parser.add_argument("--dry-run", action="store_true", help="Validate everything, store nothing.")
        parser.add_argument(
            "--report",
            help="Where to write the report (CSV: line, column, code, message). Default: beside FILE, "
            "named FILE.report.csv.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}", returncode=EXIT_USAGE)
        breach_file = breach_file_named(options["incident"], options["organisation"])
        report_path = Path(options["report"]) if options["report"] else path.with_name(path.name + ".report.csv")
        if not report_path.parent.is_dir():
            raise CommandError(f"No such directory for the report: {report_path.parent}", returncode=EXIT_USAGE)

        subject_import = import_subjects(breach_file=breach_file, path=path, dry_run=options["dry_run"])

        # The same file the import page downloads: semicolons and a BOM, in the active language.
        report_path.write_bytes(report_csv(subject_import))
        write = self.stdout.write
        write(f"import: #{subject_import.pk} {subject_import.state}")
        write(f"read: {subject_import.rows_read}")
        write(f"imported: {subject_import.rows_stored}")
        write(f"rejected: {subject_import.rows_rejected}")
        write(f"duplicates: {subject_import.duplicates}")
        write(f"unreachable: {subject_import.unreachable}")
        write(f"addresses to review: {subject_import.addresses_to_review}")
        write(f"errors: {subject_import.errors}")
        write(f"warnings: {subject_import.warnings}")
        write(f"error report: {report_path}")
        write(subject_import.summary_text)
        if subject_import.state not in (
            SubjectImport.State.IMPORTED,
            SubjectImport.State.VALID,
            SubjectImport.State.ALREADY_IMPORTED,
        ):
            raise CommandError(subject_import.summary_text or "The file was rejected.", returncode=EXIT_REJECTED)
