# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""The campaign commands and their exit codes: 0 ok, 1 refused, 2 usage."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from notifications.models import Notice, PrintBatch
from tests.notifications.campaign_fixtures import informed_file, make_subjects  # noqa: F401

REF = "INC-2021-0001"


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_launch_campaign_launches_then_says_nothing_new(informed_file):
    first = _run("launch_campaign", "--incident", REF, "--organisation", "LAB-RENNES")
    second = _run("launch_campaign", "--incident", REF, "--organisation", "LAB-RENNES", "--channels", "post,email")

    assert "8 courriers et 8 e-mails" in first
    assert "rien de nouveau" in second
    assert Notice.objects.count() == 16


def test_launch_campaign_without_decision_is_refused_with_exit_code_1(breach_file):
    make_subjects(breach_file, 2)
    with pytest.raises(CommandError) as error:
        _run("launch_campaign", "--incident", REF, "--organisation", "LAB-RENNES")
    assert error.value.returncode == 1


@pytest.mark.parametrize(
    "arguments",
    [
        ["--incident", "INC-NOPE", "--organisation", "LAB-RENNES"],
        ["--incident", REF, "--organisation", "LAB-NOPE"],
        ["--incident", REF, "--organisation", "LAB-RENNES", "--channels", "fax"],
    ],
)
def test_launch_campaign_usage_errors_exit_with_2(informed_file, arguments):
    with pytest.raises(CommandError) as error:
        _run("launch_campaign", *arguments)
    assert error.value.returncode == 2


def test_campaign_status_in_json_and_as_a_table(informed_file, other_breach_file):
    _run("launch_campaign", "--incident", REF, "--organisation", "LAB-RENNES", "--channels", "email")

    data = json.loads(_run("campaign_status", "--incident", REF, "--json"))
    table = _run("campaign_status", "--incident", REF)

    by_code = {entry["organisation"]: entry for entry in data["breach_files"]}
    assert by_code["LAB-BREST"] == {"organisation": "LAB-BREST", "launched": False}
    assert by_code["LAB-RENNES"]["channels"]["email"]["total"] == 8
    assert "LAB-BREST: not launched" in table
    assert "email: 0/8" in table
    with pytest.raises(CommandError) as error:
        _run("campaign_status", "--incident", "INC-NOPE")
    assert error.value.returncode == 2


def test_print_batches_writes_decrypted_pdfs_and_manifests_and_never_a_letter_twice(informed_file, tmp_path, settings):
    settings.NOTICE_BATCH_SIZE = 5
    tmp_path = tmp_path / "print-shop"
    with pytest.raises(CommandError) as error:
        _run("print_batches", "--incident", REF, "--organisation", "LAB-RENNES", "--out", str(tmp_path))
    assert error.value.returncode == 1
    _run("launch_campaign", "--incident", REF, "--organisation", "LAB-RENNES", "--channels", "post")

    first = _run("print_batches", "--incident", REF, "--organisation", "LAB-RENNES", "--out", str(tmp_path))
    second = _run("print_batches", "--incident", REF, "--organisation", "LAB-RENNES", "--out", str(tmp_path))

    assert "2 new batches rendered; 2 batches" in first
    assert "0 new batches rendered; 2 batches" in second
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "batch-0001-manifest.csv",
        "batch-0001.pdf",
        "batch-0002-manifest.csv",
        "batch-0002.pdf",
    ]
    assert (tmp_path / "batch-0001.pdf").read_bytes().startswith(b"%PDF")
    assert oct((tmp_path / "batch-0001.pdf").stat().st_mode & 0o777) == "0o600"
    assert PrintBatch.objects.count() == 2
    manifests = (tmp_path / "batch-0001-manifest.csv").read_text() + (tmp_path / "batch-0002-manifest.csv").read_text()
    for notice in Notice.objects.filter(channel="post"):
        assert manifests.count(notice.reference) == 1


def test_argument_errors_exit_with_2_from_the_shell():
    manage = Path(__file__).resolve().parents[3] / "manage.py"
    result = subprocess.run([sys.executable, str(manage), "launch_campaign"], capture_output=True, text=True)
    assert result.returncode == 2
