from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from breachdesk.models import DataSubject
from tests.breachdesk.importing.conftest import rows, subject_row, write_csv

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


def run_command(*arguments: str) -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("import_subjects", *arguments, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def counts(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


def test_an_imported_file_exits_0_and_prints_the_counts_and_the_report_path(breach_file, tmp_path):
    data = [*rows(3), subject_row(9, email="", address_1="", postcode="", city="")]
    path = write_csv(tmp_path / "lab.csv", data)
    status, output = run_command("--incident", "INC-2021-0001", "--organisation", "LAB-RENNES", str(path))
    assert status == 0
    printed = counts(output)
    assert printed["read"] == "4" and printed["imported"] == "4" and printed["rejected"] == "0"
    assert printed["duplicates"] == "0" and printed["unreachable"] == "1"
    report = Path(printed["error report"])
    assert report == tmp_path / "lab.csv.report.csv"
    assert report.read_bytes().startswith("\ufeffligne;colonne;code;message".encode())
    assert DataSubject.objects.count() == 4


def test_a_rejected_file_exits_1_and_writes_its_report(breach_file, tmp_path):
    path = write_csv(tmp_path / "lab.csv", [subject_row(1), subject_row(2, nir="295109912611199")])
    report = tmp_path / "out" / "report.csv"
    report.parent.mkdir()
    status, output = run_command(
        "--incident", "INC-2021-0001", "--organisation", "LAB-RENNES", str(path), "--report", str(report)
    )
    assert status == 1
    assert counts(output)["rejected"] == "1" and counts(output)["imported"] == "0"
    assert "3;nir;nir_key" in report.read_text(encoding="utf-8-sig")
    assert DataSubject.objects.count() == 0


def test_a_dry_run_exits_0_and_stores_nothing(breach_file, tmp_path):
    path = write_csv(tmp_path / "lab.csv", rows(2))
    status, output = run_command("--incident", "INC-2021-0001", "--organisation", "LAB-RENNES", str(path), "--dry-run")
    assert status == 0 and counts(output)["imported"] == "0"
    assert DataSubject.objects.count() == 0


def test_an_already_imported_file_exits_0_and_says_so(breach_file, tmp_path):
    path = write_csv(tmp_path / "lab.csv", rows(2))
    run_command("--incident", "INC-2021-0001", "--organisation", "LAB-RENNES", str(path))
    status, output = run_command("--incident", "INC-2021-0001", "--organisation", "LAB-RENNES", str(path))
    assert status == 0 and "déjà été importé" in output


@pytest.mark.parametrize(
    ("reference", "code", "exists"),
    [("INC-2021-0001", "LAB-NOWHERE", True), ("INC-NONE", "LAB-RENNES", True), ("INC-2021-0001", "LAB-RENNES", False)],
)
def test_usage_errors_exit_2(breach_file, tmp_path, reference, code, exists):
    path = write_csv(tmp_path / "lab.csv", rows(1)) if exists else tmp_path / "missing.csv"
    status, _output = run_command("--incident", reference, "--organisation", code, str(path))
    assert status == 2
    assert DataSubject.objects.count() == 0


def test_missing_arguments_exit_2_from_the_command_line():
    result = subprocess.run(
        [sys.executable, "manage.py", "import_subjects", "--incident", "INC-2021-0001"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "--organisation" in result.stderr
