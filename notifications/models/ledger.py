"""The notice ledger: one row per data subject and channel, the proof that each person was told (Art. 34)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from breachdesk.models import Channel


class NoticeState(models.TextChoices):
    PENDING = "pending", _("Pending")
    RENDERING = "rendering", _("Letter being rendered")
    READY = "ready", _("Letter ready to print")
    SENDING = "sending", _("Email being sent")
    SENT = "sent", _("Email sent")
    FAILED_PERMANENT = "failed_permanent", _("Email refused")
    BOUNCED = "bounced", _("Email bounced")
    # The connection broke after the message may have left: never resent automatically, a person decides.
    UNKNOWN = "unknown", _("Email fate unknown")
    PRINTED = "printed", _("Letter printed")
    POSTED = "posted", _("Letter posted")
    RETURNED = "returned", _("Letter returned")
    # The person's stored data could not be decrypted (a damaged token or a key dropped too early): this notice
    # stops here, the others go on, and the DPO sees it listed; never retried by a worker.
    UNREADABLE = "unreadable", _("Data unreadable")


# States after which no worker acts on a row any more (a person may still act on unknown ones).
TERMINAL_STATES = frozenset(
    {
        NoticeState.SENT,
        NoticeState.FAILED_PERMANENT,
        NoticeState.BOUNCED,
        NoticeState.UNKNOWN,
        NoticeState.POSTED,
        NoticeState.RETURNED,
        NoticeState.UNREADABLE,
    }
)


class NoticeText(models.Model):
    """The letter and email text a DPO edits per breach file and language before launch; plain text, never template source."""

    breach_file = models.ForeignKey("breachdesk.BreachFile", on_delete=models.CASCADE, related_name="notice_texts")
    language = models.CharField(_("language"), max_length=2, choices=[("fr", "Français"), ("en", "English")])
    what_happened = models.TextField(_("what happened"))
    consequences = models.TextField(_("likely consequences"))
    measures = models.TextField(_("what we did"))
    advice = models.TextField(_("what you can do"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("notice text")
        verbose_name_plural = _("notice texts")
        ordering = ["breach_file", "language"]
        constraints = [
            models.UniqueConstraint(fields=["breach_file", "language"], name="one_notice_text_per_language"),
        ]

    def __str__(self) -> str:
        return f"notice text ({self.language}) of breach file #{self.breach_file_id}"


class Campaign(models.Model):
    """The launch of the Art. 34 communication of one breach file; its text is frozen at launch."""

    breach_file = models.OneToOneField("breachdesk.BreachFile", on_delete=models.PROTECT, related_name="campaign")
    decision = models.ForeignKey("breachdesk.Decision", on_delete=models.PROTECT, related_name="+")
    channels = models.JSONField(default=list)
    envelope_stock = models.CharField(max_length=40)
    # {language: {section: text}} as the DPO left it at launch: every letter and email says the same.
    texts = models.JSONField(default=dict)
    letter_date = models.DateField(_("date of the letters"))
    launched_at = models.DateTimeField(_("launched at"))
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set once every covered data subject has a row or is listed unreachable; cleared while a launch fills the ledger.
    populated_at = models.DateTimeField(null=True, blank=True)

    class FillError(models.TextChoices):
        # What the launch needs changed after it was queued (a text, the choice for minors of 15 to 17).
        REFUSED = "refused", _("Refused when it ran")
        ERROR = "error", _("Stopped by an error")

    # When the last launch queued the filling of the ledger.
    fill_queued_at = models.DateTimeField(null=True, blank=True)
    # The last fill of the ledger stopped: what exists stays, a retry adds only what is missing.
    fill_failed_at = models.DateTimeField(null=True, blank=True)
    fill_error = models.CharField(max_length=10, choices=FillError.choices, blank=True)
    # The data subjects with a notice, counted by each fill (only a fill gives a person their first notice; a resend
    # or a fallback goes to a person who has one): the dashboard's persons without a pass over the ledger.
    persons_with_notice = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("information campaign")
        verbose_name_plural = _("information campaigns")
        ordering = ["-launched_at"]

    def __str__(self) -> str:
        return f"campaign #{self.pk} of breach file #{self.breach_file_id}"

    @property
    def is_filling(self) -> bool:
        """Tell whether a launch is filling the ledger now (queued or running, not failed)."""
        return self.populated_at is None and self.fill_failed_at is None

    @property
    def is_fill_stale(self) -> bool:
        """Tell whether a fill still runs long after it was queued: its worker may be gone with the task."""
        from django.utils import timezone

        limit = timezone.now() - timedelta(seconds=settings.NOTICE_CLAIM_TIMEOUT_SECONDS)
        return self.is_filling and self.fill_queued_at is not None and self.fill_queued_at < limit

    @property
    def fill_state(self) -> str:
        if self.fill_failed_at is not None:
            return "failed"
        return "filling" if self.populated_at is None else "done"


class PrintBatch(models.Model):
    """At most N letters sorted by postcode, merged into one encrypted PDF with a cover sheet and a manifest."""

    class State(models.TextChoices):
        RENDERING = "rendering", _("Being rendered")
        READY = "ready", _("Ready to print")
        PRINTED = "printed", _("Printed")
        POSTED = "posted", _("Posted")
        PURGED = "purged", _("Posted, file deleted")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="batches")
    number = models.PositiveIntegerField(_("number"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.RENDERING)
    letters = models.PositiveIntegerField(_("letters"), default=0)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    postcode_first = models.CharField(_("first postcode"), max_length=10, blank=True)
    postcode_last = models.CharField(_("last postcode"), max_length=10, blank=True)
    # A name in the private storage (STORAGES["private"]); the PDF is stored encrypted and served only through a checked view.
    file_path = models.CharField(max_length=300, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    render_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    printed_at = models.DateTimeField(null=True, blank=True)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_on = models.DateField(_("posted on"), null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")
        ordering = ["campaign", "number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="print_batch_number_unique"),
        ]

    def __str__(self) -> str:
        return f"print batch {self.number} of campaign #{self.campaign_id}"

    @property
    def label(self) -> str:
        return f"{self.campaign.breach_file.controller.code}-{self.number:04d}"


class NoticeQuerySet(models.QuerySet["Notice"]):
    """The ledger's questions over many rows, each asked in one place."""

    def due_emails(self, *, now: datetime) -> NoticeQuerySet:
        """Pending emails whose first attempt or back-off is due."""
        return self.filter(channel=Channel.EMAIL, state=NoticeState.PENDING).filter(
            models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now)
        )

    def unbatched_letters(self) -> NoticeQuerySet:
        """Pending letters not yet in a print batch, but for persons whose address is to review (until corrected)."""
        return self.filter(channel=Channel.POST, state=NoticeState.PENDING, batch__isnull=True).exclude(
            subject__address_needs_review=True
        )

    def waiting_on_back_off(self) -> NoticeQuerySet:
        """Pending emails that wait for their next attempt."""
        return self.filter(channel=Channel.EMAIL, state=NoticeState.PENDING, next_attempt_at__isnull=False)


