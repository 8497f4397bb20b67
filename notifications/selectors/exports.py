"""Exports of the ledger: a print batch's manifest and the breach file's proof of notification."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db import models
from django.utils import timezone

from breachdesk.models import BreachFile
from notifications.models import (
    Notice,
    NoticeState,
    PrintBatch,
)


def manifest_rows(batch: PrintBatch) -> Iterator[list[object]]:
    """The manifest of a batch: letter reference, ledger id, pages, postcode; no health data."""
    for position, (reference, pk, pages, postcode) in enumerate(
        batch.notices.order_by("postcode", "pk").values_list("reference", "pk", "pages", "postcode"), start=1
    ):
        yield [position, reference, pk, pages, postcode]


def batch_letter_counts(batch: PrintBatch) -> dict[str, int]:
    """How many letters a batch holds, how many are printed (and would be posted), and for how many persons."""
    return batch.notices.aggregate(
        letters=models.Count("pk"),
        printed=models.Count("pk", filter=models.Q(state=NoticeState.PRINTED)),
        persons=models.Count("subject", distinct=True),
    )


MANIFEST_HEADER = ["position", "letter_reference", "ledger_id", "pages", "postcode"]


def manifest_csv(batch: PrintBatch) -> str:
    from breachdesk.csvfiles import csv_text

    return csv_text(MANIFEST_HEADER, manifest_rows(batch))


LEDGER_HEADER = [
    "ledger_id",
    "reference",
    "data_subject_id",
    "patient_ref",
    "channel",
    "origin",
    "state",
    "attempts",
    "created_at",
    "ready_at",
    "sent_at",
    "printed_at",
    "posted_on",
    "returned_at",
    "bounced_at",
    "failed_at",
    "last_error",
    "batch",
]


def ledger_rows(breach_file: BreachFile) -> Iterator[list[object]]:
    """Every notice of a breach file with its dates: the per-person proof of information (streamed, chunked)."""
    notices = (
        Notice.objects.filter(breach_file=breach_file)
        .select_related("subject", "batch")
        .only(
            *[
                f"{name}"
                for name in (
                    "pk",
                    "reference",
                    "channel",
                    "origin",
                    "state",
                    "attempts",
                    "created_at",
                    "ready_at",
                    "sent_at",
                    "printed_at",
                    "posted_on",
                    "returned_at",
                    "bounced_at",
                    "failed_at",
                    "last_error",
                )
            ],
            "subject__personal_token",
            "batch__number",
        )
        .order_by("pk")
    )
    for notice in notices.iterator(chunk_size=2000):
        yield [
            notice.pk,
            notice.reference,
            notice.subject_id,
            notice.subject.personal.patient_ref,
            notice.channel,
            notice.origin,
            notice.state,
            notice.attempts,
            _iso(notice.created_at),
            _iso(notice.ready_at),
            _iso(notice.sent_at),
            _iso(notice.printed_at),
            notice.posted_on.isoformat() if notice.posted_on else "",
            _iso(notice.returned_at),
            _iso(notice.bounced_at),
            _iso(notice.failed_at),
            notice.last_error,
            notice.batch.number if notice.batch else "",
        ]


def _iso(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""
