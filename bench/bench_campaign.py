"""Benchmark the whole 2021 case end to end: 27 lab files imported, assessed, decided, launched, printed and emailed.

One flow through the product's own services, on PostgreSQL + Redis + real Celery worker processes + Postfix's
`smtp-sink` (C, discards what it receives; it stands for the relay on another host):
1. import: the 27 lab files (bench_import's generator, breachdesk/synthetic.py's names and NIRs) are staged as
   uploads by this process (the web request's part) and imported by the workers through the import task;
2. decide: per lab, the risk assessed and the decisions recorded (notify the CNIL, inform every data subject, who
   is told about minors of 15 to 17) through the services the pages call;
3. launch: each lab's campaign, post and email, through `notifications.services.campaigns.launch_campaign` (the
   service the page calls: the bench follows whatever the launch becomes, inline or a task), which wakes the workers;
4. letters and emails: the workers render every print batch and send every email; the bench stops when the ledger
   says every letter is ready to print and every email has its outcome.
It prints each phase's wall time (from the ledger's own timestamps), the overlap, the total, rows/s, the peak
memory (VmHWM) of this process and of each worker, PostgreSQL's CPU, and, side by side, the naive estimate: the
naive WeasyPrint renderer (one document per letter) and the naive Django email loop, measured in the same run on a
sample and scaled to the run's letters and emails. Exit 1 when the target is missed: the 2021 case (491,840
people) in under 15 minutes with every worker under 300 MB (a larger run: 15 minutes scaled linearly). A smaller run
is judged on memory only and prints its time per 100,000 people: its fixed costs (the workers' start, each lab's
letter masters) make a linearly scaled time meaningless (27 labs' masters alone are ~20 s at any size).

The database is dropped and created again at each run: give a dedicated one (its name must contain "bench").
    python bench/bench_campaign.py [--people 5000] [--labs 27] [--workers 2]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_campaign] [--redis-url redis://127.0.0.1:6379/11]
Results go to stdout and bench/out/campaign.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import bench_emails  # noqa: E402
import bench_import  # noqa: E402
import bench_letters  # noqa: E402

CASE_PEOPLE = 491_840
# The targets for the 2021 case on this 2-core machine.
TARGET_SECONDS = 15 * 60
TARGET_WORKER_MB = 300
INCIDENT = "BENCH-CAMPAIGN"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_campaign"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
CHILD_FLAG = "BENCH_CAMPAIGN_CHILD"
# Seconds without any progress in the ledger after which the run is declared stalled.
STALL_SECONDS = 300
NAIVE_LETTERS = 12
NAIVE_EMAILS = 300


def _recreate_database(url: str) -> None:
    """Drop and create the bench's database (its name must say it is a bench's)."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    if "bench" not in name:
        raise SystemExit(f"bench_campaign: refusing to drop database {name!r}: its name must contain 'bench'")
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _postgres_answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=3).ping())
    except redis.RedisError:
        return False


def _vm_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _start_workers(count: int, environment: dict[str, str], queue: str) -> list[subprocess.Popen[bytes]]:
    """Start `count` Celery workers, one process each (solo pool), so each pid's VmHWM is one worker's peak."""
    logs = OUT / "campaign-workers"
    logs.mkdir(parents=True, exist_ok=True)
    workers = []
    for number in range(count):
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "breachdesk",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-n",
            f"bench{number}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ]
        log = (logs / f"worker-{number}.log").open("wb")
        workers.append(subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT))
    return workers


def _start_beat(environment: dict[str, str]) -> subprocess.Popen[bytes]:
    logs = OUT / "campaign-workers"
    logs.mkdir(parents=True, exist_ok=True)
    schedule = logs / "celerybeat-schedule"
    schedule.unlink(missing_ok=True)
    command = [sys.executable, "-m", "celery", "-A", "breachdesk", "beat", "-s", str(schedule), "--loglevel=WARNING"]
    log = (logs / "beat.log").open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)


def _stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


# (seconds since the bench started waiting, phase, each worker's resident memory in MB), every MEMORY_EVERY seconds.
MEMORY_TIMELINE: list[tuple[float, str, list[int]]] = []
MEMORY_EVERY = 5.0


