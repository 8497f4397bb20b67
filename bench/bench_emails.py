"""Benchmark the emails to data subjects: a bare Django loop against sending through the notice ledger.

Side by side, in one run, against each of two local SMTP servers that discard what they receive:
- aiosmtpd's Sink (pure Python, the issue's reference): it needs ~1.4 ms of CPU per message itself, so on 2 cores
  it caps every client below ~700 emails/s, whatever the client does; its CPU per message is reported;
- Postfix's smtp-sink (C, a few microseconds per message, PIPELINING like a production MTA): it stands for the
  relay on another host, so the figures measure BreachDesk. It comes from Debian's postfix package, unpacked under
  var/bench/ (`apt-get download` + `dpkg -x`: no mail server is installed or started); skipped when unavailable.

For each server, 1 process then 2, 2 pooled connections per process, every variant decrypting each person and
sending the same personalised text + HTML message:
- naive: no bookkeeping; Django builds and serialises every message and its stock SMTP backend sends it;
- breachdesk: no bookkeeping; the composer's per-campaign template bytes and BreachDesk's SMTP backend;
- ledger: BreachDesk's worker loop (claim a window in the database, send, record each outcome with its history);
plus the launch that fills the ledger. Bookkeeping overhead = breachdesk rate / ledger rate - 1, 2 processes.

Usage (a dedicated, throwaway database; PostgreSQL as in production):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_emails python bench/bench_emails.py [--emails 6000]
        [--sink aiosmtpd|postfix|both]
Results go to stdout and bench/out/emails.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
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


POSTFIX_DIR = ROOT / "var" / "bench" / "postfix"


def _postfix_sink() -> tuple[str, dict[str, str]] | None:
    """Postfix's smtp-sink and the environment it runs in: installed, or unpacked from Debian's package."""
    installed = shutil.which("smtp-sink") or ("/usr/sbin/smtp-sink" if Path("/usr/sbin/smtp-sink").exists() else None)
    if installed:
        return installed, dict(os.environ)
    binary = POSTFIX_DIR / "usr" / "sbin" / "smtp-sink"
    if not binary.exists():
        if not (shutil.which("apt-get") and shutil.which("dpkg")):
            return None
        download = POSTFIX_DIR.parent / "deb"
        download.mkdir(parents=True, exist_ok=True)
        fetched = subprocess.run(["apt-get", "download", "postfix"], cwd=download, capture_output=True, check=False)
        packages = sorted(download.glob("postfix_*.deb"))
        if fetched.returncode != 0 or not packages:
            return None
        subprocess.run(["dpkg", "-x", str(packages[-1]), str(POSTFIX_DIR)], check=True)
    environment = dict(os.environ, LD_LIBRARY_PATH=str(POSTFIX_DIR / "usr" / "lib" / "postfix"))
    return str(binary), environment


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _smtp_server(port: int, sink: str = "aiosmtpd") -> subprocess.Popen[bytes]:
    if sink == "postfix":
        found = _postfix_sink()
        assert found is not None
        binary, environment = found
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        command = [binary, *user, f"127.0.0.1:{port}", "256"]
    else:
        command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
        environment = dict(os.environ)
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
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
    from collections import Counter

    from breachdesk.exposure_summary import add_exposure_sets, canonical
    from breachdesk.models import BreachFile, DataSubject, Incident, Organisation
    from breachdesk.synthetic import PLACES, person
    from notifications.services import campaigns

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
        data.exposures = list(exposures)
        subject = DataSubject(breach_file=breach_file, language=language)
        subject.personal = data
        subjects.append(subject)
    DataSubject.objects.bulk_create(subjects, batch_size=2000)
    add_exposure_sets(breach_file_id=breach_file.pk, counts=Counter(canonical(s.exposures) for s in subjects))
    inform_everyone(breach_file)
    started = time.perf_counter()
    campaigns.launch_campaign(breach_file=breach_file, user=None, channels="email")
    return breach_file.pk, time.perf_counter() - started


def inform_everyone(breach_file: Any) -> None:
    """Assess the risk and decide to inform every data subject, whatever their level (bench_launch's too)."""
    from breachdesk import assessment

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


def _ledger_worker(arguments: tuple[int, int]) -> dict[str, Any]:
    campaign_id, port = arguments
    _setup_django(port)
    from django.db import connection

    from notifications import delivery
    from notifications.services import sending

    connection.ensure_connection()
    with delivery.SenderPool() as pool:
        started = time.perf_counter()
        counts = sending.send_notice_emails(campaign_id=campaign_id, pool=pool)
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "sent": int(sum(counts.values()))}


STOCK_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _bare_worker(arguments: tuple[int, int, int, int, str]) -> dict[str, Any]:
    """Decrypt, build and send each person's message with no bookkeeping, one connection per pool thread.

    naive: Django builds and serialises every message and its stock SMTP backend sends it;
    breachdesk: the composer's template bytes and BreachDesk's backend (pipelining when offered).
    """
    breach_file_id, port, part, parts, mode = arguments
    _setup_django(port)
    from breachdesk.models import DataSubject
    from notifications.delivery import LEDGER_SMTP_BACKEND, SenderPool
    from notifications.emails import Composer
    from notifications.models import Campaign, Notice

    campaign = Campaign.objects.select_related("breach_file__controller", "breach_file__incident").get(
        breach_file_id=breach_file_id
    )
    composer = Composer(campaign)
    subjects = list(
        DataSubject.objects.filter(breach_file_id=breach_file_id)
        .order_by("pk")
        .only("pk", "personal_token", "language")
    )[part::parts]
    backend = STOCK_BACKEND if mode == "naive" else LEDGER_SMTP_BACKEND
    with SenderPool(backend=backend) as pool:
        started = time.perf_counter()
        messages = []
        for subject in subjects:
            notice = Notice(pk=subject.pk, reference=f"B-{subject.pk}", language=subject.language, subject=subject)
            message = composer.message(notice)
            if mode == "naive":
                message._rendered = None  # type: ignore[attr-defined]
            messages.append((subject.pk, message))
            if len(messages) == 100:
                pool.send(messages)
                messages = []
        if messages:
            pool.send(messages)
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "sent": len(subjects)}


