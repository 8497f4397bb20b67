"""A real Celery worker against Redis, PostgreSQL and an SMTP server: each email once, even when a worker is killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from breachdesk.queues import celery_isolation
from notifications.models import Campaign, Notice, NoticeState
from notifications.services import campaigns, sweeps
from tests.conftest import require_service
from tests.notifications.campaign_fixtures import SmtpSink, decide_to_inform, make_subjects

REDIS_URL = os.environ.get("BREACHDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
ROOT = Path(__file__).resolve().parents[3]
SUBJECTS = 3000
WINDOW = 50
PROCESSES = 2

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _redis_available() -> bool:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.flushdb()  # database 5 is this test's own
        return True
    except Exception:
        return False


@pytest.fixture
def services():
    if connection.vendor != "postgresql":
        pytest.skip("about PostgreSQL: run with DATABASE_URL pointing at PostgreSQL")
    if not _redis_available():
        require_service("Redis")


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    try:
        yield server
    finally:
        server.stop()


class Worker:
    """A `celery worker` subprocess in its own process group, so kill -9 reaches every pool process."""

    def __init__(self, *, smtp_port: int, private_dir: Path) -> None:
        database = connection.settings_dict
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "breachdesk.settings",
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}",
            "CELERY_BROKER_URL": REDIS_URL,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "BREACHDESK_PRIVATE_DIR": str(private_dir),
            "BREACHDESK_NOTICE_EMAIL_WINDOW": str(WINDOW),
            "PYTHONPATH": str(ROOT),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        name = f"campaign-test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "breachdesk",
                "worker",
                f"--concurrency={PROCESSES}",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                name,
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def _enqueue(campaign_id: int, copies: int = PROCESSES) -> None:
    """Wake workers the way launch does, through Redis; several copies let both pool processes claim."""
    from celery import Celery

    # Celery prefers a CELERY_BROKER_URL in the environment (CI sets one) to `broker=`: point both at the test's.
    with mock.patch.dict(os.environ, {"CELERY_BROKER_URL": REDIS_URL}):
        producer = Celery(broker=REDIS_URL, set_as_current=False)  # the later tests keep the project's app
        # The workers' queue and key prefix (breachdesk.queues).
        producer.conf.update(**celery_isolation(installation=django_settings.INSTALLATION, broker_url=REDIS_URL))
        for _ in range(copies):
            producer.send_task("notifications.campaign_tasks.send_notice_emails", args=[campaign_id])


def _wait(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


def _campaign(breach_file, lab_dpo, monkeypatch) -> Campaign:
    # The test process enqueues itself, through Redis (the settings' broker here is the local one).
    monkeypatch.setattr(campaigns, "wake_campaign", lambda campaign_id: None)
    make_subjects(breach_file, SUBJECTS, email=True, post=False)
    decide_to_inform(breach_file, lab_dpo)
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="email")
    return Campaign.objects.get(breach_file=breach_file)


def _open() -> int:
    return Notice.objects.filter(state__in=[NoticeState.PENDING, NoticeState.SENDING]).count()


def test_a_worker_sends_a_campaign_of_thousands_each_email_exactly_once(
    services, sink, breach_file, lab_dpo, monkeypatch, tmp_path
):
    campaign = _campaign(breach_file, lab_dpo, monkeypatch)
    worker = Worker(smtp_port=sink.port, private_dir=tmp_path / "private").start()
    try:
        _enqueue(campaign.pk)
        _enqueue(campaign.pk)  # Redis delivering a wake-up twice changes nothing
        _wait(lambda: _open() == 0)
    finally:
        worker.stop()

    notices = list(Notice.objects.filter(campaign=campaign))
    assert len(notices) == SUBJECTS
    assert {notice.state for notice in notices} == {NoticeState.SENT}
    assert dict(sink.received) == {notice.message_id: 1 for notice in notices}


def test_a_worker_killed_mid_campaign_and_restarted_sends_nothing_twice(
    services, sink, breach_file, lab_dpo, monkeypatch, tmp_path
):
    campaign = _campaign(breach_file, lab_dpo, monkeypatch)
    first = Worker(smtp_port=sink.port, private_dir=tmp_path / "private").start()
    try:
        _enqueue(campaign.pk)
        _wait(lambda: Notice.objects.filter(state=NoticeState.SENT).count() >= SUBJECTS // 4)
        first.kill()
    finally:
        first.stop()
    sent_before_restart = Notice.objects.filter(state=NoticeState.SENT).count()
    assert sent_before_restart < SUBJECTS, "the worker finished before it could be killed"

    # The beat's sweep, once the dead worker's heartbeat is stale: rows cut mid-send become unknown, rows claimed but
    # never handed to the server go back to pending, due work is woken.
    later = timezone.now() + timedelta(seconds=django_settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS + 1)
    report = sweeps.sweep_ledger(now=later)
    assert report.campaigns == [campaign.pk]
    assert report.released > 0, "the killed worker held claimed rows it had not sent yet"
    second = Worker(smtp_port=sink.port, private_dir=tmp_path / "private").start()
    try:
        _enqueue(campaign.pk)
        _wait(lambda: _open() == 0)
    finally:
        second.stop()

    notices = list(Notice.objects.filter(campaign=campaign))
    by_state: dict[str, list[Notice]] = {}
    for notice in notices:
        by_state.setdefault(notice.state, []).append(notice)
    assert set(by_state) <= {NoticeState.SENT, NoticeState.UNKNOWN}
    # Nothing was received twice; every row marked sent was received exactly once.
    assert max(sink.received.values()) == 1
    assert all(sink.received[notice.message_id] == 1 for notice in by_state[NoticeState.SENT])
    # Only what was in flight when the worker died is left for a person: one message per SMTP connection of each
    # pool process, whatever the window.
    unknown = by_state.get(NoticeState.UNKNOWN, [])
    assert len(unknown) == report.unknown <= django_settings.NOTICE_EMAIL_CONNECTIONS * PROCESSES
    assert all(notice.last_error == "worker stopped during sending" for notice in unknown)
    assert len(by_state[NoticeState.SENT]) + len(unknown) == SUBJECTS
