"""Benchmark the emails to data subjects: a bare Django loop against sending through the notice ledger.

Side by side, in one run, to a local aiosmtpd server (a separate process that discards messages):
- bare: for each person, decrypt, build the same text + HTML message and send it with Django's SMTP backend,
  no bookkeeping (1 process x 1 connection, then 2 processes x 2 connections);
- ledger: BreachDesk's worker loop (claim a window in the database, send over pooled connections, record each
  outcome with its history), 1 process then 2 processes, 2 connections each;
plus the launch that fills the ledger. Bookkeeping overhead = ledger time / bare time - 1, same processes.

Usage (a dedicated, throwaway database; PostgreSQL as in production):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_emails python bench/bench_emails.py [--emails 6000]
Results go to stdout and bench/out/emails.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CONNECTIONS = 2


def _setup_django(port: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachdesk.settings")
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ["BREACHDESK_NOTICE_EMAIL_CONNECTIONS"] = str(CONNECTIONS)
    import django

    django.setup()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _smtp_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("aiosmtpd did not start")


def _prepare(emails: int, label: str) -> tuple[int, float]:
    """Create a breach file with `emails` people reachable by email and a decision; return it and launch time."""
    import random

    from breachdesk import assessment
    from breachdesk.models import BreachFile, DataSubject, Incident, Organisation
    from breachdesk.synthetic import PLACES, person
    from notifications import campaigns

    organisation, _created = Organisation.objects.get_or_create(
        code="LAB-BENCH-EMAIL",
        defaults={"name": "Laboratoire de banc d'essai", "dpo_email": "dpo@example.org", "signatory_name": "DPO"},
    )
    incident = Incident.objects.create(reference=f"BENCH-EMAIL-{label}-{int(time.time())}", title="bench")
    from django.utils import timezone

    breach_file = BreachFile.objects.create(
        incident=incident, controller=organisation, became_aware_at=timezone.now(), natures=["confidentiality"]
    )
    subjects = []
    for index in range(emails):
        data, exposures, language = person(random.Random(index), index, PLACES[index % len(PLACES)])
        data.email = f"person.{index}@example.org"
        subject = DataSubject(breach_file=breach_file, exposures=exposures, language=language)
        subject.personal = data
        subjects.append(subject)
    DataSubject.objects.bulk_create(subjects, batch_size=2000)
    assessment.assess_risk(
        breach_file=breach_file,
        user=None,
        exposures=assessment.default_exposures(breach_file),
        identification="maximum",
        confidentiality="unknown_recipients",
        integrity="none",
        availability="none",
        is_malicious=True,
    )
    assessment.record_decision(
        breach_file=breach_file,
        user=None,
        kind="inform_subjects",
        outcome="inform",
        levels=["low", "medium", "high", "very_high"],
        rationale="bench",
        override_rationale="bench: inform everyone",
    )
    started = time.perf_counter()
    campaigns.launch_campaign(breach_file=breach_file, user=None, channels="email")
    return breach_file.pk, time.perf_counter() - started


def _ledger_worker(arguments: tuple[int, int]) -> dict[str, Any]:
    campaign_id, port = arguments
    _setup_django(port)
    from django.db import connection

    from notifications import delivery

    connection.ensure_connection()
    with delivery.SenderPool() as pool:
        started = time.perf_counter()
        counts = delivery.send_notice_emails(campaign_id=campaign_id, pool=pool)
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "sent": int(sum(counts.values()))}


def _bare_worker(arguments: tuple[int, int, int, int]) -> dict[str, Any]:
    """Decrypt, build and send each person's message with no bookkeeping."""
    breach_file_id, port, part, parts = arguments
    _setup_django(port)
    from django.conf import settings

    from breachdesk.models import DataSubject
    from notifications import emails
    from notifications.campaign_models import Campaign, Notice
    from notifications.delivery import Composer, SenderPool

    campaign = Campaign.objects.select_related("breach_file__controller", "breach_file__incident").get(
        breach_file_id=breach_file_id
    )
    composer = Composer(campaign)
    subjects = list(
        DataSubject.objects.filter(breach_file_id=breach_file_id)
        .order_by("pk")
        .only("pk", "personal_token", "language", "exposures")
    )[part::parts]
    with SenderPool(backend="django.core.mail.backends.smtp.EmailBackend") as pool:
        started = time.perf_counter()
        messages = []
        for subject in subjects:
            notice = Notice(pk=subject.pk, reference=f"B-{subject.pk}", language=subject.language, subject=subject)
            messages.append((subject.pk, composer.message(notice)))
            if len(messages) == 100:
                pool.send(messages)
                messages = []
        if messages:
            pool.send(messages)
        elapsed = time.perf_counter() - started
    assert emails is not None and settings is not None
    return {"seconds": elapsed, "sent": len(subjects)}


