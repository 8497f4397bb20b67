"""Re-encrypt every data subject under the first key of BREACHDESK_DATA_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from breachdesk.services import rotate_encryption_keys


class Command(BaseCommand):
    help = "Re-encrypt the personal data of every data subject under the first (newest) data key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        rewritten = rotate_encryption_keys(batch_size=options["batch_size"])
        self.stdout.write(f"Re-encrypted {rewritten} data subjects under the first key.")
