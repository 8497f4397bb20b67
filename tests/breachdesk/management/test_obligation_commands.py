"""The obligation commands and their exit codes: 0 ok, 1 refused, 2 usage."""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from breachdesk.formats import PARIS
from breachdesk.models import AuditEvent, AuditObject, ObligationDecision

REF = "INC-2021-0001"


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def aware_file(breach_file):
    breach_file.became_aware_at = datetime(2026, 10, 23, 9, 0, tzinfo=PARIS)
    breach_file.save(update_fields=["became_aware_at"])
    return breach_file


def test_obligations_lists_each_phase_of_the_breach_file_in_json(aware_file):
    items = json.loads(_run("obligations", "--incident", REF, "--organisation", "LAB-RENNES", "--json"))

    complaint = next(item for item in items if item["regime"] == "lopmi_l12_10_1")
    # 72 hours across the October DST change: 8:00 on the Paris clock, 07:00 UTC.
    assert complaint == {
        "regime": "lopmi_l12_10_1",
        "phase": "complaint",
        "debtor": "controller",
        "organisation": "LAB-RENNES",
        "applies": True,
        "applicability": "applies",
        "decided": False,
        "start_at": "2026-10-23T07:00:00Z",
        "due_at": "2026-10-26T07:00:00Z",
        "state": "late",
        "submitted_at": None,
        "reference": None,
        "is_late": False,
        "delay_reasons": None,
    }
    declaration = next(item for item in items if item["regime"] == "csp_l1111_8_2")
    assert (declaration["due_at"], declaration["applies"]) == (None, True)
    assert next(item for item in items if item["regime"] == "nis2_art23")["applies"] is None
    assert {item["regime"] for item in items} == {
        "gdpr_art33",
        "gdpr_art34",
        "csp_l1111_8_2",
        "nis2_art23",
        "lopmi_l12_10_1",
        "insurer_notice",
    }
    dated = [item["due_at"] for item in items if item["due_at"]]
    assert dated == sorted(dated)


def test_obligations_of_the_processor_list_its_notice_to_each_controller_and_its_cra_reports(aware_file):
    items = json.loads(_run("obligations", "--incident", REF, "--processor", "--json"))

    assert {(item["regime"], item["phase"], item["organisation"]) for item in items} >= {
        ("gdpr_art33_2", "notice", "LAB-RENNES"),
        ("cra_art14", "early_warning", None),
        ("cra_art14", "final_report", None),
    }
    table = _run("obligations", "--incident", REF, "--processor", "VENDOR")
    assert "gdpr_art33_2/notice LAB-RENNES: due" in table


def test_decide_obligation_records_a_decision_that_the_list_then_shows(aware_file, lab_dpo):
    output = _run(
        "decide_obligation",
        "--incident",
        REF,
        "--organisation",
        "LAB-RENNES",
        "--regime",
        "nis2_art23",
        "--applies",
        "yes",
        "--reason",
        "Entité importante (groupe de laboratoires).",
        "--user",
        "dpo.rennes",
    )

    assert "nis2_art23: applies" in output
    decision = ObligationDecision.objects.get()
    assert (decision.decided_by, decision.breach_file) == (lab_dpo, aware_file)
    assert AuditEvent.objects.filter(object_type=AuditObject.OBLIGATION_DECISION, username="dpo.rennes").exists()
    items = json.loads(_run("obligations", "--incident", REF, "--organisation", "LAB-RENNES", "--json"))
    assert {item["applies"] for item in items if item["regime"] == "nis2_art23"} == {True}


def test_decide_obligation_for_the_processor_decides_once_per_incident(aware_file):
    _run(
        "decide_obligation",
        "--incident",
        REF,
        "--processor",
        "--regime",
        "cra_art14",
        "--applies",
        "no",
        "--reason",
        "Pas d'incident grave au sens du CRA.",
    )
    items = json.loads(_run("obligations", "--incident", REF, "--processor", "--json"))
    assert {item["state"] for item in items if item["regime"] == "cra_art14"} == {"not_applicable"}


@pytest.mark.parametrize(
    ("arguments", "returncode"),
    [
        (["--organisation", "LAB-RENNES", "--regime", "nis2_art23", "--applies", "yes", "--reason", " "], 1),
        (["--organisation", "LAB-RENNES", "--regime", "cra_art14", "--applies", "yes", "--reason", "x"], 1),
        (["--processor", "--regime", "nis2_art23", "--applies", "yes", "--reason", "x"], 1),
        (["--organisation", "LAB-RENNES", "--regime", "nis9", "--applies", "yes", "--reason", "x"], 2),
        (["--organisation", "LAB-RENNES", "--regime", "nis2_art23", "--applies", "maybe", "--reason", "x"], 2),
        (["--organisation", "LAB-NOPE", "--regime", "nis2_art23", "--applies", "yes", "--reason", "x"], 2),
        (["--processor", "OTHER", "--regime", "cra_art14", "--applies", "yes", "--reason", "x"], 2),
    ],
)
def test_decide_obligation_refusals_exit_with_1_and_usage_errors_with_2(aware_file, arguments, returncode):
    with pytest.raises(CommandError) as error:
        _run("decide_obligation", "--incident", REF, *arguments)
    assert error.value.returncode == returncode
    assert not ObligationDecision.objects.exists()


@pytest.mark.parametrize(
    "arguments",
    [["--incident", "INC-NOPE", "--organisation", "LAB-RENNES"], ["--incident", REF, "--organisation", "LAB-NOPE"]],
)
def test_obligations_usage_errors_exit_with_2(aware_file, arguments):
    with pytest.raises(CommandError) as error:
        _run("obligations", *arguments)
    assert error.value.returncode == 2
