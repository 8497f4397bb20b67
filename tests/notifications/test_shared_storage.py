"""Two machines, one private storage: what one process writes (an upload, a print batch) another reads and serves.

Each step runs in its own Python process with its own working directory, against the test's PostgreSQL database
and one shared private directory, the way web and worker machines share an NFS mount or a bucket.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from breachdesk.models import DataSubject, SubjectImport
from notifications.models import Campaign, PrintBatch
from notifications.services import campaigns
from tests.breachdesk.importing.conftest import csv_bytes, rows
from tests.notifications.campaign_fixtures import decide_to_inform

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

STAGE = """
import sys, django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from breachdesk.importing.services import stage_subject_import
from breachdesk.models import BreachFile
content = open(sys.argv[1], "rb").read()
staged = stage_subject_import(
    breach_file=BreachFile.objects.get(pk=int(sys.argv[2])), upload=SimpleUploadedFile("p.csv", content), user=None
)
print(staged.pk)
"""

IMPORT = """
import sys, django
django.setup()
from breachdesk.importing.services import process_subject_import
print(process_subject_import(subject_import_id=int(sys.argv[1])).state)
"""

RENDER = """
import sys, django
django.setup()
from notifications.services import mailroom
print(" ".join(str(batch.pk) for batch in mailroom.build_print_batches(campaign_id=int(sys.argv[1]))))
"""

SERVE = """
import sys, django
django.setup()
from django.test import Client
from django.urls import reverse
from breachdesk.models import User
client = Client()
client.force_login(User.objects.get(pk=int(sys.argv[1])))
response = client.get(reverse("notifications:mailroom_batch_pdf", args=[int(sys.argv[2])]))
assert response.status_code == 200, response.status_code
open(sys.argv[3], "wb").write(response.content)
"""


@pytest.fixture
def machines(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("about processes sharing a database: run with DATABASE_URL pointing at PostgreSQL")
    database = connection.settings_dict
    shared = tmp_path / "shared-private"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "breachdesk.settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}",
        "BREACHDESK_PRIVATE_STORAGE": "filesystem",
        "BREACHDESK_PRIVATE_DIR": str(shared),
        "ALLOWED_HOSTS": "testserver",
        "PYTHONPATH": str(ROOT),
    }
    directories = {name: tmp_path / name for name in ("web", "worker")}
    for directory in directories.values():
        directory.mkdir()

    def run(machine: str, script: str, *arguments: object) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, *map(str, arguments)],
            cwd=directories[machine],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()

    run.shared = shared  # type: ignore[attr-defined]
    run.directories = directories  # type: ignore[attr-defined]
    return run


def test_an_upload_staged_on_one_machine_is_imported_and_its_letters_served_from_another(
    machines, breach_file, lab_dpo, mailroom_operator, tmp_path
):
    source = tmp_path / "patients.csv"
    source.write_bytes(csv_bytes(rows(5)))

    import_id = int(machines("web", STAGE, source, breach_file.pk))
    staged = SubjectImport.objects.get(pk=import_id)
    stored = Path(machines.shared, staged.stored_path)
    assert not Path(staged.stored_path).is_absolute() and stored.is_file()
    assert b"rue" not in stored.read_bytes(), "the upload is encrypted before it reaches the storage"

    assert machines("worker", IMPORT, import_id) == SubjectImport.State.IMPORTED
    assert DataSubject.objects.filter(breach_file=breach_file).count() == 5
    assert not stored.exists(), "the worker deleted the upload it imported"

    decide_to_inform(breach_file, lab_dpo, levels=["low", "medium", "high", "very_high"])
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post")
    campaign = Campaign.objects.get(breach_file=breach_file)
    batch_ids = [int(pk) for pk in machines("worker", RENDER, campaign.pk).split()]
    assert batch_ids
    batch = PrintBatch.objects.get(pk=batch_ids[0])
    assert Path(machines.shared, batch.file_path).is_file()

    downloaded = tmp_path / "downloaded.pdf"
    machines("web", SERVE, mailroom_operator.pk, batch.pk, downloaded)
    assert downloaded.read_bytes().startswith(b"%PDF")
    for directory in machines.directories.values():
        assert list(directory.iterdir()) == [], "nothing is written relative to a working directory"
