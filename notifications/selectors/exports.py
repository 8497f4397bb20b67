"""Exports of the ledger: a print batch's manifest and the breach file's proof of notification."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import pgettext, pgettext_lazy

from breachdesk.formats import paris_datetime
from breachdesk.models import BreachFile, Channel
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


LEDGER_COLUMNS: list[tuple[str, Promise]] = [
    ("ledger_id", pgettext_lazy("csv column", "Ledger id")),
    ("reference", pgettext_lazy("csv column", "Reference")),
    ("data_subject_id", pgettext_lazy("csv column", "Data subject id")),
    ("patient_ref", pgettext_lazy("csv column", "Patient reference")),
    ("channel", pgettext_lazy("csv column", "Channel")),
    ("origin", pgettext_lazy("csv column", "Origin")),
    ("state", pgettext_lazy("csv column", "State")),
    ("attempts", pgettext_lazy("csv column", "Attempts")),
    ("created_at", pgettext_lazy("csv column", "Created at")),
    ("ready_at", pgettext_lazy("csv column", "Ready at")),
    ("sent_at", pgettext_lazy("csv column", "Sent at")),
    ("printed_at", pgettext_lazy("csv column", "Printed at")),
    ("posted_on", pgettext_lazy("csv column", "Posted on")),
    ("returned_at", pgettext_lazy("csv column", "Returned at")),
    ("bounced_at", pgettext_lazy("csv column", "Bounced at")),
    ("failed_at", pgettext_lazy("csv column", "Failed at")),
    ("last_error", pgettext_lazy("csv column", "Last error")),
    ("batch", pgettext_lazy("csv column", "Print batch")),
]


def ledger_rows(breach_file: BreachFile, *, language: str) -> Iterator[list[object]]:
    """Every notice of a breach file with its dates: the per-person proof of information (streamed, chunked).

    Channels, origins and states are named in the reader's language; times are Paris time to the second.
    """
    with translation.override(language):
        names: dict[str, dict[str, str]] = {
            "channel": {value: str(label) for value, label in Channel.choices},
            "origin": {value: str(label) for value, label in Notice.Origin.choices},
            "state": {value: str(label) for value, label in NoticeState.choices},
        }
        # A person whose data no key decrypts keeps their row, marked, and the export goes on (issue 13).
        unreadable = pgettext("csv value", "(data unreadable)")
    notices = (
        Notice.objects.filter(breach_file=breach_file)
        .select_related("subject", "batch")
        .only(
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
            personal.patient_ref if (personal := notice.subject.readable_personal) else unreadable,
            names["channel"].get(notice.channel, notice.channel),
            names["origin"].get(notice.origin, notice.origin),
            names["state"].get(notice.state, notice.state),
            notice.attempts,
            paris_datetime(notice.created_at, seconds=True),
            paris_datetime(notice.ready_at, seconds=True),
            paris_datetime(notice.sent_at, seconds=True),
            paris_datetime(notice.printed_at, seconds=True),
            notice.posted_on.strftime("%d/%m/%Y") if notice.posted_on else "",
            paris_datetime(notice.returned_at, seconds=True),
            paris_datetime(notice.bounced_at, seconds=True),
            paris_datetime(notice.failed_at, seconds=True),
            notice.last_error,
            notice.batch.number if notice.batch else "",
        ]


def ledger_header(*, language: str) -> list[str]:
    """The ledger's column names in the reader's language."""
    with translation.override(language):
        return [str(label) for _code, label in LEDGER_COLUMNS]