def _bare_one_connection(breach_file_id: int, port: int) -> dict[str, Any]:
    """The simplest loop: one connection, one message after another."""
    from django.core.mail import get_connection

    from breachdesk.models import DataSubject
    from notifications.campaign_models import Campaign, Notice
    from notifications.delivery import Composer

    campaign = Campaign.objects.select_related("breach_file__controller", "breach_file__incident").get(
        breach_file_id=breach_file_id
    )
    composer = Composer(campaign)
    subjects = list(
        DataSubject.objects.filter(breach_file_id=breach_file_id)
        .order_by("pk")
        .only("pk", "personal_token", "language", "exposures")
    )
    connection = get_connection(backend="django.core.mail.backends.smtp.EmailBackend")
    connection.open()
    started = time.perf_counter()
    for subject in subjects:
        notice = Notice(pk=subject.pk, reference=f"B-{subject.pk}", language=subject.language, subject=subject)
        connection.send_messages([composer.message(notice)])
    elapsed = time.perf_counter() - started
    connection.close()
    return {"seconds": elapsed, "sent": len(subjects)}


def _rate(results: list[dict[str, Any]]) -> dict[str, Any]:
    sent = sum(result["sent"] for result in results)
    seconds = max(result["seconds"] for result in results)
    return {"emails": sent, "seconds": round(seconds, 2), "emails_per_second": round(sent / seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=6000)
    options, _unknown = parser.parse_known_args(argv)
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        print("  skipped: set DATABASE_URL to a throwaway PostgreSQL database (see the module's docstring)")
        return 0
    port = _free_port()
    server = _smtp_server(port)
    try:
        _setup_django(port)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        context = multiprocessing.get_context("spawn")
        result: dict[str, Any] = {"connections_per_process": CONNECTIONS}

        bare_file, launch_seconds = _prepare(options.emails, "bare")
        result["launch"] = {
            "rows": options.emails,
            "seconds": round(launch_seconds, 2),
            "rows_per_second": round(options.emails / launch_seconds, 1),
        }
        result["bare_1_process_1_connection"] = _rate([_bare_one_connection(bare_file, port)])
        with context.Pool(2) as workers:
            result["bare_2_processes"] = _rate(workers.map(_bare_worker, [(bare_file, port, i, 2) for i in range(2)]))

        one_file, _seconds = _prepare(options.emails, "one")
        from notifications.campaign_models import Campaign

        campaign_one = Campaign.objects.get(breach_file_id=one_file).pk
        with context.Pool(1) as workers:
            result["ledger_1_process"] = _rate(workers.map(_ledger_worker, [(campaign_one, port)]))
        two_file, _seconds = _prepare(options.emails, "two")
        campaign_two = Campaign.objects.get(breach_file_id=two_file).pk
        with context.Pool(2) as workers:
            result["ledger_2_processes"] = _rate(workers.map(_ledger_worker, [(campaign_two, port)] * 2))
        from notifications.campaign_models import Notice

        sent = Notice.objects.filter(campaign_id=campaign_two, state="sent").count()
        result["ledger_2_processes"]["rows_sent"] = sent
        result["overhead_percent_2_processes"] = round(
            100
            * (result["bare_2_processes"]["emails_per_second"] / result["ledger_2_processes"]["emails_per_second"] - 1),
            1,
        )
        result["cpu_count"] = os.cpu_count()
    finally:
        server.terminate()
        server.wait(timeout=10)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "emails.json").write_text(json.dumps(result, indent=2))
    print(f"  launch (ledger rows): {result['launch']['rows_per_second']} rows/s")
    for name in ("bare_1_process_1_connection", "bare_2_processes", "ledger_1_process", "ledger_2_processes"):
        row = result[name]
        print(f"  {name:28} {row['emails_per_second']:>8} emails/s ({row['emails']} in {row['seconds']} s)")
    print(f"  bookkeeping overhead on 2 processes: {result['overhead_percent_2_processes']} % (target < 20 %)")
    ok = result["ledger_2_processes"]["emails_per_second"] >= 1000 and sent == options.emails
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
