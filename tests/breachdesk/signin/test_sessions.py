"""A session ends after 30 idle minutes, 12 hours after the login, and as soon as the account is disabled."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from breachdesk.models import User
from breachdesk.signin.sessions import ACTIVE_AT, SIGNED_IN_AT
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _logged_in(username: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _shift(client: Client, **seconds_ago: int) -> None:
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = int(time.time()) - ago
    session.save()


def test_a_session_idle_for_more_than_30_minutes_is_logged_out(lab_dpo):
    client = _logged_in("dpo.rennes")
    _shift(client, breachdesk_active_at=31 * 60)

    response = client.get("/")

    assert response.url == "/login/?next=/"
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_a_session_used_within_30_minutes_goes_on_and_its_idle_clock_restarts(lab_dpo):
    client = _logged_in("dpo.rennes")
    _shift(client, breachdesk_active_at=29 * 60)

    assert client.get("/").status_code == 200
    assert time.time() - client.session[ACTIVE_AT] < 5


def test_a_session_older_than_its_lifetime_is_logged_out_even_when_active(lab_dpo):
    client = _logged_in("dpo.rennes")
    _shift(client, breachdesk_signed_in_at=12 * 3600 + 60, breachdesk_active_at=30)

    assert client.get("/").url == "/login/?next=/"
    assert "_auth_user_id" not in client.session


def test_polling_a_progress_endpoint_does_not_keep_the_session_alive(lab_dpo, breach_file):
    client = _logged_in("dpo.rennes")
    _shift(client, breachdesk_active_at=10 * 60)
    before = client.session[ACTIVE_AT]

    client.get(f"/files/{breach_file.incident.reference}/{breach_file.controller.code}/campaign/progress.json")
    client.get(f"/files/{breach_file.incident.reference}/{breach_file.controller.code}/imports/1/progress/")

    assert client.session[ACTIVE_AT] == before
    client.get("/")
    assert client.session[ACTIVE_AT] > before


def test_a_session_without_its_clock_is_logged_out(lab_dpo):
    client = _logged_in("dpo.rennes")
    session = client.session
    del session[SIGNED_IN_AT]
    session.save()

    assert client.get("/").url == "/login/?next=/"


def test_disabling_an_account_ends_its_open_sessions(lab_dpo, other_lab_dpo, django_capture_on_commit_callbacks):
    first, second = _logged_in("dpo.rennes"), _logged_in("dpo.rennes")
    other = _logged_in("dpo.brest")

    with django_capture_on_commit_callbacks(execute=True):
        lab_dpo.is_active = False
        lab_dpo.save()

    assert not Session.objects.filter(session_key__in=[first.session.session_key, second.session.session_key]).exists()
    assert first.get("/").url == "/login/?next=/"
    assert other.get("/").status_code == 200


def test_an_account_disabled_without_the_signal_is_logged_out_at_its_next_request(lab_dpo):
    client = _logged_in("dpo.rennes")
    User.objects.filter(pk=lab_dpo.pk).update(is_active=False)

    assert client.get("/").url == "/login/?next=/"
    assert client.post("/login/", {"username": "dpo.rennes", "password": PASSWORD}).status_code == 200
