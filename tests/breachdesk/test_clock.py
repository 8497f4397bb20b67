"""The Art. 33(1) clock: 72 hours of elapsed time, shown in Europe/Paris."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from breachdesk import services
from breachdesk.models import BreachFile, LateNotificationError
from breachdesk.taxonomy import Status
from tests.factories import BreachFileFactory

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_awareness_before_the_spring_change_gives_a_deadline_one_wall_clock_hour_later():
    breach_file = BreachFile(became_aware_at=paris(2026, 3, 27, 10, 0))
    assert breach_file.authority_deadline.astimezone(PARIS) == paris(2026, 3, 30, 11, 0)
    assert breach_file.authority_deadline - breach_file.became_aware_at == timedelta(hours=72)


def test_awareness_before_the_autumn_change_gives_a_deadline_one_wall_clock_hour_earlier():
    breach_file = BreachFile(became_aware_at=paris(2026, 10, 23, 10, 0))
    deadline = breach_file.authority_deadline.astimezone(PARIS)
    assert deadline.replace(tzinfo=None) == datetime(2026, 10, 26, 9, 0)
    assert deadline.utcoffset() == timedelta(hours=1)


def test_awareness_without_a_change_keeps_the_same_wall_clock_time():
    breach_file = BreachFile(became_aware_at=paris(2026, 6, 1, 22, 30))
    assert breach_file.authority_deadline.astimezone(PARIS) == paris(2026, 6, 4, 22, 30)


def test_time_left_is_negative_and_the_file_overdue_once_72_hours_have_passed():
    aware = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    breach_file = BreachFile(became_aware_at=aware, status=Status.DETECTED)
    assert breach_file.time_left(now=aware + timedelta(hours=71)) == timedelta(hours=1)
    assert not breach_file.is_overdue(now=aware + timedelta(hours=71, minutes=59))
    assert breach_file.is_overdue(now=aware + timedelta(hours=72))
    assert breach_file.time_left(now=aware + timedelta(hours=80)) == timedelta(hours=-8)


def test_a_notified_file_is_no_longer_overdue():
    aware = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    breach_file = BreachFile(became_aware_at=aware, status=Status.NOTIFIED, authority_notified_at=aware)
    assert not breach_file.is_overdue(now=aware + timedelta(hours=100))


@pytest.mark.django_db
def test_the_overdue_query_matches_the_model_rule():
    now = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    late = BreachFileFactory(became_aware_at=now - timedelta(hours=73))
    BreachFileFactory(became_aware_at=now - timedelta(hours=71))
    BreachFileFactory(
        became_aware_at=now - timedelta(hours=90),
        status=Status.NOTIFIED,
        authority_notified_at=now - timedelta(hours=80),
    )
    assert list(BreachFile.objects.overdue(now=now)) == [late]


@pytest.mark.django_db
def test_a_late_filing_requires_reasons_for_the_delay(breach_file, lab_dpo):
    late = breach_file.authority_deadline + timedelta(minutes=1)
    with pytest.raises(LateNotificationError):
        services.record_authority_notification(breach_file=breach_file, notified_at=late, user=lab_dpo)
    breach_file.refresh_from_db()
    assert breach_file.authority_notified_at is None
    services.record_authority_notification(
        breach_file=breach_file,
        notified_at=late,
        user=lab_dpo,
        delay_reasons="Le sous-traitant ne nous a transmis la liste qu'au quatrième jour.",
    )
    breach_file.refresh_from_db()
    assert breach_file.authority_notified_at == late
    assert breach_file.status == Status.NOTIFIED
    assert breach_file.events.filter(kind="authority_notified").count() == 1


@pytest.mark.django_db
def test_a_filing_on_time_needs_no_reasons(breach_file, lab_dpo):
    on_time = breach_file.authority_deadline - timedelta(minutes=1)
    services.record_authority_notification(breach_file=breach_file, notified_at=on_time, user=lab_dpo)
    breach_file.refresh_from_db()
    assert breach_file.status == Status.NOTIFIED


@pytest.mark.django_db
def test_saving_a_late_notification_date_without_reasons_fails_validation(breach_file):
    breach_file.authority_notified_at = breach_file.authority_deadline + timedelta(hours=1)
    with pytest.raises(ValidationError) as error:
        breach_file.full_clean()
    assert "delay_reasons" in error.value.message_dict
