"""A launch from the web page queues one task and returns; the page follows the filling, shows a failure, retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from breachdesk.models import DataSubject
from notifications.models import Campaign, Notice
from notifications.services import campaigns, notice_texts
from notifications.tasks import campaigns as campaign_tasks
from tests.conftest import PASSWORD
from tests.notifications.campaign_fixtures import decide_to_inform, many_adults


def _url(name: str, breach_file) -> str:
    return reverse(name, args=[breach_file.incident.reference, breach_file.controller.code])


@pytest.fixture
def queued(monkeypatch):
    """The fill tasks sent to the broker, as (campaign id, user id); the broker itself is not reached."""
    sent: list[tuple] = []
    monkeypatch.setattr(campaign_tasks.fill_campaign, "apply_async", lambda args, *a, **k: sent.append(tuple(args)))
    return sent


def test_a_100000_person_launch_returns_with_the_ledger_empty_and_one_task_queued_that_fills_it(
    client, breach_file, lab_dpo, queued, django_capture_on_commit_callbacks
):
    # The set-wise fill is PostgreSQL's; SQLite runs the person-by-person twin on fewer people.
    persons = 100_000 if connection.vendor == "postgresql" else 3_000
    many_adults(breach_file, persons)
    decide_to_inform(breach_file, lab_dpo)
    client.login(username=lab_dpo.username, password=PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("notifications:campaign_launch", breach_file), {"channels": ["post", "email"], "persons": str(persons)}
        )

    campaign = Campaign.objects.get(breach_file=breach_file)
    assert response.status_code == 302
    assert not Notice.objects.exists()
    assert queued == [(campaign.pk, lab_dpo.pk)]
    page = client.get(_url("notifications:campaign", breach_file)).content.decode()
    assert 'data-testid="launch-filling"' in page
    assert '<meta http-equiv="refresh" content="5">' in page
    assert client.get(_url("notifications:campaign_progress", breach_file)).json()["fill_state"] == "filling"

    campaign_tasks.fill_campaign(*queued[0])

    progress = client.get(_url("notifications:campaign_progress", breach_file)).json()
    assert progress["fill_state"] == "done"
    assert progress["channels"]["post"]["total"] == progress["channels"]["email"]["total"] == persons
    assert not Notice.objects.filter(channel="post", postcode="").exists()
    page = client.get(_url("notifications:campaign", breach_file)).content.decode()
    assert 'data-testid="launch-filling"' not in page and "http-equiv" not in page


def test_a_refusal_is_shown_before_anything_is_queued(client, breach_file, lab_dpo, queued):
    many_adults(breach_file, 10)
    DataSubject.objects.filter(pk=DataSubject.objects.filter(breach_file=breach_file).first().pk).update(language="en")
    decide_to_inform(breach_file, lab_dpo)
    # The DPO wrote the French text only, and one recipient reads English.
    values = {section: f"Texte {section}" for section in notice_texts.SECTIONS}
    campaigns.save_notice_text(breach_file=breach_file, language="fr", values=values, user=lab_dpo)
    client.login(username=lab_dpo.username, password=PASSWORD)

    response = client.post(
        _url("notifications:campaign_launch", breach_file), {"channels": ["post"], "persons": "10"}, follow=True
    )

    assert queued == []
    assert not Campaign.objects.exists()
    html = response.content.decode()
    assert 'data-testid="launch-refused"' in html
    assert "#text-en" in html


def test_a_failed_fill_shows_on_the_page_with_a_retry_that_queues_it_again(
    client, breach_file, lab_dpo, queued, monkeypatch, django_capture_on_commit_callbacks
):
    many_adults(breach_file, 40)
    decide_to_inform(breach_file, lab_dpo)
    campaign, _is_new = campaigns.prepare_launch(breach_file=breach_file, user=lab_dpo, channels="post,email")

    def broken(**kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(campaigns, "_populate", broken)
    with pytest.raises(RuntimeError):
        campaign_tasks.fill_campaign(campaign.pk, lab_dpo.pk)
    monkeypatch.undo()
    client.login(username=lab_dpo.username, password=PASSWORD)
    page = client.get(_url("notifications:campaign", breach_file)).content.decode()

    assert 'data-testid="launch-failed"' in page
    assert "Échec du lancement" in page
    assert 'data-testid="retry-launch"' in page
    assert client.get(_url("notifications:campaign_progress", breach_file)).json()["fill_state"] == "failed"

    sent: list[tuple] = []
    monkeypatch.setattr(campaign_tasks.fill_campaign, "apply_async", lambda args, *a, **k: sent.append(tuple(args)))
    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(_url("notifications:campaign_launch_retry", breach_file), follow=True)
    assert sent == [(campaign.pk, lab_dpo.pk)]
    assert 'data-testid="launch-filling"' in retried.content.decode()
    campaign_tasks.fill_campaign(*sent[0])
    assert Notice.objects.count() == 80
    campaign.refresh_from_db()
    assert campaign.fill_state == "done"


@pytest.mark.parametrize("persona", ["compliance_officer", "mailroom_operator", "other_lab_dpo"])
def test_only_those_who_may_launch_can_retry(client, request, breach_file, lab_dpo, persona, queued):
    many_adults(breach_file, 3)
    decide_to_inform(breach_file, lab_dpo)
    campaigns.prepare_launch(breach_file=breach_file, user=lab_dpo, channels="post")
    user = request.getfixturevalue(persona)
    client.login(username=user.username, password=PASSWORD)

    assert client.post(_url("notifications:campaign_launch_retry", breach_file)).status_code == 404
    assert queued == []


def test_a_fill_still_running_long_after_it_was_queued_offers_to_resume(client, breach_file, lab_dpo, queued, settings):
    many_adults(breach_file, 5)
    decide_to_inform(breach_file, lab_dpo)
    campaign, _is_new = campaigns.prepare_launch(breach_file=breach_file, user=lab_dpo, channels="post")
    client.login(username=lab_dpo.username, password=PASSWORD)
    fresh = client.get(_url("notifications:campaign", breach_file)).content.decode()

    Campaign.objects.filter(pk=campaign.pk).update(
        fill_queued_at=timezone.now() - timedelta(seconds=settings.NOTICE_CLAIM_TIMEOUT_SECONDS + 60)
    )
    stale = client.get(_url("notifications:campaign", breach_file)).content.decode()

    assert 'data-testid="launch-filling"' in fresh and 'data-testid="retry-launch"' not in fresh
    assert 'data-testid="launch-stale"' in stale and 'data-testid="retry-launch"' in stale
