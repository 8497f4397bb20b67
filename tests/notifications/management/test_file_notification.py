"""`manage.py file_notification`: prints the dossier's name (or writes it) and warnings; exit 1 late, 2 usage."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connections
from django.utils import timezone

from notifications.models import Filing

pytestmark = pytest.mark.django_db


def run(*arguments: str) -> tuple[int, str, str]:
    """Run the command as from a shell, returning its exit status, standard output and standard error."""
    stdout, stderr = io.StringIO(), io.StringIO()
    utility = ManagementUtility(["manage.py", "file_notification", *arguments])
    with pytest.raises(SystemExit) as exit_info, pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", stdout)
        patch.setattr("sys.stderr", stderr)
        # run_from_argv closes every connection when done, which would end the test's transaction.
        patch.setattr(connections, "close_all", lambda: None)
        utility.execute()
        raise SystemExit(0)
    return int(exit_info.value.code or 0), stdout.getvalue(), stderr.getvalue()


def test_the_command_prints_the_private_dossier_name_of_a_complete_initial_filing(complete_breach_file):
    status, out, err = run("--incident", "INC-2021-0001", "--organisation", "LAB-RENNES", "--type", "initial")
    assert status == 0, err
    assert out.strip() == Filing.objects.get().pdf_path
    stored = Path(settings.PRIVATE_STORAGE_DIR, out.strip())
    assert stored.is_file() and not stored.read_bytes().startswith(b"%PDF"), "stored encrypted"
    assert "warning:" not in err
    filing = Filing.objects.get()
    assert (filing.kind, filing.version, filing.state, filing.prepared_by) == ("initial", 1, "ready", None)


def test_the_command_writes_the_dossier_decrypted_where_asked(complete_breach_file, tmp_path):
    output = tmp_path / "dossier.pdf"
    status, out, err = run(
        "--incident", "INC-2021-0001", "--organisation", "LAB-RENNES", "--type", "initial", "--output", str(output)
    )
    assert status == 0, err
    assert out.strip() == str(output)
    assert output.read_bytes().startswith(b"%PDF")


def test_the_command_prints_the_completeness_warnings_of_an_incomplete_initial_filing(breach_file):
    status, out, err = run("--incident", "INC-2021-0001", "--organisation", "LAB-RENNES", "--type", "initial")
    assert status == 0
    assert out.strip().endswith(f"dossier-{Filing.objects.get().pk}-v1.pdf")
    assert "warning: missing Personnes concernées et volume / Nombre approximatif de personnes concernées" in err
    assert "(Art. 33(3)(a))" in err
    assert "warning: not known yet Dates et heures / Début de la violation" in err
    assert "incomplete initial notification allowed (phased notification, Art. 33(4))" in err


def test_the_command_exits_1_when_a_late_filing_lacks_reasons_for_the_delay(complete_breach_file):
    complete_breach_file.became_aware_at = timezone.now() - timedelta(hours=73)
    complete_breach_file.save()
    status, out, err = run("--incident", "INC-2021-0001", "--organisation", "LAB-RENNES", "--type", "initial")
    assert status == 1
    assert out == ""
    assert "indiquez les motifs du retard" in err
    assert not Filing.objects.exists()
    with pytest.raises(CommandError) as error:
        call_command("file_notification", incident="INC-2021-0001", organisation="LAB-RENNES", kind="initial")
    assert error.value.returncode == 1


@pytest.mark.parametrize(
    "arguments",
    [
        ["--incident", "INC-9999", "--organisation", "LAB-RENNES", "--type", "initial"],
        ["--incident", "INC-2021-0001", "--organisation", "LAB-NOWHERE", "--type", "initial"],
        ["--incident", "INC-2021-0001", "--organisation", "LAB-RENNES", "--type", "complementary"],
        ["--incident", "INC-2021-0001", "--organisation", "LAB-RENNES", "--type", "final"],
        ["--incident", "INC-2021-0001", "--organisation", "LAB-RENNES"],
    ],
    ids=["unknown incident", "unknown organisation", "complementary before initial", "unknown type", "no type"],
)
def test_the_command_exits_2_on_a_usage_error(complete_breach_file, arguments):
    status, out, err = run(*arguments)
    assert status == 2
    assert out == ""
    assert err
    assert not Filing.objects.exists()


def test_a_complementary_filing_from_the_command_refers_to_the_initial_case(complete_breach_file):
    from notifications.services import filings

    initial = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=None)
    filings.record_submission(filing=initial, user=None, submitted_at=timezone.now(), case_number="CNIL-2021-7")
    # A complementary notification brings something new (Art. 33(4)).
    complete_breach_file.approximate_persons = 18300
    complete_breach_file.save()
    status, out, _err = run("--incident", "INC-2021-0001", "--organisation", "LAB-RENNES", "--type", "complementary")
    assert status == 0
    complementary = Filing.objects.get(kind="complementary")
    assert complementary.initial_case_number == "CNIL-2021-7"
    assert out.strip().endswith(f"dossier-{complementary.pk}-v2.pdf")