def _sample_memory(what: str, workers: list[subprocess.Popen[bytes]], started: float) -> None:
    if not MEMORY_TIMELINE or time.time() - started - MEMORY_TIMELINE[-1][0] >= MEMORY_EVERY:
        rss = [round(_vm_kb(worker.pid, "VmRSS") / 1024) for worker in workers]
        MEMORY_TIMELINE.append((round(time.time() - started, 1), what, rss))


def _wait(what: str, is_done: Any, progress: Any, workers: list[subprocess.Popen[bytes]], started: float) -> float:
    """Poll until is_done(); fail when a worker died or nothing moved for STALL_SECONDS. Return the time it ended."""
    last, last_change = None, time.time()
    while True:
        _sample_memory(what, workers, started)
        if is_done():
            return time.time()
        dead = [worker.pid for worker in workers if worker.poll() is not None]
        if dead:
            raise RuntimeError(f"{what}: worker(s) {dead} stopped (see bench/out/campaign-workers/)")
        now_progress = progress()
        if now_progress != last:
            last, last_change = now_progress, time.time()
        elif time.time() - last_change > STALL_SECONDS:
            raise RuntimeError(f"{what}: no progress for {STALL_SECONDS} s ({now_progress})")
        time.sleep(0.25)


def _import_phase(paths: list[Path], labs: int) -> tuple[dict[str, Any], list[int]]:
    """Stage each lab file as its upload and queue the import task, as the import page does."""
    from django.db import transaction

    from breachdesk import tasks
    from breachdesk.importing.services import stage_subject_import
    from breachdesk.models import BreachFile

    breach_file_ids = bench_import._breach_files(INCIDENT, labs)
    staged_ids = []
    for breach_file_id, path in zip(breach_file_ids, paths, strict=True):
        breach_file = BreachFile.objects.select_related("incident", "controller").get(pk=breach_file_id)
        with transaction.atomic():
            staged = stage_subject_import(
                breach_file=breach_file, upload=bench_import._Upload(path), user=None, original_name=path.name
            )
            tasks.run_subject_import.delay_on_commit(staged.pk)  # type: ignore[attr-defined]
        staged_ids.append(staged.pk)
    return {"staged": staged_ids}, breach_file_ids


def decide(breach_file: Any, user: Any) -> None:
    """Assess and decide for one lab through the services the risk and campaign pages call (bench_pages too)."""
    from breachdesk import assessment
    from breachdesk.models import DecisionKind
    from breachdesk.taxonomy import AdolescentAddressee, SensitiveDetail
    from notifications.services.campaigns import record_letter_choices

    assessment.assess_risk(
        breach_file=breach_file,
        user=user,
        exposures=assessment.default_exposures(breach_file),
        identification="maximum",
        confidentiality="unknown_recipients",
        integrity="none",
        availability="none",
        is_malicious=True,
    )
    assessment.record_decision(
        breach_file=breach_file,
        user=user,
        kind=DecisionKind.NOTIFY_AUTHORITY,
        outcome="notify",
        rationale="Données de santé et NIR publiés : risque très élevé.",
    )
    assessment.record_decision(
        breach_file=breach_file,
        user=user,
        kind=DecisionKind.INFORM_SUBJECTS,
        outcome="inform",
        levels=["low", "medium", "high", "very_high"],
        rationale="Données de santé publiées : chaque patient est informé (EDPB 9/2022 § 102).",
        override_rationale="Chaque patient est informé, quel que soit son niveau.",
    )
    record_letter_choices(
        breach_file=breach_file,
        adolescent_addressee=AdolescentAddressee.BOTH,
        reason="Mineurs de 15 à 17 ans : informés, et leurs parents aussi.",
        sensitive_detail=SensitiveDetail.OMIT,
        user=user,
    )


def _decide_phase(breach_file_ids: list[int]) -> None:
    """Assess and decide for each lab, as the system (no user)."""
    from breachdesk.models import BreachFile

    for breach_file in BreachFile.objects.filter(pk__in=breach_file_ids).select_related("controller"):
        decide(breach_file, None)


