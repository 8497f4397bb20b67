"""Chaos: a campaign sent by real Celery workers killed at random, its Redis restarted and an SMTP connection stalled.

Every ledger row ends terminal, no Message-ID arrives twice, and the emails of unknown fate stay within the README's
bound: one per SMTP connection of each killed worker process, plus the one whose connection stalled.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from breachdesk.models import DataSubject
from notifications.models import Campaign, Notice, NoticeState
from notifications.models.ledger import TERMINAL_STATES
from notifications.services import campaigns, sweeps
from tests.conftest import require_service
from tests.notifications.campaign_fixtures import SmtpSink, decide_to_inform, make_subjects
from tests.notifications.tasks.test_campaign_tasks import PROCESSES, Worker

# The 10,000 recipients: about a minute on two cores, ~45 s of it under the kills.
SUBJECTS = 10000
CONNECTIONS = 2
HEARTBEAT_TIMEOUT = 10
CHAOS_SECONDS = 30
KILL_EVERY_SECONDS = 4
# Each message waits this long for the server's answer, so the campaign outlasts the kills however fast the workers
# send: 2 workers x 2 connections take at least 10,000 x 15 ms / 4 = 37.5 s.
SINK_DELAY_SECONDS = 0.015

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Redis:
    """This test's own redis-server, never the machine's: it is restarted mid-campaign."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Redis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def redis() -> Iterator[Redis]:
    if connection.vendor != "postgresql":
        pytest.skip("about PostgreSQL: run with DATABASE_URL pointing at PostgreSQL")
    if shutil.which("redis-server") is None:
        require_service("redis-server")
    server = Redis().start()
    try:
        yield server
    finally:
        server.stop()


def _wake(broker_url: str, campaign_id: int) -> None:
    """Wake the workers the way launch and the beat's sweep do; a Redis being restarted loses it, the sweep resends."""
    from celery import Celery
    from django.conf import settings as django_settings

    from breachdesk.queues import celery_isolation

    with mock.patch.dict("os.environ", {"CELERY_BROKER_URL": broker_url}):
        # Never the current app: the tests after this one queue their tasks through the project's app.
        producer = Celery(broker=broker_url, set_as_current=False)
        # The queue and key prefix of the workers' installation, as every producer of it must use.
        producer.conf.update(celery_isolation(installation=django_settings.INSTALLATION, broker_url=broker_url))
        # Redis may be down on purpose: the next sweep wakes the campaign again.
        with contextlib.suppress(OSError, OperationalError):
            for _ in range(PROCESSES):
                producer.send_task("notifications.campaign_tasks.send_notice_emails", args=[campaign_id], retry=False)
        producer.close()


def _worker(*, smtp_port: int, broker_url: str, private_dir) -> Worker:
    worker = Worker(smtp_port=smtp_port, private_dir=private_dir)
    worker.env.update(
        CELERY_BROKER_URL=broker_url,
        BREACHDESK_SMTP_TIMEOUT="2",
        BREACHDESK_NOTICE_CLAIM_HEARTBEAT="2",
        BREACHDESK_NOTICE_CLAIM_HEARTBEAT_TIMEOUT=str(HEARTBEAT_TIMEOUT),
        BREACHDESK_NOTICE_EMAIL_CONNECTIONS=str(CONNECTIONS),
    )
    return worker.start()


def _open(campaign: Campaign) -> int:
    return Notice.objects.filter(campaign=campaign, state__in=[NoticeState.PENDING, NoticeState.SENDING]).count()


def test_killed_workers_a_restarted_redis_and_a_stalled_connection_lose_and_duplicate_nothing(
    redis, breach_file, lab_dpo, monkeypatch, settings, tmp_path
):
    settings.NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS = HEARTBEAT_TIMEOUT
    monkeypatch.setattr(campaigns, "wake_campaign", lambda campaign_id: None)
    make_subjects(breach_file, SUBJECTS, email=True, post=False)
    decide_to_inform(breach_file, lab_dpo)
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="email")
    campaign = Campaign.objects.get(breach_file=breach_file)
    sink = SmtpSink().start()
    sink.delay = SINK_DELAY_SECONDS
    stalled = Notice.objects.filter(campaign=campaign).order_by("pk")[SUBJECTS // 2]
    sink.stall[DataSubject.objects.get(pk=stalled.subject_id).personal.email] = 30
    private = tmp_path / "private"
    chooser = random.Random(13)  # which worker dies, the same each run
    workers = [_worker(smtp_port=sink.port, broker_url=redis.url, private_dir=private) for _ in range(2)]
    kills = 0
    redis_restarted = False
    try:
        _wake(redis.url, campaign.pk)
        started = time.monotonic()
        next_kill = started + KILL_EVERY_SECONDS
        next_sweep = started
        while _open(campaign) and time.monotonic() - started < 300:
            now = time.monotonic()
            if now - started < CHAOS_SECONDS and now >= next_kill:
                index = chooser.randrange(len(workers))
                workers[index].kill()
                kills += 1
                workers[index] = _worker(smtp_port=sink.port, broker_url=redis.url, private_dir=private)
                next_kill = now + KILL_EVERY_SECONDS
            if not redis_restarted and now - started > CHAOS_SECONDS / 2:
                redis.stop()
                redis.start()
                redis_restarted = True
            if now >= next_sweep:
                # The beat's sweep: dead workers' claims back, the campaign woken again.
                report = sweeps.sweep_ledger(now=timezone.now())
                if report.campaigns:
                    _wake(redis.url, campaign.pk)
                next_sweep = now + 2
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.stop()
        sink.stop()

    notices = list(Notice.objects.filter(campaign=campaign))
    assert kills >= CHAOS_SECONDS // KILL_EVERY_SECONDS - 1
    assert redis_restarted
    assert all(notice.state in TERMINAL_STATES for notice in notices), "rows left pending or sending"
    assert max(sink.received.values()) == 1, "a Message-ID arrived twice"
    sent = [notice for notice in notices if notice.state == NoticeState.SENT]
    assert all(sink.received[notice.message_id] == 1 for notice in sent)
    unknown = [notice for notice in notices if notice.state == NoticeState.UNKNOWN]
    assert stalled.pk in {notice.pk for notice in unknown}
    # README's bound: per killed worker process, the messages in flight, one per SMTP connection; plus the stall.
    assert len(unknown) <= kills * PROCESSES * CONNECTIONS + 1
    assert len(sent) + len(unknown) == SUBJECTS
