# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""The lists of a big breach file cost the same number of queries whatever their length (issue 14)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from breachdesk.models import DataSubject
from notifications.models import Campaign, Channel, Notice, NoticeState, PrintBatch, UnreachableSubject
from notifications.selectors.information import count_persons_with_notice, informing_progress, persons_informed
from notifications.selectors.subjects import NO_NOTICE, filter_by_notice_state
from notifications.services import campaigns
from tests.conftest import PASSWORD
from tests.notifications.campaign_fixtures import informed_file, make_subjects  # noqa: F401


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _make_unknown(breach_file, count: int) -> None:
    ids = Notice.objects.filter(breach_file=breach_file, channel=Channel.EMAIL, state=NoticeState.PENDING).values_list(
        "pk", flat=True
    )[:count]
    Notice.objects.filter(pk__in=list(ids)).update(state=NoticeState.UNKNOWN)


def test_the_campaign_page_lists_unknown_emails_and_unreachable_persons_in_a_fixed_number_of_queries(
    client, informed_file, lab_dpo
):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    _make_unknown(informed_file, 1)
    client.login(username=lab_dpo.username, password=PASSWORD)
    url = reverse("notifications:campaign", args=[informed_file.incident.reference, informed_file.controller.code])
    few = _queries(client, url)

    make_subjects(informed_file, 6, start=20, email=False, post=False)
    make_subjects(informed_file, 6, start=30, email=True, post=False)
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    _make_unknown(informed_file, 8)

    assert _queries(client, url) == few


def test_the_persons_without_a_notice_are_found_by_an_anti_join_not_by_not_in(informed_file, lab_dpo):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    subjects = DataSubject.objects.filter(breach_file=informed_file)

    chosen = filter_by_notice_state(subjects, informed_file, NO_NOTICE)

    # PostgreSQL hashes NOT IN (subquery) only while it fits in work_mem, then rescans it once per person.
    sql = str(chosen.query)
    assert "NOT EXISTS" in sql and " IN (SELECT" not in sql
    unreachable = set(subjects.filter(has_postal_address=False, has_email=False).values_list("pk", flat=True))
    assert unreachable and set(chosen.values_list("pk", flat=True)) == unreachable


def test_the_campaign_progress_reads_the_ledger_once(client, informed_file, lab_dpo):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    _make_unknown(informed_file, 2)
    client.login(username=lab_dpo.username, password=PASSWORD)
    url = reverse(
        "notifications:campaign_progress", args=[informed_file.incident.reference, informed_file.controller.code]
    )

    with CaptureQueriesContext(connection) as captured:
        progress = client.get(url).json()

    assert len([query for query in captured.captured_queries if "notifications_notice" in query["sql"]]) == 1
    assert progress["terminal"] == 2 and progress["unknown"] == 2
    assert progress["total"] == Notice.objects.filter(breach_file=informed_file).count()


def test_the_dashboard_takes_the_persons_with_a_notice_from_the_fill_and_counts_them_while_it_runs(
    informed_file, lab_dpo
):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    campaign = Campaign.objects.get(breach_file=informed_file)
    live = count_persons_with_notice([informed_file.pk])[informed_file.pk]
    unreachable = campaign.unreachable.exclude(reason=UnreachableSubject.Reason.ALL_FAILED).count()
    assert campaign.persons_with_notice == live > 0

    with CaptureQueriesContext(connection) as captured:
        informing = informing_progress([informed_file.pk])[informed_file.pk]
    assert informing.persons == live + unreachable
    # The notices per state, and those told: the persons with a notice are not counted again.
    assert len([query for query in captured.captured_queries if "notifications_notice" in query["sql"]]) == 2

    Campaign.objects.filter(pk=campaign.pk).update(populated_at=None, persons_with_notice=live - 1)
    with CaptureQueriesContext(connection) as captured:
        informing = informing_progress([informed_file.pk])[informed_file.pk]
    assert informing.persons == live + unreachable
    assert len([query for query in captured.captured_queries if "notifications_notice" in query["sql"]]) == 3


def test_the_campaign_page_lists_its_print_batches_fifty_at_a_time(client, informed_file, lab_dpo):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    campaign = Campaign.objects.get(breach_file=informed_file)
    PrintBatch.objects.bulk_create(
        PrintBatch(campaign=campaign, number=number, state=PrintBatch.State.POSTED, letters=500)
        for number in range(1, 61)
    )
    client.login(username=lab_dpo.username, password=PASSWORD)
    url = reverse("notifications:campaign", args=[informed_file.incident.reference, informed_file.controller.code])

    first, second = client.get(url), client.get(url + "?batches=2")

    assert [batch.number for batch in first.context["batches"]] == list(range(1, 51))
    assert [batch.number for batch in second.context["batches"]] == list(range(51, 61))
    assert "1 / 2 (60)" in first.content.decode()


def test_the_register_reads_nothing_of_the_ledger_and_the_breach_file_page_counts_it_once(
    client, informed_file, lab_dpo, compliance_officer
):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")

    def ledger_queries(user, url: str) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len([query for query in captured.captured_queries if "notifications_notice" in query["sql"]])

    # The register (page, CSV) names no campaign counts; the breach file page's campaign panel counts per state once.
    assert ledger_queries(compliance_officer, reverse("notifications:register")) == 0
    assert ledger_queries(compliance_officer, reverse("notifications:register_csv")) == 0
    page = reverse("breach_file_detail", args=[informed_file.incident.reference, informed_file.controller.code])
    assert ledger_queries(lab_dpo, page) == 1


def test_the_languages_a_campaign_used_are_found_without_a_distinct_over_the_ledger(informed_file, lab_dpo):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")

    with CaptureQueriesContext(connection) as captured:
        informed = persons_informed(informed_file)

    assert informed.languages == sorted(
        set(Notice.objects.filter(breach_file=informed_file).values_list("language", flat=True))
    )
    ledger = [query["sql"] for query in captured.captured_queries if "notifications_notice" in query["sql"]]
    assert not any("DISTINCT" in sql for sql in ledger)
