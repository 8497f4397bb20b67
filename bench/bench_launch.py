"""Benchmark the launch of a campaign: the set-wise fill of the notice ledger against the person-by-person ORM fill.

One breach file of --people persons, mixed as a lab's patients are (adults, children under 15, minors of 15 to 17
told as the DPO chose "both", care kept confidential, no address, no email), launched by post and email through
`fill_campaign` (PostgreSQL: the postcodes and birth dates decrypted and staged by COPY, then one INSERT ... SELECT per
channel and addressee, and one for the unreachable persons). The ORM twin fills a sample (--sample persons)
of a second breach file of the same mix, in the same run. Rows = notices + unreachable persons.

Usage (a throwaway PostgreSQL database; the set-wise fill is PostgreSQL's):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_launch python bench/bench_launch.py [--people 100000]
        [--sample 10000]
Results go to stdout and bench/out/launch.json; exit 1 below 100,000 rows/s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "bench"))

import bench_emails  # noqa: E402

TARGET_ROWS_PER_SECOND = 100_000

# (share of the persons, years of age, has_confidential_care): a lab's patients, most of them adults.
# What the bench's people had exposed (as in the 2021 case: an HIV status among them).
EXPOSED = ("identity", "contact", "nir", "hiv", "test_results")
MIX = [(0.86, 45, False), (0.05, 9, False), (0.05, 16, False), (0.02, 14, True), (0.02, 70, False)]


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachdesk.settings")
    import django

    django.setup()


def _breach_file(label: str) -> Any:
    from django.utils import timezone

    from breachdesk.models import BreachFile, Incident, Organisation

    organisation, _created = Organisation.objects.get_or_create(
        code="LAB-BENCH-LAUNCH",
        defaults={"name": "Laboratoire de banc d'essai", "dpo_email": "dpo@example.org", "signatory_name": "DPO"},
    )
    incident = Incident.objects.create(reference=f"BENCH-LAUNCH-{label}-{int(time.time())}", title="bench")
    return BreachFile.objects.create(
        incident=incident,
        controller=organisation,
        became_aware_at=timezone.now(),
        natures=["confidentiality"],
        adolescent_addressee="both",
        adolescent_addressee_reason="bench",
    )


def _population(breach_file: Any, people: int) -> None:
    """Insert the mix: 30 encrypted identities per kind shared, each person with its own flags and indexes."""
    from django.utils import timezone

    from breachdesk.exposure_summary import add_exposure_sets, canonical
    from breachdesk.models import DataSubject
    from breachdesk.models.subjects import age_group_on
    from breachdesk.synthetic import PLACES, person

    today = timezone.localdate()
    pools: list[list[DataSubject]] = []
    for kind, (_share, years, _confidential) in enumerate(MIX):
        pool = []
        for index in range(30):
            data, _exposures, _language = person(random.Random(kind * 100 + index), index, PLACES[index % len(PLACES)])
            data = replace(data, birth_date=date(today.year - years, 1, 15))
            data.exposures = list(EXPOSED)
            if not data.address_1:
                data = replace(data, address_1="3 rue des Lilas", postcode=PLACES[0].postcode, city=PLACES[0].city)
            template = DataSubject(breach_file=breach_file)
            template.personal = data
            pool.append(template)
        pools.append(pool)
    rng = random.Random(14)
    weights = [share for share, _years, _confidential in MIX]
    batch: list[DataSubject] = []
    for index in range(people):
        kind = rng.choices(range(len(MIX)), weights)[0]
        template = pools[kind][index % 30]
        birth = date(today.year - MIX[kind][1], 1, 15)
        post, email = rng.random() < 0.93, rng.random() < 0.6
        batch.append(
            DataSubject(
                breach_file=breach_file,
                personal_token=template.personal_token,
                patient_ref_index=f"bench-{index}",
                # The derived classes the personal setter computed from the exposures in the token.
                processing_context=template.processing_context,
                has_health_data=template.has_health_data,
                language="en" if index % 25 == 0 else "fr",
                age_group=age_group_on(birth, today),
                has_confidential_care=MIX[kind][2],
                has_postal_address=post,
                has_email=email,
            )
        )
        if len(batch) == 10_000:
            DataSubject.objects.bulk_create(batch)
            batch = []
    DataSubject.objects.bulk_create(batch)
    add_exposure_sets(breach_file_id=breach_file.pk, counts=Counter({canonical(list(EXPOSED)): people}))


def _timed(phases: dict[str, float], module: Any, name: str) -> Callable[[], None]:
    """Wrap module.name so that its time adds to phases[name]; return what puts it back."""
    original = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            phases[name] += time.perf_counter() - started

    setattr(module, name, wrapper)
    return lambda: setattr(module, name, original)


def _rows(campaign: Any) -> int:
    return int(campaign.notices.count() + campaign.unreachable.count())


def _launch_setwise(people: int) -> dict[str, Any]:
    from notifications import postgres
    from notifications.models import Campaign
    from notifications.services import campaigns

    breach_file = _breach_file("setwise")
    started = time.perf_counter()
    _population(breach_file, people)
    bench_emails.inform_everyone(breach_file)
    built = time.perf_counter() - started
    phases: dict[str, float] = defaultdict(float)
    restore = [
        _timed(phases, postgres, "stage_subjects"),
        _timed(phases, postgres, "fill_notices"),
        _timed(phases, postgres, "fill_unreachable"),
    ]
    try:
        started = time.perf_counter()
        campaigns.launch_campaign(breach_file=breach_file, user=None, channels="post,email")
        seconds = time.perf_counter() - started
    finally:
        for undo in restore:
            undo()
    campaign = Campaign.objects.get(breach_file=breach_file)
    rows = _rows(campaign)
    return {
        "people": people,
        "rows": rows,
        "notices": campaign.notices.count(),
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds),
        "phases_seconds": {name: round(value, 3) for name, value in phases.items()},
        "population_built_seconds": round(built, 1),
    }


def _launch_orm(sample: int) -> dict[str, Any]:
    from django.db import transaction

    from notifications.services import campaigns

    breach_file = _breach_file("orm")
    _population(breach_file, sample)
    bench_emails.inform_everyone(breach_file)
    campaign, _is_new = campaigns.prepare_launch(breach_file=breach_file, user=None, channels="post,email")
    result = campaigns.LaunchResult(campaign=campaign, is_new_campaign=True)
    started = time.perf_counter()
    with transaction.atomic():
        campaigns._populate(campaign=campaign, now=campaign.launched_at, result=result, setwise=False)
    seconds = time.perf_counter() - started
    rows = _rows(campaign)
    return {"people": sample, "rows": rows, "seconds": round(seconds, 3), "rows_per_second": round(rows / seconds)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=10_000)
    options, _unknown = parser.parse_known_args(argv)
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        print("  skipped: set DATABASE_URL to a throwaway PostgreSQL database (see the module's docstring)")
        return 0
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    orm = _launch_orm(min(options.sample, options.people))
    setwise = _launch_setwise(options.people)
    result = {
        "cpu_count": os.cpu_count(),
        "setwise": setwise,
        "orm": orm,
        "ratio": round(setwise["rows_per_second"] / orm["rows_per_second"], 1),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "launch.json").write_text(json.dumps(result, indent=2))
    print(
        f"  people {setwise['people']}: {setwise['notices']} notices, {setwise['rows']} rows in {setwise['seconds']} s"
    )
    print(f"    set-wise: {setwise['rows_per_second']} rows/s (target >= {TARGET_ROWS_PER_SECOND})")
    print(f"    phases: {setwise['phases_seconds']}")
    print(
        f"    ORM twin on {orm['people']} people: {orm['rows_per_second']} rows/s; set-wise / ORM: {result['ratio']} x"
    )
    return 0 if setwise["rows_per_second"] >= TARGET_ROWS_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
