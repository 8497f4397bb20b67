"""The private storage: a directory that replaces files whole, or an S3-compatible bucket, chosen by settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import SuspiciousFileOperation

from breachdesk import keyring, private_storage
from breachdesk.importing import progress
from breachdesk.importing.services import process_subject_import, stage_subject_import
from breachdesk.importing.storage import open_encrypted
from breachdesk.models import DataSubject, SubjectImport
from tests.breachdesk.importing.conftest import FakeUpload, csv_bytes, rows

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "breachdesk-private"


def test_saving_a_name_again_replaces_the_file_whole_and_an_open_reader_keeps_the_old_one(settings):
    private_storage.save("dossiers/a.pdf", b"first version")
    reader = private_storage.open_file("dossiers/a.pdf")
    assert private_storage.save("dossiers/a.pdf", b"second") == "dossiers/a.pdf"
    assert reader.read() == b"first version"
    reader.close()
    assert private_storage.read_bytes("dossiers/a.pdf") == b"second"
    path = Path(settings.PRIVATE_STORAGE_DIR, "dossiers/a.pdf")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert [entry.name for entry in path.parent.iterdir()] == ["a.pdf"], "no temporary file left behind"


def test_a_name_outside_the_private_storage_is_refused():
    with pytest.raises(SuspiciousFileOperation):
        private_storage.save("../outside.pdf", b"x")


def test_a_missing_file_has_no_modification_time_and_deleting_it_again_is_fine():
    assert private_storage.modified_at("imports/none.progress.json") is None
    private_storage.delete("imports/none.enc")
    assert not private_storage.exists("imports/none.enc")


def test_uploads_recorded_by_their_absolute_path_are_renamed_inside_the_storage(breach_file, settings):
    module = __import__("breachdesk.migrations.0018_upload_names_in_the_private_storage", fromlist=["x"])
    inside = SubjectImport.objects.create(
        breach_file=breach_file, stored_path=str(Path(settings.PRIVATE_STORAGE_DIR, "imports", "a.enc"))
    )
    outside = SubjectImport.objects.create(breach_file=breach_file, stored_path="/elsewhere/b.enc")
    named = SubjectImport.objects.create(breach_file=breach_file, stored_path="imports/c.enc")
    module.to_storage_names(apps, None)
    assert [SubjectImport.objects.get(pk=item.pk).stored_path for item in (inside, outside, named)] == [
        "imports/a.enc",
        "",
        "imports/c.enc",
    ]


@pytest.fixture
def bucket(settings):
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        import boto3

        boto3.client("s3", region_name="eu-west-3").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "private": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "location": "breachdesk",
                    "region_name": "eu-west-3",
                    "access_key": "test-access-key",
                    "secret_key": "test-secret-key",
                    "object_parameters": {"ServerSideEncryption": "AES256"},
                    "file_overwrite": True,
                    "max_memory_size": 1024,
                },
            },
        }
        yield boto3.client("s3", region_name="eu-west-3")


def test_in_a_bucket_an_upload_waits_encrypted_is_imported_and_deleted(bucket, breach_file, lab_dpo, settings):
    content = csv_bytes(rows(3))
    staged = stage_subject_import(breach_file=breach_file, upload=FakeUpload(content), user=lab_dpo)
    key = f"breachdesk/{staged.stored_path}"
    stored = bucket.get_object(Bucket=BUCKET, Key=key)
    assert stored["ServerSideEncryption"] == "AES256", "the store's encryption, as a second layer"
    assert content[:40] not in stored["Body"].read(), "the application encrypted it first"
    assert not Path(settings.PRIVATE_STORAGE_DIR).exists(), "nothing goes to the local directory"
    with open_encrypted(staged.stored_path) as stream:
        assert stream.read() == content

    assert process_subject_import(subject_import_id=staged.pk).state == SubjectImport.State.IMPORTED
    assert DataSubject.objects.count() == 3
    assert bucket.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_in_a_bucket_progress_is_read_back_with_its_age_and_cleared(bucket):
    assert progress.read_progress(7) is None and progress.heartbeat_age(7) is None
    progress.write_progress(7, rows_read=3, rows_validated=2, rows_stored=1)
    assert progress.read_progress(7) == {"rows_read": 3, "rows_validated": 2, "rows_stored": 1}
    age = progress.heartbeat_age(7)
    assert age is not None and 0 <= age < 60
    progress.clear_progress(7)
    assert progress.read_progress(7) is None


def test_in_a_bucket_key_rotation_rewrites_a_waiting_upload_under_the_new_key(bucket, breach_file, lab_dpo, settings):
    content = csv_bytes(rows(2))
    staged = stage_subject_import(breach_file=breach_file, upload=FakeUpload(content), user=lab_dpo)
    old_key = settings.DATA_ENCRYPTION_KEYS[0]
    from cryptography.fernet import Fernet

    settings.DATA_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    assert keyring.key_use().counts[2, "import upload"] == 1
    rotation = keyring.rotate()
    assert rotation.files == 1 and rotation.skipped == []
    settings.DATA_ENCRYPTION_KEYS = settings.DATA_ENCRYPTION_KEYS[:1]
    with open_encrypted(staged.stored_path) as stream:
        assert stream.read() == content


def _settings_in_a_process(**variables: str) -> subprocess.CompletedProcess[str]:
    script = (
        "import json, django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.files.storage import storages\n"
        "storage = storages['private']\n"
        "print(json.dumps({'backend': settings.STORAGES['private']['BACKEND'], 'class': type(storage).__name__,"
        " 'options': settings.STORAGES['private']['OPTIONS']}))\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("BREACHDESK_S3_")}
    env |= {"DJANGO_SETTINGS_MODULE": "breachdesk.settings", "PYTHONPATH": str(ROOT), **variables}
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_the_s3_settings_configure_django_storages_from_the_environment():
    done = _settings_in_a_process(
        BREACHDESK_PRIVATE_STORAGE="s3",
        BREACHDESK_S3_BUCKET="labs-private",
        BREACHDESK_S3_PREFIX="prod",
        BREACHDESK_S3_ENDPOINT_URL="http://minio.internal:9000",
        BREACHDESK_S3_REGION="eu-west-3",
        BREACHDESK_S3_ACCESS_KEY_ID="an-access-key",
        BREACHDESK_S3_SECRET_ACCESS_KEY="a-secret-key",
        BREACHDESK_S3_ADDRESSING_STYLE="path",
        BREACHDESK_S3_SERVER_SIDE_ENCRYPTION="aws:kms",
        BREACHDESK_S3_KMS_KEY_ID="key-1",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    configured = json.loads(done.stdout)
    assert configured["backend"] == "storages.backends.s3.S3Storage" and configured["class"] == "S3Storage"
    options = configured["options"]
    assert (options["bucket_name"], options["location"], options["endpoint_url"], options["region_name"]) == (
        "labs-private",
        "prod",
        "http://minio.internal:9000",
        "eu-west-3",
    )
    assert (options["access_key"], options["secret_key"], options["addressing_style"]) == (
        "an-access-key",
        "a-secret-key",
        "path",
    )
    assert options["object_parameters"] == {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "key-1"}
    assert options["file_overwrite"] is True and options["default_acl"] is None


def test_by_default_the_private_storage_is_the_private_directory(tmp_path):
    done = _settings_in_a_process(BREACHDESK_PRIVATE_DIR=str(tmp_path / "shared"))
    assert done.returncode == 0, done.stderr[-2000:]
    configured = json.loads(done.stdout)
    assert configured["class"] == "PrivateFileSystemStorage"
    assert configured["options"] == {"location": str(tmp_path / "shared")}


def test_an_s3_storage_without_a_bucket_or_an_unknown_storage_refuses_to_start_naming_the_variable():
    without_bucket = _settings_in_a_process(BREACHDESK_PRIVATE_STORAGE="s3")
    assert without_bucket.returncode != 0 and "BREACHDESK_S3_BUCKET" in without_bucket.stderr
    unknown = _settings_in_a_process(BREACHDESK_PRIVATE_STORAGE="ftp")
    assert unknown.returncode != 0 and "BREACHDESK_PRIVATE_STORAGE must be filesystem or s3" in unknown.stderr
