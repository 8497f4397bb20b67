"""Read delivery status notifications (RFC 3464) and mark the notices' emails that bounced.

Each bounced email gets its person a letter (once) when a postal address is known. Exit status: 0 read (files that
are not DSNs or name no notice of ours are counted and skipped); 2 a usage error (a path that does not exist).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from breachdesk.commands import EXIT_USAGE
from notifications import delivery
from notifications.models import NoticeState
from notifications.services import ledger


class Command(BaseCommand):
    help = "Read DSN files (or directories of them) and mark the bounced notice emails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="DSN files (.eml) or directories holding them")

    def handle(self, *args: Any, **options: Any) -> None:
        files: list[Path] = []
        for path in options["paths"]:
            if path.is_dir():
                files.extend(sorted(child for child in path.iterdir() if child.is_file()))
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"No such file or directory: {path}", returncode=EXIT_USAGE)
        counts: Counter[str] = Counter()
        for file in files:
            bounce = delivery.parse_dsn(file.read_bytes())
            if bounce is None:
                counts["not a failure report"] += 1
                continue
            notice = ledger.notice_of_message_id(bounce.message_id)
            if notice is None:
                counts["not ours"] += 1
                continue
            if notice.state == NoticeState.BOUNCED:
                counts["already recorded"] += 1
                continue
            ledger.record_bounce_of_notice(notice_id=notice.pk, reason=f"dsn {bounce.status}")
            counts["bounced"] += 1
        summary = ", ".join(
            f"{counts[key]} {key}" for key in ("bounced", "already recorded", "not ours", "not a failure report")
        )
        self.stdout.write(f"{len(files)} files read: {summary}.")
