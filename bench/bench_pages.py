"""Benchmark the web pages and exports of one big breach file: every list a person opens, timed in its database.

One breach file of --people persons in one lab, built through the product's own services: bench_import's generator
writes the lab file, the import service stages and imports it (the import task's function, called inline), the risk
is assessed and the decisions recorded as bench_campaign does, the campaign is launched by post and email
(`launch_campaign`, which fills the ledger inline), three print batches are rendered for real, and a few updates
give the ledger the variety of a campaign under way (emails sent, unknown, bounced, refused; letters posted in
batches, some returned; some still pending), with a few hundred audit entries beside those the product wrote.
Then Django's test client, signed in as the lab's DPO (the compliance officer, the mailroom operator or an admin
where only they see the page), opens every list and export: warmed up once, then 5 GETs each (median and max of
the wall time with the whole rendering, SQL queries, bytes); a streamed export is read to its end, with the time to
its first chunk and the growth of the process's peak resident memory while producing it (VmHWM, reset before each read).

The database is dropped and created again at each run unless --reuse finds it holding this size's data: give a
dedicated one (its name must contain "bench").
    python bench/bench_pages.py [--people 20000] [--database-url postgres://postgres@127.0.0.1:5432/bench_pages]
        [--reuse]
Results go to stdout and bench/out/pages.json; exit 1 when a page's median is over 300 ms or an export of the
breach file's persons or notices is not streamed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import bench_import  # noqa: E402

CASE_PEOPLE = 491_840
TARGET_MS = 300
RUNS = 5
# An export of the whole ledger decrypts every person: read three times, without a warm-up.
EXPORT_RUNS = 3
# A page slower than this is timed once more only (an export: once), and no statement may run longer than
# STATEMENT_TIMEOUT: a page that never answers is recorded as failed instead of stopping the run.
SLOW_SECONDS = 10
STATEMENT_TIMEOUT = "20s"
INCIDENT = "BENCH-PAGES"
LAB = "BENCH-PAGES-LAB"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_pages"
CHILD_FLAG = "BENCH_PAGES_CHILD"
AUDIT_ENTRIES = 500
# Per mille of the email notices in each state, by id; the rest stays pending.
EMAIL_STATES = [("sent", 800), ("unknown", 20), ("bounced", 30), ("failed_permanent", 10)]
# Letters: after the real batches, the share posted in batches of 500 and, of those, the share returned.
POSTED_PER_MILLE = 850
RETURNED_PER_MILLE = 10


def _marker(people: int) -> str:
    return f"bench pages {people} ready"


def _database_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def _postgres_answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _holds_data(url: str, people: int) -> bool:
    """Whether the database already holds a finished build of this size (its incident carries the marker)."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as connection:
            row = connection.execute(
                "SELECT title FROM breachdesk_incident WHERE reference = %s", [INCIDENT]
            ).fetchone()
    except psycopg.Error:
        return False
    return row is not None and row[0] == _marker(people)


def _recreate_database(url: str) -> None:
    """Drop and create the bench's database (its name must say it is a bench's)."""
    import psycopg

    name = _database_name(url)
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Actors:
    breach_file: Any
    dpo: Any
    officer: Any
    mailroom: Any
    admin: Any


def _actors() -> Actors:
    from breachdesk.models import BreachFile, Organisation, Role, User

    breach_file = BreachFile.objects.select_related("incident", "controller").get(
        incident__reference=INCIDENT, controller__code=LAB
    )
    lab = breach_file.controller
    users = {
        "dpo": dict(role=Role.DPO, organisation=lab),
        "officer": dict(role=Role.COMPLIANCE_OFFICER, group=lab.group),
        "mailroom": dict(role=Role.MAILROOM, group=lab.group),
        "admin": dict(role=Role.ADMIN),
    }
    made = {}
    for name, fields in users.items():
        made[name], _created = User.objects.get_or_create(username=f"bench.{name}", defaults=fields)
    assert Organisation.objects.filter(group=lab.group).count() >= 1
    return Actors(breach_file=breach_file, **made)