class Notice(models.Model):
    """One data subject told through one channel: the ledger row workers claim and the proof the controller keeps."""

    class Origin(models.TextChoices):
        LAUNCH = "launch", _("Campaign launch")
        EMAIL_UNDELIVERED = "email_undelivered", _("Email not delivered")
        LETTER_RETURNED = "letter_returned", _("Letter returned")
        # The same channel again, after the person's address or email was corrected.
        RESENT = "resent", _("Sent again after a correction")

    # Every state change rewrites each index of the row (state is indexed, so no update is HOT): no index here that
    # another one covers. The work queue leads with campaign, the unique constraint with breach_file.
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="notices", db_index=False)
    breach_file = models.ForeignKey(
        "breachdesk.BreachFile", on_delete=models.PROTECT, related_name="notices", db_index=False
    )
    # Indexed with the state (notice_subject_state) instead of alone: the same index count, one more question answered.
    subject = models.ForeignKey(
        "breachdesk.DataSubject", on_delete=models.PROTECT, related_name="notices", db_index=False
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices, default=Origin.LAUNCH)

    class Addressee(models.TextChoices):
        SUBJECT = "subject", _("The data subject")
        # A child's letter goes to the holders of parental authority, at the child's address (DOMAIN.md section 9).
        REPRESENTATIVES = "representatives", _("The legal representatives")

    addressee = models.CharField(_("addressee"), max_length=20, choices=Addressee.choices, default=Addressee.SUBJECT)
    # Printed on the letter, typed or scanned by the mailroom; codes and ids only, with a check key.
    reference = models.CharField(_("reference"), max_length=40)
    language = models.CharField(_("language"), max_length=2)
    # Letters are batched in postcode order; the manifest shows it (no health data).
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=NoticeState.choices, default=NoticeState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # A code and a server reply code at most: never an address or a name.
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Refreshed every few seconds by the live worker holding the claim: a stale one means the worker is gone.
    claim_heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Set, under the claim, just before the message goes to the SMTP server: only such rows may have left when a
    # worker stops; the others go back to pending. Cleared again when the server's refusal is known.
    handed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(PrintBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="notices")
    pages = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"))
    state_changed_at = models.DateTimeField(_("state changed at"))
    ready_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    printed_at = models.DateTimeField(null=True, blank=True)
    posted_on = models.DateField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # A notice sent again after this one came back (letter returned, email bounced) and the person's details were
    # corrected: at most one per notice, so a returned letter is followed by one new letter, never two.
    resend_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="resent_as", editable=False
    )

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice to a data subject")
        verbose_name_plural = _("notices to data subjects")
        ordering = ["pk"]
        constraints = [
            # Issue 5: one notice per person per channel, whatever the number of launches.
            # A minor of 15 to 17 may get a letter and the legal representatives another: one per addressee.
            # A notice sent again after a return (resend_of set) is the only other one, and only one per return.
            models.UniqueConstraint(
                fields=["breach_file", "subject", "channel", "addressee"],
                condition=models.Q(resend_of__isnull=True),
                name="one_notice_per_subject_channel",
            ),
            # A constraint rather than unique=True: references are looked up whole, never by prefix (no _like twin).
            models.UniqueConstraint(fields=["reference"], name="notice_reference_unique"),
        ]
        indexes = [
            # Workers claim the next due rows in id order: the index hands them over without sorting the queue.
            models.Index(fields=["campaign", "channel", "state", "id"], name="notice_work_queue"),
            models.Index(fields=["campaign", "channel", "state", "postcode"], name="notice_postcode_order"),
            # A person's notices (and the foreign key's checks) and, from this index alone, the persons with a notice
            # and those told: the dashboard's and the breach file's counts of persons (issue 14).
            models.Index(fields=["subject", "state"], name="notice_subject_state"),
        ]

    def __str__(self) -> str:
        return f"notice {self.reference}"

    @property
    def message_id(self) -> str:
        """Return the Message-ID this row's email always carries, whatever the attempt."""
        domain = getattr(settings, "NOTICE_MESSAGE_ID_DOMAIN", "breachdesk.invalid")
        return f"<notice.{self.pk}.{self.reference}@{domain}>"


