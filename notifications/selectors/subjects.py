"""What the data subject pages of the core app show of the notice ledger: filters, a column, a person's history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from breachdesk.models import BreachFile, DataSubject
from notifications.models import Notice, NoticeEvent, NoticeState, UnreachableSubject
from notifications.services import ledger

# The notice states a person searching the list thinks in; "queued" gathers what a worker still has to do.
NOTICE_STATE_FILTERS: dict[str, tuple[Promise, list[str]]] = {
    "queued": (
        _("Queued (not printed or sent yet)"),
        [NoticeState.PENDING, NoticeState.RENDERING, NoticeState.READY, NoticeState.SENDING],
    ),
    "printed": (_("Letter printed"), [NoticeState.PRINTED]),
    "posted": (_("Letter posted"), [NoticeState.POSTED]),
    "returned": (_("Letter returned"), [NoticeState.RETURNED]),
    "sent": (_("Email sent"), [NoticeState.SENT]),
    "bounced": (_("Email bounced or refused"), [NoticeState.BOUNCED, NoticeState.FAILED_PERMANENT]),
    "unknown": (_("Email fate unknown"), [NoticeState.UNKNOWN]),
    "unreadable": (_("Data unreadable"), [NoticeState.UNREADABLE]),
}
NO_NOTICE = "none"


def notice_state_choices() -> Sequence[tuple[str, str | Promise]]:
    return [(NO_NOTICE, _("No notice")), *((code, label) for code, (label, _states) in NOTICE_STATE_FILTERS.items())]


def filter_by_notice_state(
    subjects: QuerySet[DataSubject], breach_file: BreachFile, code: str
) -> QuerySet[DataSubject]:
    """Keep the subjects with a notice in these states (or none at all), as one semi-join on the ledger."""
    notices = Notice.objects.filter(breach_file=breach_file)
    if code == NO_NOTICE:
        # An anti-join probing the one-notice-per-channel index, not NOT IN over the ledger: PostgreSQL hashes a
        # NOT IN subquery only while it fits in work_mem, and rescans it for every person beyond (issue 14).
        return subjects.filter(~Exists(notices.filter(subject=OuterRef("pk"))))
    if code not in NOTICE_STATE_FILTERS:
        return subjects
    return subjects.filter(pk__in=notices.filter(state__in=NOTICE_STATE_FILTERS[code][1]).values("subject_id"))


def unreachable_reason_choices() -> Sequence[tuple[str, str | Promise]]:
    return list(UnreachableSubject.Reason.choices)


def filter_by_unreachable_reason(
    subjects: QuerySet[DataSubject], breach_file: BreachFile, code: str
) -> QuerySet[DataSubject]:
    """Keep the subjects the campaign listed unreachable for this reason."""
    if code not in UnreachableSubject.Reason.values:
        return subjects
    listed = UnreachableSubject.objects.filter(campaign__breach_file=breach_file, reason=code)
    return subjects.filter(pk__in=listed.values("subject_id"))


def notice_summaries(breach_file: BreachFile, subject_ids: list[int]) -> dict[int, str]:
    """Name the state of each listed subject's notices ("Letter posted, Email sent"), in one query for the page."""
    labels: dict[int, list[str]] = defaultdict(list)
    rows = (
        Notice.objects.filter(breach_file=breach_file, subject_id__in=subject_ids)
        .order_by("subject_id", "channel", "pk")
        .values_list("subject_id", "state")
    )
    for subject_id, state in rows:
        labels[subject_id].append(str(NoticeState(state).label))
    return {subject_id: ", ".join(names) for subject_id, names in labels.items()}


@dataclass
class NoticeHistory:
    """One notice of a person and its steps, for the subject page."""

    notice: Notice
    events: list[NoticeEvent]
    resent_as: Notice | None
    can_send_again: bool

    @property
    def is_undelivered(self) -> bool:
        return self.notice.state in ledger.UNDELIVERED_STATES

    @property
    def came_back_at(self) -> datetime | None:
        return ledger.came_back_at(self.notice)


def subject_notices(subject: DataSubject) -> list[NoticeHistory]:
    """Return the person's notices in this breach file with their events, oldest first (two queries)."""
    notices = list(
        Notice.objects.filter(breach_file_id=subject.breach_file_id, subject=subject)
        .select_related("batch")
        .prefetch_related("events")
        .order_by("created_at", "pk")
    )
    by_origin = {notice.resend_of_id: notice for notice in notices if notice.resend_of_id}
    return [
        NoticeHistory(
            notice=notice,
            events=list(notice.events.all()),
            resent_as=by_origin.get(notice.pk),
            can_send_again=notice.pk not in by_origin and ledger.can_send_again(notice, subject),
        )
        for notice in notices
    ]