def _launch_phase(breach_file_ids: list[int]) -> dict[str, int]:
    from breachdesk.models import BreachFile
    from notifications.services.campaigns import launch_campaign

    created = {"post": 0, "email": 0}
    for breach_file in BreachFile.objects.filter(pk__in=breach_file_ids).select_related("controller", "incident"):
        result = launch_campaign(breach_file=breach_file, user=None, channels="post,email")
        for channel in created:
            created[channel] += result.created.get(channel, 0)
    return created


BUSY_STATES = ("pending", "rendering", "sending")


def _ledger_counts(breach_file_ids: list[int]) -> dict[str, int]:
    from django.db.models import Count

    from notifications.models import Notice

    rows = (
        Notice.objects.filter(breach_file_id__in=breach_file_ids)
        .values_list("channel", "state")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {f"{channel}:{state}": count for channel, state, count in rows}


def _campaigns_populated(breach_file_ids: list[int]) -> bool:
    from notifications.models import Campaign

    campaigns = Campaign.objects.filter(breach_file_id__in=breach_file_ids)
    return campaigns.count() == len(breach_file_ids) and not campaigns.filter(populated_at__isnull=True).exists()


def _channels_settled(breach_file_ids: list[int], finished: dict[str, float]) -> bool:
    """Note when each channel is done (no letter waiting or being rendered; no email waiting or being sent) once
    every lab's campaign is populated; True when both are. A batch's ready time is stamped when its rendering
    starts, so the end of the letters is the moment the bench sees the last batch stored."""
    from notifications.models import Campaign, Notice, PrintBatch

    if not _campaigns_populated(breach_file_ids):
        return False
    campaigns = Campaign.objects.filter(breach_file_id__in=breach_file_ids)
    busy = set(
        Notice.objects.filter(breach_file_id__in=breach_file_ids, state__in=BUSY_STATES)
        .values_list("channel", flat=True)
        .distinct()
    )
    if PrintBatch.objects.filter(campaign__in=campaigns, state=PrintBatch.State.RENDERING).exists():
        busy.add("post")
    for channel in ("post", "email"):
        if channel not in busy and channel not in finished:
            finished[channel] = time.time()
    return not busy


def _delivery_spans(
    breach_file_ids: list[int], origin: float, finished: dict[str, float]
) -> dict[str, tuple[float, float] | None]:
    """When the workers rendered letters and sent emails: from the first claimed batch and the first email sent
    (the ledger's timestamps) to when the bench saw each channel done."""
    from django.db.models import Max, Min

    from notifications.models import Notice, PrintBatch

    batches = PrintBatch.objects.filter(campaign__breach_file_id__in=breach_file_ids).aggregate(first=Min("claimed_at"))
    emails = Notice.objects.filter(breach_file_id__in=breach_file_ids, channel="email").aggregate(
        first=Min("sent_at"), last=Max("state_changed_at")
    )
    spans: dict[str, tuple[float, float] | None] = {"letters": None, "emails": None}
    if batches["first"] is not None:
        spans["letters"] = (batches["first"].timestamp() - origin, finished["post"] - origin)
    if emails["first"] is not None:
        # An email's outcome is stamped when it is recorded, which is when it ended.
        spans["emails"] = (
            emails["first"].timestamp() - origin,
            min(emails["last"].timestamp(), finished["email"]) - origin,
        )
    return spans


def _overlap(spans: dict[str, tuple[float, float]]) -> float:
    """Seconds during which two phases or more ran at once: the sum of the phases less the time they covered."""
    intervals = sorted(spans.values())
    covered, current_start, current_end = 0.0, None, None
    for start, end in intervals:
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                covered += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        covered += current_end - current_start
    return sum(end - start for start, end in intervals) - covered


def _naive_emails(arguments: tuple[int, int, int]) -> dict[str, Any]:
    """The naive Django loop on a sample: decrypt, Django builds and serialises each message, stock SMTP backend."""
    breach_file_id, port, count = arguments
    bench_emails._setup_django(port)
    from notifications.delivery import SenderPool
    from notifications.emails import Composer
    from notifications.models import Campaign, Notice

    campaign = Campaign.objects.select_related("breach_file__controller", "breach_file__incident").get(
        breach_file_id=breach_file_id
    )
    composer = Composer(campaign)
    notices = list(
        Notice.objects.filter(campaign=campaign, channel="email").select_related("subject").order_by("pk")[:count]
    )
    with SenderPool(backend=bench_emails.STOCK_BACKEND) as pool:
        started = time.perf_counter()
        messages = []
        for notice in notices:
            bare = Notice(pk=notice.pk, reference=notice.reference, language=notice.language, subject=notice.subject)
            message = composer.message(bare)
            message._rendered = None  # type: ignore[attr-defined]
            messages.append((notice.pk, message))
            if len(messages) == 100:
                pool.send(messages)
                messages = []
        if messages:
            pool.send(messages)
        seconds = time.perf_counter() - started
    return {"emails": len(notices), "seconds": seconds}


def _naive_estimates(
    breach_file_id: int, port: int, letters: int, emails: int, workers: int, context: Any
) -> dict[str, Any]:
    """Measure the naive twins on a sample, one process each, and scale them to this run's letters and emails."""
    with context.Pool(1) as pool:
        letter_sample = pool.map(bench_letters._naive_worker, [(NAIVE_LETTERS, 0)])[0]
    with context.Pool(1) as pool:
        email_sample = pool.map(_naive_emails, [(breach_file_id, port, NAIVE_EMAILS)])[0]
    letter_seconds = letter_sample["seconds"] / letter_sample["letters"]
    email_seconds = email_sample["seconds"] / max(email_sample["emails"], 1)
    return {
        "letter_sample": letter_sample["letters"],
        "ms_per_letter": round(1000 * letter_seconds, 1),
        "email_sample": email_sample["emails"],
        "ms_per_email": round(1000 * email_seconds, 2),
        # Spread over the same workers, perfectly parallel: the naive estimate's best case.
        "letters_seconds": round(letters * letter_seconds / workers, 1),
        "emails_seconds": round(emails * email_seconds / workers, 1),
    }


def _run(options: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from breachdesk.models import SubjectImport

    call_command("migrate", verbosity=0)
    generated = time.perf_counter()
    paths = bench_import._generate(options.people, options.labs, OUT / f"import-{options.people}-{options.labs}")
    print(f"  {options.labs} lab files, {options.people} people, ready in {time.perf_counter() - generated:.1f} s")
    port = bench_emails._free_port()
    sink = bench_emails._smtp_server(port, "postfix")
    environment = dict(os.environ, EMAIL_URL=f"smtp://127.0.0.1:{port}")
    workers = _start_workers(options.workers, environment, settings.CELERY_TASK_DEFAULT_QUEUE)
    # Celery beat, as in production: its sweep takes back what a stopped worker left (measured with the rest).
    beat = _start_beat(environment)
    context = multiprocessing.get_context("spawn")
    result: dict[str, Any] = {"people": options.people, "labs": options.labs, "workers": options.workers}
    try:
        probe_before = bench_import._machine_probe_ms()
        load_before = os.getloadavg()[0]
        postgres_before = bench_import._postgres_cpu_seconds()
        origin = time.time()
        staged, breach_file_ids = _import_phase(paths, options.labs)
        staged_at = time.time()
        imports = SubjectImport.objects.filter(pk__in=staged["staged"])
        finished = (SubjectImport.State.PENDING, SubjectImport.State.RUNNING)
        imported_at = _wait(
            "import",
            lambda: not imports.filter(state__in=finished).exists(),
            lambda: list(imports.values_list("state", "rows_stored")),
            workers,
            origin,
        )
        states = sorted(set(imports.values_list("state", flat=True)))
        rows = sum(imports.values_list("rows_stored", flat=True))
        if states != [SubjectImport.State.IMPORTED]:
            print(f"  bench_campaign: imports ended {states}")
            return 1
        _decide_phase(breach_file_ids)
        decided_at = time.time()
        created = _launch_phase(breach_file_ids)
        # Launched in the page's request today; once the launch is a task, done when every ledger is filled.
        launched_at = _wait(
            "launch",
            lambda: _campaigns_populated(breach_file_ids),
            lambda: _ledger_counts(breach_file_ids),
            workers,
            origin,
        )
        connection.close()
        finished: dict[str, float] = {}
        done_at = _wait(
            "letters and emails",
            lambda: _channels_settled(breach_file_ids, finished),
            lambda: _ledger_counts(breach_file_ids),
            workers,
            origin,
        )
        peaks_mb = [_vm_kb(worker.pid, "VmHWM") / 1024 for worker in workers]
        postgres_after = bench_import._postgres_cpu_seconds()
        load_after = os.getloadavg()[0]
        probe_after = bench_import._machine_probe_ms()
        counts = _ledger_counts(breach_file_ids)
        spans = {
            "import": (0.0, imported_at - origin),
            "decide": (imported_at - origin, decided_at - origin),
            "launch": (decided_at - origin, launched_at - origin),
        }
        for name, span in _delivery_spans(breach_file_ids, origin, finished).items():
            if span is not None:
                spans[name] = span
        # From the first file staged to when the bench saw the last letter stored and the last email's outcome.
        total = done_at - origin
        letters = sum(count for key, count in counts.items() if key.startswith("post:"))
        emails = sum(count for key, count in counts.items() if key.startswith("email:"))
        naive = _naive_estimates(breach_file_ids[0], port, letters, emails, options.workers, context)
    finally:
        _stop_workers([*workers, beat])
        sink.terminate()
        sink.wait(timeout=10)
    scale = options.people / CASE_PEOPLE
    target = TARGET_SECONDS * scale
    naive_total = spans["import"][1] + (spans["launch"][1] - spans["decide"][0]) + naive["letters_seconds"]
    naive_total += naive["emails_seconds"]
    result.update(
        {
            "machine_probe_ms": [round(probe_before), round(probe_after)],
            "load_average": [round(load_before, 1), round(load_after, 1)],
            "staging_seconds": round(staged_at - origin, 1),
            "rows": rows,
            "notices": counts,
            "created_by_launch": created,
            "letters": letters,
            "emails": emails,
            "phases": {name: [round(start, 1), round(end, 1)] for name, (start, end) in spans.items()},
            "overlap_seconds": round(_overlap(spans), 1),
            "total_seconds": round(total, 1),
            "seconds_per_100000_people": round(total * 100_000 / options.people, 1),
            "peak_rss_mb_workers": [round(peak) for peak in peaks_mb],
            "peak_rss_mb_bench_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "postgres_cpu_seconds": (
                round(postgres_after - postgres_before, 1)
                if postgres_before is not None and postgres_after is not None
                else None
            ),
            "naive": naive,
            "naive_total_seconds": round(naive_total, 1),
            "memory_timeline": MEMORY_TIMELINE,
            "target_seconds": round(target, 1),
        }
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "campaign.json").write_text(json.dumps(result, indent=2))
    _print(result, spans, scale)
    missed = (options.people >= CASE_PEOPLE and total > target) or max(peaks_mb) > TARGET_WORKER_MB
    return 1 if missed else 0


def _print(result: dict[str, Any], spans: dict[str, tuple[float, float]], scale: float) -> None:
    rates = {
        "import": (result["rows"], "rows"),
        "launch": (result["letters"] + result["emails"], "notices"),
        "letters": (result["letters"], "letters"),
        "emails": (result["emails"], "emails"),
    }
    naive = result["naive"]
    naive_seconds = {"letters": naive["letters_seconds"], "emails": naive["emails_seconds"]}
    print(
        f"  machine probe {result['machine_probe_ms'][0]} -> {result['machine_probe_ms'][1]} ms, load average "
        f"{result['load_average'][0]} -> {result['load_average'][1]}, {result['workers']} workers, {os.cpu_count()} CPUs"
    )
    print(f"  {'phase':8} {'from':>8} {'to':>8} {'wall':>8}  {'rate':>22}  naive estimate")
    for name, (start, end) in spans.items():
        count, unit = rates.get(name, (0, ""))
        rate = f"{count / (end - start):,.0f} {unit}/s" if count and end > start else ""
        estimate = f"{naive_seconds[name]:.1f} s" if name in naive_seconds else ""
        print(f"  {name:8} {start:7.1f}s {end:7.1f}s {end - start:7.1f}s  {rate:>22}  {estimate}")
    print(f"  (import includes {result['staging_seconds']} s of staging the uploads in the bench process)")
    print(
        f"  naive twins on a sample, 1 process: {naive['ms_per_letter']} ms/letter ({naive['letter_sample']} letters), "
        f"{naive['ms_per_email']} ms/email ({naive['email_sample']} emails), scaled to this run over the workers"
    )
    print(
        f"  overlap {result['overlap_seconds']} s; total {result['total_seconds']} s for {result['rows']} people, "
        f"{result['letters']} letters, {result['emails']} emails ({result['seconds_per_100000_people'] / 60:.1f} min "
        f"per 100,000 people); naive estimate {result['naive_total_seconds']} s"
    )
    peaks = []
    for index in range(result["workers"]):
        at, phase, rss = max(result["memory_timeline"], key=lambda sample: sample[2][index], default=(0, "", [0]))
        peaks.append(f"worker {index}: {rss[index]} MB at {at} s ({phase})")
    print(f"  largest resident memory sampled every {MEMORY_EVERY:.0f} s: {'; '.join(peaks)}")
    print(
        f"  peak RSS (VmHWM): workers {result['peak_rss_mb_workers']} MB, bench process "
        f"{result['peak_rss_mb_bench_process']} MB; PostgreSQL CPU {result['postgres_cpu_seconds']} s"
    )
    memory_met = max(result["peak_rss_mb_workers"]) <= TARGET_WORKER_MB
    if result["people"] < CASE_PEOPLE:
        print(
            f"  target: every worker under {TARGET_WORKER_MB} MB: {'met' if memory_met else 'MISSED'}; the time target "
            f"(15 min) is for {CASE_PEOPLE:,} people or more (this run: "
            f"{result['seconds_per_100000_people'] / 60:.1f} min per 100,000 people)"
        )
        return
    scaled = "" if scale == 1 else f" (15 min scaled linearly to {result['people']} people)"
    verdict = "met" if result["total_seconds"] <= result["target_seconds"] and memory_met else "MISSED"
    print(f"  target: under {result['target_seconds']} s{scaled}, every worker under {TARGET_WORKER_MB} MB: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000, help=f"people in all (the 2021 case: {CASE_PEOPLE})")
    parser.add_argument("--labs", type=int, default=27)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_CAMPAIGN_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_CAMPAIGN_REDIS_URL", DEFAULT_REDIS_URL))
    options, _unknown = parser.parse_known_args(argv)
    if os.environ.get(CHILD_FLAG) != "1":
        # Its own process: the database, broker and mail settings must not leak into the other benchmarks.
        if not _postgres_answers(options.database_url):
            print(f"  skipped: PostgreSQL does not answer at {options.database_url.rsplit('@', 1)[-1]}")
            return 0
        if not _redis_answers(options.redis_url):
            print(f"  skipped: Redis does not answer at {options.redis_url}")
            return 0
        if bench_emails._postfix_sink() is None:
            print("  skipped: Postfix's smtp-sink is not available (make bench installs postfix)")
            return 0
        _recreate_database(options.database_url)
        private = ROOT / "var" / "bench" / "campaign-private"
        shutil.rmtree(private, ignore_errors=True)
        environment = dict(
            os.environ,
            **{
                CHILD_FLAG: "1",
                "DJANGO_SETTINGS_MODULE": "breachdesk.settings",
                "DEBUG": "false",
                "DATABASE_URL": options.database_url,
                "CELERY_BROKER_URL": options.redis_url,
                "REDIS_URL": options.redis_url,
                # Its own queue and key prefix on that Redis: tasks left by an earlier run are never taken.
                "BREACHDESK_INSTALLATION": f"bench-campaign-{os.getpid()}",
                "BREACHDESK_PRIVATE_DIR": str(private),
                "CELERY_TASK_ALWAYS_EAGER": "false",
            },
        )
        print(f"bench_campaign: {options.people} people, {options.labs} labs, {options.workers} workers", flush=True)
        return subprocess.run([sys.executable, __file__, *(argv or [])], env=environment, check=False).returncode
    import django

    django.setup()
    random.seed(2021)
    return _run(options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
