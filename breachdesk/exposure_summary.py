"""A breach file's data subjects counted per set of exposure codes: kept encrypted, added to by each import."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from django.db import transaction

from breachdesk.models import DataSubject, ExposureSummary
from breachdesk.taxonomy import EXPOSURES

_ORDER = {code: index for index, code in enumerate(EXPOSURES)}


def canonical(codes: Iterable[str]) -> tuple[str, ...]:
    """Return a set of codes in taxonomy order, so the same set written in another order counts once."""
    return tuple(sorted(set(codes), key=lambda code: (_ORDER.get(code, len(_ORDER)), code)))


def exposure_sets(breach_file_id: int) -> list[tuple[list[str], int]]:
    """Return the breach file's data subjects counted per set of exposure codes (empty before any import)."""
    summary = ExposureSummary.objects.filter(breach_file_id=breach_file_id).first()
    return summary.sets if summary is not None else []


@transaction.atomic
def add_exposure_sets(*, breach_file_id: int, counts: Counter[tuple[str, ...]]) -> None:
    """Add data subjects to the breach file's counts, in the transaction that stores them."""
    if not counts:
        return
    summary = ExposureSummary.objects.select_for_update().filter(breach_file_id=breach_file_id).first()
    merged: Counter[tuple[str, ...]] = Counter()
    if summary is not None:
        for codes, count in summary.sets:
            merged[canonical(codes)] += count
    for added, count in counts.items():
        merged[canonical(added)] += count
    ordered: Sequence[tuple[Sequence[str], int]] = sorted(merged.items())
    if summary is None:
        summary = ExposureSummary(breach_file_id=breach_file_id)
    summary.sets = ordered
    summary.save()


def recount_exposure_sets(*, breach_file_id: int, batch_size: int = 2000) -> None:
    """Count the breach file's data subjects again from their decrypted exposures (subjects stored outside an import)."""
    counts: Counter[tuple[str, ...]] = Counter()
    subjects = DataSubject.objects.filter(breach_file_id=breach_file_id).only("pk", "personal_token")
    for subject in subjects.iterator(chunk_size=batch_size):
        counts[canonical(subject.personal.exposures)] += 1
    with transaction.atomic():
        ExposureSummary.objects.filter(breach_file_id=breach_file_id).delete()
        add_exposure_sets(breach_file_id=breach_file_id, counts=counts)
