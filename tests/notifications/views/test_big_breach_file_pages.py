# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""The lists of a big breach file cost the same number of queries whatever their length (issue 14)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Channel, Notice, NoticeState
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
