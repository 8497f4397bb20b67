"""The field-by-field copy page of a complementary filing: every field, or only what changed since the last one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.services import filings

pytestmark = pytest.mark.django_db


def _complementary(breach_file, user):
    initial = filings.prepare_filing(breach_file=breach_file, kind="initial", user=user)
    filings.record_submission(
        filing=initial, user=user, submitted_at=timezone.now() - timedelta(minutes=1), case_number="CNIL-2021-0042"
    )
    breach_file.approximate_persons = 19002
    breach_file.measures_long_term = "Chiffrement des exports ; revue annuelle du sous-traitant."
    breach_file.save()
    return filings.prepare_filing(breach_file=breach_file, kind="complementary", user=user)


def _page(client, filing, **query) -> str:
    url = reverse(
        "notifications:filing",
        args=[filing.breach_file.incident.reference, filing.breach_file.controller.code, filing.version],
    )
    return client.get(url, query).content.decode()


def _shown_keys(html: str) -> list[str]:
    return re.findall(r'class="tele-field[^"]*" data-key="([^"]+)"', html)


def test_only_what_changed_lists_the_changed_fields_with_their_section_number_and_the_count(
    client, complete_breach_file, lab_dpo
):
    complementary = _complementary(complete_breach_file, lab_dpo)
    client.force_login(lab_dpo)

    every = _page(client, complementary)
    changed = _page(client, complementary, only="changed")

    every_key = _shown_keys(every)
    assert {"persons.count", "measures.long_term"} < set(every_key) and len(every_key) > 20
    assert f"Tous les champs ({len(every_key)})" in every
    assert "Seulement ce qui a changé (2)" in every
    assert sorted(_shown_keys(changed)) == ["measures.long_term", "persons.count"]
    # The sections keep the teleservice's numbers: "11. Personnes concernées", "14. Mesures".
    legends = re.findall(r"<legend>(\d+)\. ", changed)
    assert legends == ["11", "14"]
    assert 'aria-current="page" data-testid="only-changed"' in changed


def test_an_initial_filing_has_no_toggle_and_ignores_the_parameter(client, complete_breach_file, lab_dpo):
    initial = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    client.force_login(lab_dpo)

    html = _page(client, initial, only="changed")

    assert 'data-testid="changed-toggle"' not in html
    assert len(_shown_keys(html)) > 20
