"""Letters in print batches: claim, render, mark printed and posted, returned mail, retention."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from breachdesk.models import AuditEvent, User
from breachdesk.services import record_audit
from notifications.models import (
    Channel,
    Notice,
    NoticeEvent,
    NoticeState,
    NotificationAuditObject,
    PrintBatch,
)
from notifications.postgres import lock_campaign
from notifications.services.campaigns import CampaignRefused
from notifications.services.information import record_subjects_informed_of_campaign
from notifications.services.ledger import UNREADABLE_ERROR, event_rows, fall_back_to_other_channel, transition
from notifications.services.references import is_letter_reference, normalise_reference

logger = logging.getLogger(__name__)


class BatchRenderError(RuntimeError):
    """A print batch failed to render; the message names the batch and the error type, never its content."""


def claim_print_batch(*, campaign_id: int, size: int | None = None, now: datetime | None = None) -> PrintBatch | None:
    """Take the next letters in postcode order into a new batch; a letter belongs to one batch only, ever."""
    now = now or timezone.now()
    size = size or settings.NOTICE_BATCH_SIZE
    token = uuid.uuid4()
    with transaction.atomic():
        lock_campaign(campaign_id)
        rows = list(
            Notice.objects.filter(campaign_id=campaign_id)
            .unbatched_letters()
            .order_by("postcode", "pk")
            .values_list("pk", "attempts", "postcode")[:size]
        )
        if not rows:
            return None
        number = (PrintBatch.objects.filter(campaign_id=campaign_id).aggregate(last=Max("number"))["last"] or 0) + 1
        batch = PrintBatch.objects.create(
            campaign_id=campaign_id,
            number=number,
            state=PrintBatch.State.RENDERING,
            letters=len(rows),
            postcode_first=rows[0][2],
            postcode_last=rows[-1][2],
            claim_token=token,
            claimed_at=now,
            render_attempts=1,
        )
        ids = [pk for pk, _attempts, _postcode in rows]
        Notice.objects.filter(pk__in=ids).update(
            state=NoticeState.RENDERING, batch=batch, claimed_at=now, state_changed_at=now, attempts=F("attempts") + 1
        )
        NoticeEvent.objects.bulk_create(
            event_rows(
                ((pk, NoticeState.PENDING, attempts + 1) for pk, attempts, _postcode in rows),
                NoticeState.RENDERING,
                now,
            )
        )
    return batch


def claim_stale_batch(*, batch_id: int, now: datetime | None = None) -> uuid.UUID | None:
    """Take over a batch whose renderer stopped; the same letters are rendered again, never new ones."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.NOTICE_CLAIM_TIMEOUT_SECONDS)
    token = uuid.uuid4()
    taken = (
        PrintBatch.objects.filter(pk=batch_id, state=PrintBatch.State.RENDERING)
        .filter(Q(claimed_at__lt=stale) | Q(claimed_at__isnull=True))
        .update(claim_token=token, claimed_at=now, render_attempts=F("render_attempts") + 1)
    )
    return token if taken else None


def batch_storage_path(batch: PrintBatch) -> str:
    return f"campaigns/{batch.campaign_id}/batch-{batch.number:05d}.pdf.enc"


def readable_notices(notices: list[Notice]) -> tuple[list[Notice], list[Notice]]:
    """Split letters into those whose person's data decrypts and those whose data is unreadable (each fails alone)."""
    from breachdesk.crypto import UnreadableData

    readable: list[Notice] = []
    unreadable: list[Notice] = []
    for notice in notices:
        try:
            _ = notice.subject.personal  # decrypted once here, cached on the instance for the renderer
        except UnreadableData:
            unreadable.append(notice)
        else:
            readable.append(notice)
    return readable, unreadable


