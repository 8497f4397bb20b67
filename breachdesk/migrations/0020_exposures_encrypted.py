"""Move each data subject's exposure codes into their encrypted personal data; keep in clear only derived classes.

Per person: the ENISA processing context (1 to 4) and whether health data is exposed, which set their severity
under an assessment and name no specific fact. Per breach file: the subjects counted per set of codes, encrypted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import django.db.models.deletion
from django.db import migrations, models

BATCH = 2000


def _risk_class(codes: list[str]) -> tuple[int | None, bool]:
    from breachdesk.taxonomy import EXPOSURES

    known = [EXPOSURES[code] for code in codes if code in EXPOSURES]
    if not known:
        return None, False
    return max(exposure.base_dpc for exposure in known), any(exposure.is_health for exposure in known)


def _order(codes: list[str]) -> tuple[str, ...]:
    from breachdesk.taxonomy import EXPOSURES

    ranks = {code: index for index, code in enumerate(EXPOSURES)}
    return tuple(sorted(set(codes), key=lambda code: (ranks.get(code, len(ranks)), code)))


def encrypt_exposures(apps: Any, schema_editor: Any) -> None:
    from breachdesk import crypto

    subject_model = apps.get_model("breachdesk", "DataSubject")
    summary_model = apps.get_model("breachdesk", "ExposureSummary")
    counts: dict[int, Counter[tuple[str, ...]]] = {}
    last_pk = 0
    while True:
        batch = list(
            subject_model.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .only("pk", "breach_file_id", "personal_token", "exposures")[:BATCH]
        )
        if not batch:
            break
        for subject in batch:
            codes = list(subject.exposures or [])
            try:
                personal = crypto.decrypt_json(subject.personal_token)
            except crypto.DecryptionError:
                # No key reads this person: their data is unreadable already; only the derived classes are kept.
                personal = None
            if personal is not None:
                personal["exposures"] = codes
                subject.personal_token = crypto.encrypt_json(personal)
            subject.processing_context, subject.has_health_data = _risk_class(codes)
            counts.setdefault(subject.breach_file_id, Counter())[_order(codes)] += 1
        subject_model.objects.bulk_update(batch, ["personal_token", "processing_context", "has_health_data"])
        last_pk = batch[-1].pk
    summary_model.objects.bulk_create(
        [
            summary_model(
                breach_file_id=breach_file_id,
                token=crypto.encrypt_json({"sets": [[list(codes), count] for codes, count in sorted(sets.items())]}),
            )
            for breach_file_id, sets in counts.items()
        ],
        batch_size=500,
    )


def decrypt_exposures(apps: Any, schema_editor: Any) -> None:
    from breachdesk import crypto

    subject_model = apps.get_model("breachdesk", "DataSubject")
    last_pk = 0
    while True:
        batch = list(subject_model.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", "personal_token")[:BATCH])
        if not batch:
            return
        for subject in batch:
            try:
                personal = crypto.decrypt_json(subject.personal_token)
            except crypto.DecryptionError:
                subject.exposures = []
                continue
            subject.exposures = list(personal.pop("exposures", []))
            subject.personal_token = crypto.encrypt_json(personal)
        subject_model.objects.bulk_update(batch, ["personal_token", "exposures"])
        last_pk = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("breachdesk", "0019_encrypted_file_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="datasubject",
            name="has_health_data",
            field=models.BooleanField(default=False, verbose_name="health data exposed"),
        ),
        migrations.AddField(
            model_name="datasubject",
            name="processing_context",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="data processing context"),
        ),
        migrations.CreateModel(
            name="ExposureSummary",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.TextField(editable=False)),
                (
                    "breach_file",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="exposure_summary",
                        to="breachdesk.breachfile",
                    ),
                ),
            ],
            options={
                "verbose_name": "exposure summary",
                "verbose_name_plural": "exposure summaries",
            },
        ),
        migrations.RunPython(encrypt_exposures, decrypt_exposures),
        migrations.RemoveField(
            model_name="datasubject",
            name="exposures",
        ),
    ]