def _organisations() -> Any:
    """The group, its labs (one big, two small ones without persons) and the vendor, and the incident."""
    from django.utils import timezone

    from breachdesk.models import BreachFile, Incident, Organisation, OrganisationGroup
    from breachdesk.synthetic import siret_for

    group, _created = OrganisationGroup.objects.get_or_create(name="Laboratoires du banc d'essai")
    vendor, _created = Organisation.objects.get_or_create(
        code="BENCH-VENDOR",
        defaults={"name": "Éditeur du banc d'essai", "kind": Organisation.Kind.PROCESSOR, "group": group},
    )
    now = timezone.now()
    incident, _created = Incident.objects.get_or_create(
        reference=INCIDENT,
        defaults={
            "title": "bench pages (building)",
            "description": "Un fichier de patients a circulé sur internet.",
            "processor": vendor,
            "processor_became_aware_at": now - timedelta(hours=30),
        },
    )
    breach_files = []
    for number, code in enumerate([LAB, "BENCH-PAGES-SMALL-1", "BENCH-PAGES-SMALL-2"]):
        organisation, _created = Organisation.objects.get_or_create(
            code=code,
            defaults={
                "name": f"Laboratoire du banc d'essai {number}",
                "group": group,
                "siret": siret_for(number + 1),
                "dpo_name": "Claire Delegue",
                "dpo_email": f"dpo{number}@example.org",
                "signatory_name": "Claire Delegue",
                "signatory_title": "Déléguée à la protection des données",
            },
        )
        breach_file, _created = BreachFile.objects.get_or_create(
            incident=incident,
            controller=organisation,
            defaults={
                "became_aware_at": now - timedelta(hours=10 + number),
                "natures": ["confidentiality"],
                "origin": "hacking",
                "cause": "external_malicious",
                "person_categories": ["patients"],
            },
        )
        breach_files.append(breach_file)
    return incident, breach_files[0]