def render_print_batch(*, batch_id: int, token: uuid.UUID, now: datetime | None = None) -> PrintBatch:
    """Render a claimed batch, store it encrypted and mark its letters ready; a lost claim changes nothing.

    A letter whose person's data cannot be decrypted leaves the batch as "data unreadable"; the others are
    rendered, and the batch's letter count, pages and manifest are those of the letters it holds.
    """
    from breachdesk import crypto
    from notifications import letters, storage

    batch = PrintBatch.objects.select_related(
        "campaign__breach_file__controller", "campaign__breach_file__incident"
    ).get(pk=batch_id)
    if batch.state != PrintBatch.State.RENDERING or batch.claim_token != token:
        return batch
    notices, unreadable = readable_notices(list(batch.notices.select_related("subject").order_by("postcode", "pk")))
    if unreadable:
        logger.warning(
            "print batch %s: %s letters set aside, data unreadable (notices %s)",
            batch.pk,
            len(unreadable),
            ",".join(str(notice.pk) for notice in unreadable[:20]),
        )
    now = now or timezone.now()
    if not notices:
        return _set_aside_whole_batch(batch=batch, token=token, unreadable=unreadable, now=now)
    # The cover sheet states what the batch holds once the unreadable letters are out.
    batch.letters, batch.postcode_first, batch.postcode_last = len(notices), notices[0].postcode, notices[-1].postcode
    try:
        rendered = letters.render_batch(batch=batch, notices=notices)
    except Exception as error:
        PrintBatch.objects.filter(pk=batch.pk, claim_token=token).update(last_error=type(error).__name__[:200])
        # The renderer's message may quote an address line: log and re-raise the exception's type only.
        logger.error("print batch %s failed to render: %s", batch.pk, type(error).__name__)
        raise BatchRenderError(f"print batch {batch.pk} failed to render: {type(error).__name__}") from None
    path = batch_storage_path(batch)
    storage.store_private(path, crypto.encrypt_bytes(rendered.content).encode("ascii"))
    with transaction.atomic():
        updated = PrintBatch.objects.filter(pk=batch.pk, claim_token=token, state=PrintBatch.State.RENDERING).update(
            state=PrintBatch.State.READY,
            letters=batch.letters,
            pages=rendered.pages,
            postcode_first=batch.postcode_first,
            postcode_last=batch.postcode_last,
            file_path=path,
            file_sha256=rendered.sha256,
            rendered_at=now,
            claim_token=None,
            last_error="",
        )
        if updated:
            _set_aside_unreadable(batch=batch, unreadable=unreadable, now=now)
            by_pages: dict[int, list[int]] = defaultdict(list)
            for notice in notices:
                by_pages[rendered.pages_by_notice[notice.pk]].append(notice.pk)
            rows = list(
                Notice.objects.filter(batch=batch, state=NoticeState.RENDERING).values_list("pk", "state", "attempts")
            )
            for pages, ids in by_pages.items():
                Notice.objects.filter(pk__in=ids, state=NoticeState.RENDERING).update(
                    state=NoticeState.READY, pages=pages, ready_at=now, state_changed_at=now
                )
            NoticeEvent.objects.bulk_create(event_rows(rows, NoticeState.READY, now))
    batch.refresh_from_db()
    return batch


def _set_aside_unreadable(*, batch: PrintBatch, unreadable: list[Notice], now: datetime) -> None:
    """Move the batch's letters whose data is unreadable out of it, to their terminal state, one event each."""
    if not unreadable:
        return
    transition(
        notices=Notice.objects.filter(batch=batch, pk__in=[notice.pk for notice in unreadable]),
        from_states=[NoticeState.RENDERING],
        to_state=NoticeState.UNREADABLE,
        at=now,
        error=UNREADABLE_ERROR,
        batch=None,
        claim_token=None,
        last_error=UNREADABLE_ERROR,
    )


def _set_aside_whole_batch(
    *, batch: PrintBatch, token: uuid.UUID, unreadable: list[Notice], now: datetime
) -> PrintBatch:
    """Every letter of the batch is unreadable: set them aside and delete the empty batch (nothing to print)."""
    with transaction.atomic():
        claimed = PrintBatch.objects.select_for_update().filter(
            pk=batch.pk, claim_token=token, state=PrintBatch.State.RENDERING
        )
        if claimed.exists():
            _set_aside_unreadable(batch=batch, unreadable=unreadable, now=now)
            claimed.delete()
            # The caller gets the batch as it was claimed, with no letter: it no longer exists.
            batch.letters = 0
            return batch
    batch.refresh_from_db()
    return batch


def build_print_batches(*, campaign_id: int, limit: int | None = None) -> list[PrintBatch]:
    """Batch and render every pending letter of a campaign (the worker's loop, also run inline by commands)."""
    made: list[PrintBatch] = []
    while limit is None or len(made) < limit:
        batch = claim_print_batch(campaign_id=campaign_id)
        if batch is None:
            break
        assert batch.claim_token is not None
        made.append(render_print_batch(batch_id=batch.pk, token=batch.claim_token))
    return made


def read_batch_pdf(batch: PrintBatch) -> bytes:
    """Decrypt a batch's PDF; CampaignRefused once it was deleted after posting."""
    from breachdesk import crypto
    from notifications import storage

    if batch.state == PrintBatch.State.PURGED or not batch.file_path or not storage.exists(batch.file_path):
        raise CampaignRefused(_("This batch's file is not available (not rendered yet, or deleted after posting)."))
    return crypto.decrypt_bytes(storage.read_private(batch.file_path))