def _rate(results: list[dict[str, Any]]) -> dict[str, Any]:
    sent = sum(result["sent"] for result in results)
    seconds = max(result["seconds"] for result in results)
    return {"emails": sent, "seconds": round(seconds, 2), "emails_per_second": round(sent / seconds, 1)}


VARIANTS = (
    "naive_1_process",
    "naive_2_processes",
    "breachdesk_1_process",
    "breachdesk_2_processes",
    "ledger_1_process",
    "ledger_2_processes",
)


def _measure(sink: str, emails: int, context: Any) -> dict[str, Any]:
    """Every variant against one server, each on its own breach file; the server's CPU per message too."""
    from notifications.models import Campaign, Notice

    port = _free_port()
    server = _smtp_server(port, sink)
    result: dict[str, Any] = {}
    try:
        bare_file, launch_seconds = _prepare(emails, f"{sink}-bare")
        result["launch"] = {
            "rows": emails,
            "seconds": round(launch_seconds, 2),
            "rows_per_second": round(emails / launch_seconds, 1),
        }
        for mode in ("naive", "breachdesk"):
            with context.Pool(1) as workers:
                result[f"{mode}_1_process"] = _rate(workers.map(_bare_worker, [(bare_file, port, 0, 1, mode)]))
            with context.Pool(2) as workers:
                result[f"{mode}_2_processes"] = _rate(
                    workers.map(_bare_worker, [(bare_file, port, i, 2, mode) for i in range(2)])
                )

        one_file, _seconds = _prepare(emails, f"{sink}-one")
        campaign_one = Campaign.objects.get(breach_file_id=one_file).pk
        with context.Pool(1) as workers:
            result["ledger_1_process"] = _rate(workers.map(_ledger_worker, [(campaign_one, port)]))
        two_file, _seconds = _prepare(emails, f"{sink}-two")
        campaign_two = Campaign.objects.get(breach_file_id=two_file).pk
        server_cpu = _process_cpu(server.pid)
        with context.Pool(2) as workers:
            result["ledger_2_processes"] = _rate(workers.map(_ledger_worker, [(campaign_two, port)] * 2))
        result["server_cpu_ms_per_email"] = round(1000 * (_process_cpu(server.pid) - server_cpu) / emails, 3)
        sent = Notice.objects.filter(campaign_id=campaign_two, state="sent").count()
        result["ledger_2_processes"]["rows_sent"] = sent
        result["overhead_percent_2_processes"] = round(
            100
            * (
                result["breachdesk_2_processes"]["emails_per_second"]
                / result["ledger_2_processes"]["emails_per_second"]
                - 1
            ),
            1,
        )
        result["ledger_2_processes_over_naive_2_processes"] = round(
            result["ledger_2_processes"]["emails_per_second"] / result["naive_2_processes"]["emails_per_second"], 2
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=6000)
    parser.add_argument("--sink", choices=("aiosmtpd", "postfix", "both"), default="both")
    options, _unknown = parser.parse_known_args(argv)
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        print("  skipped: set DATABASE_URL to a throwaway PostgreSQL database (see the module's docstring)")
        return 0
    sinks = ["aiosmtpd", "postfix"] if options.sink == "both" else [options.sink]
    if "postfix" in sinks and _postfix_sink() is None:
        print("  Postfix's smtp-sink is not available (no apt-get/dpkg or no network): measuring aiosmtpd only")
        sinks.remove("postfix")
    if not sinks:
        return 1
    _setup_django(_free_port())
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    context = multiprocessing.get_context("spawn")
    result: dict[str, Any] = {"connections_per_process": CONNECTIONS, "cpu_count": os.cpu_count()}
    for sink in sinks:
        result[sink] = _measure(sink, options.emails, context)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "emails.json").write_text(json.dumps(result, indent=2))
    ok = True
    for sink in sinks:
        measured = result[sink]
        print(f"  server: {sink} ({measured['server_cpu_ms_per_email']} ms of its own CPU per email)")
        print(f"    launch (ledger rows): {measured['launch']['rows_per_second']} rows/s")
        for name in VARIANTS:
            row = measured[name]
            print(f"    {name:28} {row['emails_per_second']:>8} emails/s ({row['emails']} in {row['seconds']} s)")
        print(f"    bookkeeping overhead on 2 processes: {measured['overhead_percent_2_processes']} % (target < 20 %)")
        print(f"    ledger / naive loop, 2 processes: {measured['ledger_2_processes_over_naive_2_processes']} x")
        ok = ok and measured["ledger_2_processes"]["rows_sent"] == options.emails
    best = max(result[sink]["ledger_2_processes"]["emails_per_second"] for sink in sinks)
    return 0 if ok and best >= 1000 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