def _build(people: int) -> dict[str, float]:
    """Build the breach file through the product's services; return each step's seconds."""
    from django.db import connection, transaction

    from breachdesk.importing.services import process_subject_import, stage_subject_import
    from breachdesk.models import SubjectImport
    from notifications.models import Campaign
    from notifications.services.campaigns import launch_campaign

    steps: dict[str, float] = {}
    started = time.perf_counter()
    paths = bench_import._generate(people, 1, OUT / f"pages-import-{people}")
    steps["generate"] = time.perf_counter() - started
    incident, breach_file = _organisations()
    actors = _actors()
    started = time.perf_counter()
    with transaction.atomic():
        staged = stage_subject_import(
            breach_file=breach_file, upload=bench_import._Upload(paths[0]), user=actors.dpo, original_name="lab.csv"
        )
    subject_import = process_subject_import(subject_import_id=staged.pk)
    if subject_import.state != SubjectImport.State.IMPORTED:
        raise RuntimeError(f"bench_pages: the import ended {subject_import.state}")
    steps["import"] = time.perf_counter() - started
    started = time.perf_counter()
    _decide(breach_file, actors.dpo)
    steps["decide"] = time.perf_counter() - started
    started = time.perf_counter()
    breach_file.refresh_from_db()
    launch_campaign(breach_file=breach_file, user=actors.dpo, channels="post,email")
    steps["launch"] = time.perf_counter() - started
    campaign = Campaign.objects.get(breach_file=breach_file)
    started = time.perf_counter()
    _vary_ledger(campaign)
    steps["ledger_variety"] = time.perf_counter() - started
    started = time.perf_counter()
    _audit_entries(actors)
    steps["audit"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        # What autovacuum does soon after such writes: statistics, and the visibility map index-only scans need.
        cursor.execute("VACUUM ANALYZE")
    incident.title = _marker(people)
    incident.save(update_fields=["title"])
    return steps


def _decide(breach_file: Any, user: Any) -> None:
    """Assess and decide as the lab's DPO: bench_campaign's decisions, by a person rather than by the system."""
    import bench_campaign

    bench_campaign.decide(breach_file, user)


def _vary_ledger(campaign: Any) -> None:
    """Three print batches rendered for real, then the states of a campaign under way, by SQL over ids."""
    from django.db import connection
    from django.utils import timezone

    from notifications.models import NoticeEvent
    from notifications.services import mailroom

    real = mailroom.build_print_batches(campaign_id=campaign.pk, limit=3)
    if real:
        mailroom.mark_batch_printed(batch=real[0], user=None)
    now = timezone.now()
    with connection.cursor() as cursor:
        low = 0
        for state, share in EMAIL_STATES:
            times = {
                "sent": "sent_at = %(now)s",
                "unknown": "handed_at = %(now)s",
                "bounced": "sent_at = %(now)s, bounced_at = %(now)s, last_error = 'bounce:5.1.1'",
                "failed_permanent": "failed_at = %(now)s, last_error = 'smtp:550'",
            }[state]
            cursor.execute(
                f"UPDATE notifications_notice SET state = %(state)s, attempts = 1, state_changed_at = %(now)s, {times} "
                "WHERE campaign_id = %(campaign)s AND channel = 'email' AND state = 'pending' "
                "AND id %% 1000 >= %(low)s AND id %% 1000 < %(high)s",
                {"state": state, "now": now, "campaign": campaign.pk, "low": low, "high": low + share},
            )
            low += share
        # The letters still pending, in postcode order, posted by batches of 500 (as the mailroom would have done).
        cursor.execute(
            "SELECT id FROM notifications_notice WHERE campaign_id = %s AND channel = 'post' AND state = 'pending' "
            "AND batch_id IS NULL ORDER BY postcode, id",
            [campaign.pk],
        )
        pending = [row[0] for row in cursor.fetchall()]
        posted = pending[: len(pending) * POSTED_PER_MILLE // 1000]
        cursor.execute(
            "SELECT COALESCE(MAX(number), 0) FROM notifications_printbatch WHERE campaign_id = %s", [campaign.pk]
        )
        number = cursor.fetchone()[0]
        for start in range(0, len(posted), 500):
            number += 1
            ids = posted[start : start + 500]
            cursor.execute(
                "INSERT INTO notifications_printbatch (campaign_id, number, state, letters, pages, postcode_first, "
                "postcode_last, file_path, file_sha256, render_attempts, last_error, created_at, rendered_at, "
                "printed_at, posted_on, posted_at, purged_at) VALUES (%s, %s, 'purged', %s, %s, '', '', '', '', 1, '', "
                "%s, %s, %s, %s, %s, %s) RETURNING id",
                [campaign.pk, number, len(ids), 2 * len(ids), now, now, now, now.date(), now, now],
            )
            batch_id = cursor.fetchone()[0]
            cursor.execute(
                "UPDATE notifications_notice SET batch_id = %s, state = 'posted', pages = 2, ready_at = %s, "
                "printed_at = %s, posted_on = %s, state_changed_at = %s WHERE id = ANY(%s)",
                [batch_id, now, now, now.date(), now, ids],
            )
        cursor.execute(
            "UPDATE notifications_notice SET state = 'returned', returned_at = %s, state_changed_at = %s "
            "WHERE campaign_id = %s AND channel = 'post' AND state = 'posted' AND id %% 1000 < %s",
            [now, now, campaign.pk, RETURNED_PER_MILLE],
        )
    # Each notice of the first persons gets its history, as the workers would have written it.
    events = []
    for notice in campaign.notices.order_by("subject_id")[:200]:
        events.append(NoticeEvent(notice=notice, at=notice.created_at, from_state="", to_state="pending"))
        if notice.state != "pending":
            events.append(NoticeEvent(notice=notice, at=now, from_state="pending", to_state=notice.state))
    NoticeEvent.objects.bulk_create(events)


def _audit_entries(actors: Actors) -> None:
    """A few hundred more entries through the service that records them, as people browsing the file would."""
    from breachdesk.models import AuditEvent, AuditObject
    from breachdesk.services import record_audit

    breach_file = actors.breach_file
    subject_ids = list(breach_file.data_subjects.order_by("pk").values_list("pk", flat=True)[:AUDIT_ENTRIES])
    for number, subject_id in enumerate(subject_ids):
        user = actors.officer if number % 5 == 0 else actors.dpo
        record_audit(
            user=user,
            action=AuditEvent.Action.VIEW,
            object_type=AuditObject.DATA_SUBJECT,
            object_id=subject_id,
            organisation_id=breach_file.controller_id,
        )


@dataclass
class Measure:
    page: str
    url: str
    user: str
    status: int
    median_ms: float
    max_ms: float
    queries: int
    bytes: int
    is_streamed: bool
    first_chunk_ms: float | None = None
    peak_memory_mb: float | None = None
    is_export: bool = False
    must_stream: bool = False
    notes: list[str] = field(default_factory=list)


def _read(response: Any, started: float) -> tuple[int, float | None]:
    """Consume the whole body; return its size and, for a streamed one, the seconds from the request to its first
    chunk (the view's work before the stream starts counts)."""
    if not response.streaming:
        return len(response.content), None
    first = None
    size = 0
    for chunk in response.streaming_content:
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
    response.close()
    return size, first


def _memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak_memory() -> bool:
    """Start the process's VmHWM again from its current resident size (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _measure(
    client: Any,
    page: str,
    url: str,
    user: str,
    *,
    is_export: bool = False,
    must_stream: bool = False,
    before: Callable[[], None] | None = None,
) -> Measure:
    """Warm up once, then time RUNS GETs (an export: EXPORT_RUNS, each with the growth of the process's peak
    resident memory while it is produced and read; tracemalloc's peak where VmHWM cannot be reset)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    runs = EXPORT_RUNS if is_export else RUNS
    if not is_export:
        if before:
            before()
        started = time.perf_counter()
        warm = client.get(url)
        _read(warm, started)
        if warm.status_code != 200:
            runs = 0
        elif time.perf_counter() - started > SLOW_SECONDS:
            runs = 1
    times, firsts, growths = [], [], []
    size, queries = 0, 0
    if runs == 0:
        # The warm-up failed (a statement over the timeout): recorded as it is, not timed again.
        times.append(time.perf_counter() - started)
        response = warm
    for _run in range(runs):
        if before:
            before()
        peak_resets = is_export and _reset_peak_memory()
        resident = _memory_kb("VmRSS")
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            size, first = _read(response, started)
            times.append(time.perf_counter() - started)
        if peak_resets:
            growths.append((_memory_kb("VmHWM") - resident) / 1024)
        queries = len(captured.captured_queries)
        if first is not None:
            firsts.append(first)
        if times[-1] > SLOW_SECONDS:
            break
    if is_export and not growths:
        if before:
            before()
        tracemalloc.start()
        _read(client.get(url), time.perf_counter())
        growths.append(tracemalloc.get_traced_memory()[1] / 1024 / 1024)
        tracemalloc.stop()
    return Measure(
        page=page,
        url=url,
        user=user,
        status=response.status_code,
        median_ms=round(1000 * statistics.median(times), 1),
        max_ms=round(1000 * max(times), 1),
        queries=queries,
        bytes=size,
        is_streamed=bool(response.streaming),
        first_chunk_ms=round(1000 * statistics.median(firsts), 1) if firsts else None,
        peak_memory_mb=round(max(growths), 1) if growths else None,
        is_export=is_export,
        must_stream=must_stream,
    )


def _search_values(breach_file: Any) -> dict[str, str]:
    """A last name, a postcode and a patient reference of a person of the file, read by decrypting one row."""
    from breachdesk.models import DataSubject

    subject = DataSubject.objects.filter(breach_file=breach_file, has_postal_address=True).order_by("-pk")[0]
    personal = subject.readable_personal
    assert personal is not None
    return {"last name": personal.last_name, "postcode": personal.postcode, "patient reference": personal.patient_ref}


def _pages(actors: Actors, only: list[str]) -> list[Measure]:
    from django.test import Client
    from django.urls import reverse

    from breachdesk.models import SubjectImport
    from breachdesk.subject_search import SubjectFilterForm
    from notifications.models import Campaign, NoticeState

    breach_file = actors.breach_file
    key = [breach_file.incident.reference, breach_file.controller.code]
    clients = {}
    for name in ("dpo", "officer", "mailroom", "admin"):
        # A page that fails answers 500 and is recorded as such; the run goes on.
        clients[name] = Client(raise_request_exception=False)
        clients[name].force_login(getattr(actors, name))
    measures: list[Measure] = []

    def page(label: str, url: str, user: str = "dpo", **options: Any) -> None:
        if only and not any(word in label for word in only):
            return
        measure = _measure(clients[user], label, url, user, **options)
        measures.append(measure)
        streamed = f", streamed, first chunk {measure.first_chunk_ms} ms" if measure.is_streamed else ""
        memory = f", peak {measure.peak_memory_mb} MB" if measure.peak_memory_mb is not None else ""
        print(
            f"    {label:44} {measure.median_ms:8.1f} ms (max {measure.max_ms:.1f}) {measure.queries:3} queries "
            f"{measure.bytes:>10,} B{streamed}{memory}" + ("" if measure.status == 200 else f" HTTP {measure.status}"),
            flush=True,
        )

    subjects = reverse("subject_list", args=key)
    campaign = Campaign.objects.get(breach_file=breach_file)
    people = breach_file.data_subjects.count()
    last_page = max(1, -(-people // 50))
    subject_id = breach_file.data_subjects.order_by("pk").values_list("pk", flat=True)[min(100, people - 1)]
    subject_import = SubjectImport.objects.filter(breach_file=breach_file).latest("pk")
    unreachable_pages = max(1, -(-campaign.unreachable.count() // 50))
    unknown_pages = max(1, -(-campaign.notices.filter(state=NoticeState.UNKNOWN).count() // 50))

    page("breach file", reverse("breach_file_detail", args=key))
    page("subjects, page 1", subjects)
    page(f"subjects, page {last_page // 2} (middle)", f"{subjects}?page={last_page // 2}")
    page(f"subjects, page {last_page} (last)", f"{subjects}?page={last_page}")
    form = SubjectFilterForm()
    for name, form_field in form.fields.items():
        for value, _label in form_field.choices:  # type: ignore[attr-defined]
            if value:
                page(f"subjects, {name}={value}", f"{subjects}?{name}={value}")
    for label, words in _search_values(breach_file).items():

        def search(words: str = words) -> None:
            clients["dpo"].post(subjects, {"query": words})

        page(f"subjects, search by {label}", subjects, before=search)
    clients["dpo"].post(subjects, {"query": "", "clear": "1"})
    page("subject page", reverse("subject_detail", args=[*key, subject_id]))
    page("campaign", reverse("notifications:campaign", args=key))
    page("campaign progress.json", reverse("notifications:campaign_progress", args=key))
    page(
        f"campaign, unknown emails page {unknown_pages}",
        reverse("notifications:campaign", args=key) + f"?unknown={unknown_pages}",
    )
    page(
        f"campaign, unreachable page {unreachable_pages}",
        reverse("notifications:campaign", args=key) + f"?unreachable={unreachable_pages}",
    )
    page(
        "ledger.csv",
        reverse("notifications:campaign_ledger", args=key),
        is_export=True,
        must_stream=True,
    )
    page("import page", reverse("subject_import", args=key))
    page("import detail", reverse("subject_import_detail", args=[*key, subject_import.pk]))
    page(
        "import report.csv",
        reverse("subject_import_report", args=[*key, subject_import.pk]),
        is_export=True,
    )
    page("risk", reverse("risk", args=key))
    page("filings", reverse("notifications:filings", args=key))
    page("obligations", reverse("obligations", args=key))
    page("incident", reverse("incident_detail", args=[breach_file.incident.reference]))
    page("home (DPO)", reverse("dashboard"))
    page("compliance dashboard", reverse("notifications:dashboard"), "officer")
    page("compliance dashboard.csv", reverse("notifications:dashboard_csv"), "officer", is_export=True)
    page("register", reverse("notifications:register"), "officer")
    page("register.csv", reverse("notifications:register_csv"), "officer", is_export=True)
    page("audit trail (officer)", reverse("audit_trail"), "officer")
    page("audit trail (DPO)", reverse("audit_trail"), "dpo")
    page("audit trail.csv", reverse("audit_trail_csv"), "officer", is_export=True)
    page("mailroom", reverse("notifications:mailroom"), "mailroom")
    page("mailroom (admin)", reverse("notifications:mailroom"), "admin")
    page("breach file (admin)", reverse("breach_file_detail", args=key), "admin")
    return measures


def _statement_timeout(sender: Any, connection: Any, **kwargs: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")


def _run(options: argparse.Namespace) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django.db.backends.signals import connection_created

    from breachdesk.models import DataSubject, Incident
    from notifications.models import Notice

    call_command("migrate", verbosity=0)
    reused = Incident.objects.filter(reference=INCIDENT, title=_marker(options.people)).exists()
    steps: dict[str, float] = {}
    if not reused:
        started = time.perf_counter()
        steps = _build(options.people)
        print(
            f"  built in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps.items()),
            flush=True,
        )
    connection_created.connect(_statement_timeout)
    connection.close()
    actors = _actors()
    notices = Notice.objects.filter(breach_file=actors.breach_file).count()
    people = DataSubject.objects.filter(breach_file=actors.breach_file).count()
    print(f"  {people} people, {notices} notices; {RUNS} GETs per page after a warm-up:", flush=True)
    probe_before, load_before = bench_import._machine_probe_ms(), os.getloadavg()[0]
    measures = _pages(actors, options.only)
    probe_after, load_after = bench_import._machine_probe_ms(), os.getloadavg()[0]
    slow = [m.page for m in measures if m.median_ms > TARGET_MS and not m.is_export]
    not_streamed = [m.page for m in measures if m.must_stream and not m.is_streamed]
    failed = [m.page for m in measures if m.status != 200]
    result = {
        "people": people,
        "notices": notices,
        "reused": reused,
        "machine_probe_ms": [round(probe_before), round(probe_after)],
        "load_average": [round(load_before, 1), round(load_after, 1)],
        "build_seconds": {name: round(seconds, 1) for name, seconds in steps.items()},
        "target_ms": TARGET_MS,
        "pages": [asdict(m) for m in measures],
        "slow": slow,
        "not_streamed": not_streamed,
        "not_ok": failed,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pages.json").write_text(json.dumps(result, indent=2))
    _print(measures)
    print(
        f"  machine probe {result['machine_probe_ms'][0]} -> {result['machine_probe_ms'][1]} ms, load average "
        f"{result['load_average'][0]} -> {result['load_average'][1]}"
    )
    print(f"  pages over {TARGET_MS} ms: {slow or 'none'}; exports of persons not streamed: {not_streamed or 'none'}")
    if failed:
        print(f"  pages not answering 200: {failed}")
    return 1 if slow or not_streamed or failed else 0


def _print(measures: list[Measure]) -> None:
    print(f"  {'page':46} {'median ms':>10} {'max ms':>8} {'queries':>8} {'bytes':>12}  export (peak memory growth)")
    for m in measures:
        export = ""
        if m.is_export:
            export = "streamed" if m.is_streamed else "whole"
            if m.first_chunk_ms is not None:
                export += f", first chunk {m.first_chunk_ms} ms"
            export += f", +{m.peak_memory_mb} MB"
        print(f"  {m.page:46} {m.median_ms:10.1f} {m.max_ms:8.1f} {m.queries:8} {m.bytes:12,}  {export}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000, help=f"persons in the breach file (2021: {CASE_PEOPLE})")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PAGES_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--reuse", action="store_true", help="keep the database when it holds this size's data")
    parser.add_argument("--only", action="append", default=[], help="time only the pages whose name holds this")
    options, _unknown = parser.parse_known_args(argv)
    if os.environ.get(CHILD_FLAG) != "1":
        # Its own process: the database and settings must not leak into the other benchmarks.
        if not options.database_url.startswith("postgres"):
            print("  skipped: bench_pages runs on PostgreSQL only")
            return 0
        if "bench" not in _database_name(options.database_url):
            raise SystemExit(
                f"bench_pages: refusing database {_database_name(options.database_url)!r}: "
                "its name must contain 'bench'"
            )
        if not _postgres_answers(options.database_url):
            print(f"  skipped: PostgreSQL does not answer at {options.database_url.rsplit('@', 1)[-1]}")
            return 0
        var = ROOT / "var" / "bench" / "pages"
        if not (options.reuse and _holds_data(options.database_url, options.people)):
            _recreate_database(options.database_url)
            shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True, exist_ok=True)
        environment = dict(
            os.environ,
            **{
                CHILD_FLAG: "1",
                "DJANGO_SETTINGS_MODULE": "breachdesk.settings",
                "DEBUG": "false",
                "DATABASE_URL": options.database_url,
                # Its own directory: the embedded broker there holds the wake-ups no worker takes.
                "BREACHDESK_VAR_DIR": str(var),
                "BREACHDESK_PRIVATE_DIR": str(var / "private"),
                "CELERY_BROKER_URL": "filesystem://localhost/",
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "BREACHDESK_REQUIRE_MFA": "false",
                "ALLOWED_HOSTS": "testserver",
                "BREACHDESK_ENV_FILE": "/dev/null",
                "LOG_LEVEL": "WARNING",
            },
        )
        print(f"bench_pages: one breach file of {options.people} people", flush=True)
        return subprocess.run([sys.executable, __file__, *(argv or [])], env=environment, check=False).returncode
    import logging

    import django

    django.setup()
    # A page that fails is listed with its status; its traceback would bury the table.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    return _run(options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