def mark_batch_printed(*, batch: PrintBatch, user: User | None, now: datetime | None = None) -> PrintBatch:
    """Record that a batch came out of the printer; its letters move to printed."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = PrintBatch.objects.filter(pk=batch.pk, state=PrintBatch.State.READY).update(
            state=PrintBatch.State.PRINTED, printed_at=now, printed_by=user
        )
        if not updated:
            raise CampaignRefused(_("Only a batch ready to print can be marked printed."))
        transition(
            notices=batch.notices.all(),
            from_states=[NoticeState.READY],
            to_state=NoticeState.PRINTED,
            at=now,
            actor=user,
            printed_at=now,
        )
        _audit_batch(batch, user, "printed")
    batch.refresh_from_db()
    return batch


def mark_batch_posted(
    *, batch: PrintBatch, user: User | None, posted_on: date, now: datetime | None = None
) -> PrintBatch:
    """Record the day a printed batch was handed to the post; its letters move to posted."""
    now = now or timezone.now()
    if posted_on > timezone.localdate(now):
        raise CampaignRefused(_("The posting date cannot be in the future."))
    if posted_on < batch.campaign.letter_date:
        raise CampaignRefused(_("The posting date cannot precede the date of the letters."))
    with transaction.atomic():
        updated = PrintBatch.objects.filter(pk=batch.pk, state=PrintBatch.State.PRINTED).update(
            state=PrintBatch.State.POSTED, posted_on=posted_on, posted_at=now, posted_by=user
        )
        if not updated:
            raise CampaignRefused(_("Only a printed batch can be marked posted."))
        transition(
            notices=batch.notices.all(),
            from_states=[NoticeState.PRINTED],
            to_state=NoticeState.POSTED,
            at=now,
            actor=user,
            posted_on=posted_on,
        )
        _audit_batch(batch, user, "posted")
        # The last batch posted may be the step after which every covered person was told (Art. 34).
        record_subjects_informed_of_campaign(campaign_id=batch.campaign_id, now=now)
    batch.refresh_from_db()
    return batch


def _audit_batch(batch: PrintBatch, user: User | None, detail: str) -> None:
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type=NotificationAuditObject.PRINT_BATCH,
        object_id=batch.pk,
        organisation_id=batch.campaign.breach_file.controller_id,
        detail=detail,
    )


def record_returned_letter(
    *, reference: str, user: User | None, organisations: models.QuerySet[Any], now: datetime | None = None
) -> Notice:
    """Record a letter La Poste brought back; the person then gets an email when one is known (once)."""
    now = now or timezone.now()
    normalised = normalise_reference(reference)
    if normalised is None or not is_letter_reference(normalised):
        raise CampaignRefused(_("This is not a valid letter reference: check the characters and the key."))
    notice = Notice.objects.filter(
        reference=normalised, channel=Channel.POST, breach_file__controller__in=organisations
    ).first()
    if notice is None:
        raise CampaignRefused(_("No letter with this reference among the batches you handle."))
    if notice.state == NoticeState.RETURNED:
        raise CampaignRefused(_("This letter is already recorded as returned."))
    moved = transition(
        notices=Notice.objects.filter(pk=notice.pk),
        from_states=[NoticeState.POSTED],
        to_state=NoticeState.RETURNED,
        at=now,
        actor=user,
        returned_at=now,
    )
    if not moved:
        raise CampaignRefused(_("This letter is not marked posted yet: mark its batch posted first."))
    record_audit(
        user=user,
        action=AuditEvent.Action.CHANGE,
        object_type=NotificationAuditObject.NOTICE,
        object_id=notice.pk,
        organisation_id=notice.campaign.breach_file.controller_id,
        detail="returned",
    )
    fall_back_to_other_channel(notice_id=notice.pk, now=now)
    notice.refresh_from_db()
    return notice


def purge_posted_batches(*, now: datetime | None = None) -> int:
    """Delete the files of batches posted longer ago than the retention period; the ledger stays."""
    from notifications import storage

    now = now or timezone.now()
    limit = timezone.localdate(now) - timedelta(days=settings.NOTICE_RETENTION_DAYS)
    purged = 0
    for batch in PrintBatch.objects.filter(state=PrintBatch.State.POSTED, posted_on__lt=limit):
        if batch.file_path:
            storage.delete_private(batch.file_path)
        PrintBatch.objects.filter(pk=batch.pk, state=PrintBatch.State.POSTED).update(
            state=PrintBatch.State.PURGED, purged_at=now, file_path=""
        )
        purged += 1
    if purged:
        logger.info("deleted the files of %s posted print batches", purged)
    return purged
