"""A person imported with an address to review gets no letter in a print batch until the address is corrected."""

from __future__ import annotations

import pytest
from django.urls import reverse

from breachdesk.importing.review import clear_address_review
from breachdesk.importing.services import import_subjects
from breachdesk.models import DataSubject, SubjectImport
from notifications.models import Campaign, Notice, UnreachableSubject
from notifications.services import campaigns, mailroom
from tests.breachdesk.importing.conftest import subject_row, write_csv
from tests.notifications.campaign_fixtures import decide_to_inform

pytestmark = pytest.mark.django_db

UNPRINTABLE = "12 chemin des Grandes Vignes du Haut Pays Bigouden de Cornouaille"


def _import(breach_file, tmp_path) -> SubjectImport:  # type: ignore[no-untyped-def]
    data = [subject_row(1, email=""), subject_row(2, email="", address_1=UNPRINTABLE), subject_row(3, email="")]
    subject_import = import_subjects(breach_file=breach_file, path=write_csv(tmp_path / "lab.csv", data))
    assert subject_import.state == SubjectImport.State.IMPORTED, subject_import.findings
    return subject_import


def test_an_address_to_review_is_kept_out_of_the_print_batches_and_counted_on_the_campaign_page(
    breach_file, lab_dpo, tmp_path, client
):
    subject_import = _import(breach_file, tmp_path)
    assert subject_import.addresses_to_review == 1
    to_review = DataSubject.objects.get(address_needs_review=True)
    decide_to_inform(breach_file, lab_dpo, levels=["low", "medium", "high", "very_high"])
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post")
    campaign = Campaign.objects.get()
    batch = mailroom.claim_print_batch(campaign_id=campaign.pk)
    assert batch is not None and batch.letters == 2
    assert to_review.pk not in set(batch.notices.values_list("subject_id", flat=True))
    assert not Notice.objects.filter(subject=to_review).exists()

    client.force_login(lab_dpo)
    page = client.get(reverse("notifications:campaign", args=[breach_file.incident.reference, "LAB-RENNES"]))
    assert "1 adresse à vérifier" in page.content.decode()


def test_a_letter_already_waiting_is_held_back_while_its_address_is_to_review_and_printed_once_corrected(
    breach_file, lab_dpo, tmp_path
):
    _import(breach_file, tmp_path)
    decide_to_inform(breach_file, lab_dpo, levels=["low", "medium", "high", "very_high"])
    flagged = DataSubject.objects.get(address_needs_review=True)
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post")
    assert UnreachableSubject.objects.filter(subject=flagged).exists(), "no channel while the address is to review"
    # A printable person whose address is put back to review (a returned letter, say) after the launch.
    held = DataSubject.objects.filter(address_needs_review=False).order_by("pk").first()
    assert held is not None and Notice.objects.filter(subject=held).exists()
    DataSubject.objects.filter(pk=held.pk).update(address_needs_review=True)
    campaign = Campaign.objects.get()
    batch = mailroom.claim_print_batch(campaign_id=campaign.pk)
    assert batch is not None and set(batch.notices.values_list("subject_id", flat=True)).isdisjoint({held.pk})

    held.refresh_from_db()
    assert clear_address_review(subject=held) == []
    personal = flagged.personal
    personal.address_1 = "12 chemin des Grandes Vignes"
    flagged.personal = personal
    flagged.save()
    assert clear_address_review(subject=flagged) == []
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post")
    second = mailroom.claim_print_batch(campaign_id=campaign.pk)
    assert second is not None
    assert set(second.notices.values_list("subject_id", flat=True)) == {held.pk, flagged.pk}
    assert not UnreachableSubject.objects.filter(subject=flagged).exists(), "reachable again: no longer listed"
