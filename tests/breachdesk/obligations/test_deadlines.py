"""Due times: hours are elapsed time across DST changes, months follow the Paris calendar with month ends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from breachdesk.formats import PARIS
from breachdesk.obligations.deadlines import add_months_in_paris, due_at
from breachdesk.obligations.regimes import REGIMES, WITHOUT_UNDUE_DELAY, Debtor, Offset


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_the_shipped_regimes_are_exactly_those_of_the_issue():
    assert set(REGIMES) == {
        "gdpr_art33",
        "gdpr_art34",
        "gdpr_art33_2",
        "csp_l1111_8_2",
        "nis2_art23",
        "lopmi_l12_10_1",
        "insurer_notice",
        "cra_art14",
    }
    assert {code for code, regime in REGIMES.items() if regime.debtor == Debtor.PROCESSOR} == {
        "gdpr_art33_2",
        "cra_art14",
    }
    assert REGIMES["nis2_art23"].phase_codes == ("early_warning", "notification", "final_report")
    assert REGIMES["nis2_art23"].phase("final_report").after_phase == "notification"


def test_72_hours_across_the_march_dst_change_end_one_hour_later_on_the_paris_clock():
    # Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST.
    start = paris(2026, 3, 27, 10, 0)
    due = due_at(start_at=start, offset=Offset(hours=72))
    assert due == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    assert due is not None and due.astimezone(PARIS).hour == 11


def test_24_hours_across_the_october_dst_change_end_one_hour_earlier_on_the_paris_clock():
    # Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET.
    start = paris(2026, 10, 24, 10, 0)
    due = due_at(start_at=start, offset=Offset(hours=24))
    assert due == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    assert due is not None and due.astimezone(PARIS).hour == 9


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (paris(2026, 1, 31, 15, 30), paris(2026, 2, 28, 15, 30)),
        (paris(2028, 1, 31, 15, 30), paris(2028, 2, 29, 15, 30)),
        (paris(2026, 3, 31, 9, 0), paris(2026, 4, 30, 9, 0)),
        (paris(2026, 12, 15, 9, 0), paris(2027, 1, 15, 9, 0)),
    ],
)
def test_one_month_is_calendar_wise_on_the_paris_date_clamped_to_the_month_end(start, expected):
    assert add_months_in_paris(start, 1) == expected.astimezone(UTC)


def test_one_month_across_a_dst_change_keeps_the_paris_wall_time():
    due = add_months_in_paris(paris(2026, 3, 10, 10, 0), 1)
    assert due.astimezone(PARIS).replace(tzinfo=None) == datetime(2026, 4, 10, 10, 0)
    assert due == datetime(2026, 4, 10, 8, 0, tzinfo=UTC)


def test_without_undue_delay_has_no_due_time_and_a_policy_without_hours_neither():
    start = paris(2026, 6, 1, 10, 0)
    assert due_at(start_at=start, offset=WITHOUT_UNDUE_DELAY) is None
    assert due_at(start_at=start, offset=Offset(from_policy=True), policy_hours=None) is None
    assert due_at(start_at=start, offset=Offset(from_policy=True), policy_hours=48) == datetime(
        2026, 6, 3, 8, 0, tzinfo=UTC
    )