class NoticeEvent(models.Model):
    """A timestamped transition of a notice: the per-person history the controller can show."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="events")
    # Read per notice (its history), never by time across notices: no index of its own (two events per email).
    at = models.DateTimeField()
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    attempt = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("notice step")
        verbose_name_plural = _("notice steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state or '-'} -> {self.to_state}"


class UnreachableSubject(models.Model):
    """A covered data subject no channel can reach: input to the public-communication decision (Art. 34(3)(c))."""

    class Reason(models.TextChoices):
        NO_CHANNEL = "no_channel", _("Neither a postal address nor an email address")
        NO_CHANNEL_CHOSEN = "no_channel_chosen", _("Not reachable through the channels chosen at launch")
        ALL_FAILED = "all_failed", _("Every channel failed")
        # A child is told through a letter to the legal representatives; an email to the child is never sent.
        MINOR_WITHOUT_POSTAL_ADDRESS = (
            "minor_without_postal_address",
            _("A minor told through the legal representatives, with no postal address to write to"),
        )

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="unreachable")
    subject = models.ForeignKey("breachdesk.DataSubject", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=30, choices=Reason.choices)
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("unreachable data subject")
        verbose_name_plural = _("unreachable data subjects")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "subject"], name="unreachable_subject_once"),
        ]

    def __str__(self) -> str:
        return f"unreachable data subject #{self.subject_id}"
