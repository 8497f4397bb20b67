"""Re-encrypt every encrypted artefact under the first key of BREACHDESK_DATA_KEYS, or count what each key protects."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from breachdesk import crypto, keyring
from breachdesk.commands import EXIT_REFUSED


class Command(BaseCommand):
    help = (
        "Re-encrypt under the first (newest) key of BREACHDESK_DATA_KEYS every encrypted artefact another key "
        "protects: the rows of every encrypted column and the encrypted files (waiting uploads, print batches). "
        "An item no configured key can read is reported by table or kind and id, and skipped. Exit 0 when done, "
        "1 when an item was skipped. With --check, change nothing: print how many items each key still protects "
        "(rows per table and field, files per kind) and exit 0 when no item uses a key but the first, so the "
        "others can be dropped, or 1 when one does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--check", action="store_true", help="count items per key; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            self._check(batch_size=options["batch_size"])
            return
        rotation = keyring.rotate(batch_size=options["batch_size"])
        self.stdout.write(
            f"Re-encrypted {rotation.rows} rows and {rotation.files} files under the first key "
            f"({crypto.key_fingerprint(settings.DATA_ENCRYPTION_KEYS[0])})."
        )
        self._unreadable(rotation.skipped, verb="Skipped")
        if rotation.skipped:
            raise CommandError(f"{len(rotation.skipped)} unreadable items were skipped.", returncode=EXIT_REFUSED)

    def _check(self, *, batch_size: int) -> None:
        use = keyring.key_use(batch_size=batch_size)
        things = [(column.label, "rows") for column in keyring.columns()]
        things += [(files.kind, "files") for files in keyring.file_kinds()]
        for number, key in enumerate(settings.DATA_ENCRYPTION_KEYS, start=1):
            role = "first, encrypts" if number == 1 else "decrypts only"
            self.stdout.write(f"Key {number} ({crypto.key_fingerprint(key)}, {role}):")
            for thing, unit in things:
                self.stdout.write(f"  {thing}: {use.counts[number, thing]} {unit}")
        self._unreadable(use.unreadable, verb="Unreadable with every key")
        if use.on_old_keys:
            raise CommandError(
                f"{use.on_old_keys} items still use a key other than the first: run rotate_keys before dropping it.",
                returncode=EXIT_REFUSED,
            )
        self.stdout.write("No item uses a key other than the first: the other keys can be dropped.")

    def _unreadable(self, items: list[keyring.Unreadable], *, verb: str) -> None:
        for item in items:
            self.stderr.write(f"{verb}: {item.what} #{item.item_id}")
