# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""Letters to data subjects, read back from the PDF: their categories, the DPO, the address in the window, no NIR."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone, translation

from breachdesk.models import DataSubject, PersonalData
from breachdesk.taxonomy import EXPOSURES, DataCategory, SensitiveDetail, data_categories_of
from notifications import letters, storage
from notifications.models import Campaign, Notice, NoticeState, PrintBatch
from notifications.selectors import exports
from notifications.services import campaigns, mailroom, notice_texts, sweeps
from tests.factories import DataSubjectFactory
from tests.notifications.campaign_fixtures import Line, decide_to_inform, informed_file, make_subjects, pdf_lines  # noqa: F401


def _launch_and_batch(breach_file, user, *, size=None, settings=None):
    campaigns.launch_campaign(breach_file=breach_file, user=user, channels="post,email")
    campaign = Campaign.objects.get(breach_file=breach_file)
    return campaign, mailroom.build_print_batches(campaign_id=campaign.pk)


def _letters_of(batch: PrintBatch) -> dict[str, list[list[Line]]]:
    """Split a batch PDF into its letters (after the cover sheet), keyed by reference."""
    pages = pdf_lines(mailroom.read_batch_pdf(batch))
    cover_pages = len(pages) - sum(batch.notices.values_list("pages", flat=True))
    position = cover_pages
    by_reference: dict[str, list[list[Line]]] = {}
    for notice in batch.notices.order_by("postcode", "pk"):
        by_reference[notice.reference] = pages[position : position + notice.pages]
        position += notice.pages
    return by_reference


def _text(pages: list[list[Line]]) -> str:
    return "\n".join(line.text for page in pages for line in page)


def test_each_letter_names_the_persons_own_categories_the_dpo_and_its_reference(informed_file, lab_dpo):
    _campaign, batches = _launch_and_batch(informed_file, lab_dpo)
    organisation = informed_file.controller

    letters_by_reference = {ref: pages for batch in batches for ref, pages in _letters_of(batch).items()}

    assert len(letters_by_reference) == Notice.objects.filter(channel="post").count() == 8
    for notice in Notice.objects.filter(channel="post").select_related("subject"):
        text = _text(letters_by_reference[notice.reference])
        # Page 1 names the CNIL categories; the specific health items are left out by default (discretion).
        with translation.override(notice.language):
            for category in data_categories_of(notice.subject.exposures):
                assert str(DataCategory(category).label) in text
        for code in notice.subject.exposures:
            if EXPOSURES[code].is_health:
                assert EXPOSURES[code].label(notice.language) not in text
        assert organisation.dpo_email in text
        assert organisation.dpo_phone in text
        assert organisation.signatory_name in text
        assert notice.reference in text
        assert "FICOBA" in text
        assert "CNIL" in text


def test_no_letter_prints_the_nir_in_any_form(informed_file, lab_dpo):
    _campaign, batches = _launch_and_batch(informed_file, lab_dpo)

    for batch in batches:
        for reference, pages in _letters_of(batch).items():
            notice = Notice.objects.select_related("subject").get(reference=reference)
            nir = notice.subject.personal.nir
            digits = re.sub(r"\D", "", _text(pages))
            assert nir and nir not in digits
            assert nir[:13] not in digits


def test_the_address_block_sits_in_the_window_frame_within_the_norm(informed_file, lab_dpo, settings):
    window = settings.NOTICE_ENVELOPE_STOCKS[settings.NOTICE_ENVELOPE_STOCK]
    _campaign, batches = _launch_and_batch(informed_file, lab_dpo)

    for batch in batches:
        for reference, pages in _letters_of(batch).items():
            notice = Notice.objects.select_related("subject").get(reference=reference)
            inside = [
                line
                for line in pages[0]
                if line.x0 >= window["left"]
                and line.x1 <= window["left"] + window["width"]
                and line.top >= window["top"]
                and line.bottom <= window["top"] + window["height"]
            ]
            assert [line.text for line in inside] == notice.subject.personal.address_block
            assert 1 <= len(inside) <= 6
            assert all(len(line.text) <= 38 for line in inside)
            # Nothing else of the first page overlaps the window.
            others = [line for line in pages[0] if line not in inside]
            assert not [
                line
                for line in others
                if line.x1 > window["left"]
                and line.x0 < window["left"] + window["width"]
                and line.bottom > window["top"]
                and line.top < window["top"] + window["height"]
            ]


def test_the_window_follows_the_envelope_stock(informed_file, lab_dpo, settings):
    settings.NOTICE_ENVELOPE_STOCK = "c5-window-right"
    _campaign, batches = _launch_and_batch(informed_file, lab_dpo)
    window = settings.NOTICE_ENVELOPE_STOCKS["c5-window-right"]

    first_letter = next(iter(_letters_of(batches[0]).values()))
    address_top = min(line.top for line in first_letter[0] if line.x0 >= window["left"] and line.top < 100)
    assert window["top"] <= address_top < window["top"] + 8


def test_english_speakers_get_an_english_letter(informed_file, lab_dpo):
    _campaign, batches = _launch_and_batch(informed_file, lab_dpo)
    english = Notice.objects.get(channel="post", language="en")

    text = _text({ref: pages for b in batches for ref, pages in _letters_of(b).items()}[english.reference])

    assert "What you can do" in text
    assert "Dear " in text
    assert "Ce que vous pouvez faire" not in text


def test_what_people_typed_is_printed_as_text_never_run_as_template(breach_file, lab_dpo):
    hostile = PersonalData(
        patient_ref="P-HOSTILE",
        first_name="{{ organisation.dpo_email }}",
        last_name="<b>Durand</b>",
        address_1="3 rue du Port",
        postcode="29200",
        city="Brest",
        address_block=["{{ organisation.dpo_email }} <B>", "3 RUE DU PORT", "29200 BREST"],
    )
    DataSubjectFactory(breach_file=breach_file, personal=hostile, exposures=["identity", "contact", "nir", "hiv"])
    decide_to_inform(breach_file, lab_dpo)
    values = {section: "{% now 'Y' %} <script>alert(1)</script> {{ texts }}" for section in notice_texts.SECTIONS}
    campaigns.save_notice_text(breach_file=breach_file, language="fr", values=values, user=lab_dpo)

    _campaign, batches = _launch_and_batch(breach_file, lab_dpo)
    text = _text(next(iter(_letters_of(batches[0]).values())))

    assert "Madame, Monsieur," in text
    assert "{{ organisation.dpo_email }} <B>" in text
    assert "{% now 'Y' %} <script>alert(1)</script> {{ texts }}" in text


def test_batches_hold_at_most_n_letters_in_postcode_order(informed_file, lab_dpo, settings):
    settings.NOTICE_BATCH_SIZE = 3
    _campaign, batches = _launch_and_batch(informed_file, lab_dpo)

    assert [batch.letters for batch in batches] == [3, 3, 2]
    postcodes = [
        p for batch in batches for p in batch.notices.order_by("postcode", "pk").values_list("postcode", flat=True)
    ]
    assert postcodes == sorted(postcodes)
    assert all(batch.state == PrintBatch.State.READY for batch in batches)
    assert batches[0].postcode_first <= batches[0].postcode_last <= batches[1].postcode_first
    assert set(Notice.objects.filter(channel="post").values_list("state", flat=True)) == {NoticeState.READY}


def test_running_the_batching_again_renders_no_letter_twice(informed_file, lab_dpo, settings):
    settings.NOTICE_BATCH_SIZE = 3
    campaign, _batches = _launch_and_batch(informed_file, lab_dpo)

    again = mailroom.build_print_batches(campaign_id=campaign.pk)

    assert again == []
    assert PrintBatch.objects.count() == 3
    assert Notice.objects.filter(channel="post", batch__isnull=True).count() == 0


def test_a_stalled_batch_is_rendered_again_with_the_same_letters_only(informed_file, lab_dpo, settings):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post")
    campaign = Campaign.objects.get()
    batch = mailroom.claim_print_batch(campaign_id=campaign.pk)  # the worker dies here, before rendering
    letters_before = set(batch.notices.values_list("pk", flat=True))

    assert mailroom.claim_stale_batch(batch_id=batch.pk) is None  # not stale yet: its worker may be alive
    later = timezone.now() + timedelta(seconds=settings.NOTICE_CLAIM_TIMEOUT_SECONDS + 1)
    assert sweeps.sweep_ledger(now=later).stale_batches == [batch.pk]
    token = mailroom.claim_stale_batch(batch_id=batch.pk, now=later)
    rendered = mailroom.render_print_batch(batch_id=batch.pk, token=token)

    assert rendered.state == PrintBatch.State.READY
    assert set(rendered.notices.values_list("pk", flat=True)) == letters_before
    assert PrintBatch.objects.count() == 1
    assert rendered.render_attempts == 2


def test_a_letter_belongs_to_one_batch_at_most_by_construction(informed_file, lab_dpo):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post")
    campaign = Campaign.objects.get()
    first = mailroom.claim_print_batch(campaign_id=campaign.pk, size=5)
    second = mailroom.claim_print_batch(campaign_id=campaign.pk, size=5)

    assert first.letters == 5 and second.letters == 3
    assert not set(first.notices.values_list("pk", flat=True)) & set(second.notices.values_list("pk", flat=True))
    assert mailroom.claim_print_batch(campaign_id=campaign.pk) is None


def test_batch_files_are_stored_encrypted(informed_file, lab_dpo):
    _campaign, batches = _launch_and_batch(informed_file, lab_dpo)
    stored = storage.read_private(batches[0].file_path)

    assert not stored.startswith(b"%PDF")
    assert b"EXEMPLE" not in stored
    assert mailroom.read_batch_pdf(batches[0]).startswith(b"%PDF")


def test_the_manifest_lists_references_ids_pages_and_postcodes_only(informed_file, lab_dpo):
    _campaign, batches = _launch_and_batch(informed_file, lab_dpo)
    manifest = exports.manifest_csv(batches[0])
    lines = manifest.strip().split("\r\n")

    assert lines[0] == "position;letter_reference;ledger_id;pages;postcode"
    assert len(lines) == 1 + batches[0].letters
    for notice in batches[0].notices.all():
        assert f"{notice.reference};{notice.pk};{notice.pages};{notice.postcode}" in manifest
    for exposure in EXPOSURES.values():
        assert exposure.label_fr not in manifest and exposure.label_en not in manifest


def test_the_cover_sheet_summarises_the_batch(informed_file, lab_dpo):
    _campaign, batches = _launch_and_batch(informed_file, lab_dpo)
    batch = batches[0]
    cover = _text([pdf_lines(mailroom.read_batch_pdf(batch))[0]])

    assert f"Lot {informed_file.controller.code}-0001" in cover
    assert str(batch.letters) in cover
    assert batch.postcode_first in cover and batch.postcode_last in cover
    assert "VIH" not in cover


def test_printed_then_posted_batches_move_their_letters_and_files_go_after_retention(informed_file, lab_dpo, settings):
    _campaign, batches = _launch_and_batch(informed_file, lab_dpo)
    batch = batches[0]

    with pytest.raises(campaigns.CampaignRefused):
        mailroom.mark_batch_posted(batch=batch, user=None, posted_on=timezone.localdate())
    mailroom.mark_batch_printed(batch=batch, user=None)
    with pytest.raises(campaigns.CampaignRefused):
        mailroom.mark_batch_posted(batch=batch, user=None, posted_on=timezone.localdate() + timedelta(days=1))
    posted = mailroom.mark_batch_posted(batch=batch, user=None, posted_on=timezone.localdate())

    assert posted.state == PrintBatch.State.POSTED
    assert set(batch.notices.values_list("state", flat=True)) == {NoticeState.POSTED}
    assert mailroom.purge_posted_batches() == 0
    path = Path(settings.PRIVATE_STORAGE_DIR, batch.file_path)
    assert path.is_file()
    later = timezone.now() + timedelta(days=settings.NOTICE_RETENTION_DAYS + 1)
    assert mailroom.purge_posted_batches(now=later) == 1
    assert not path.exists()
    batch.refresh_from_db()
    assert batch.state == PrintBatch.State.PURGED
    with pytest.raises(campaigns.CampaignRefused):
        mailroom.read_batch_pdf(batch)


def test_a_returned_letter_creates_the_email_notice_once_when_an_email_is_known(informed_file, lab_dpo):
    _campaign, batches = _launch_and_batch(informed_file, lab_dpo)
    for batch in batches:
        mailroom.mark_batch_printed(batch=batch, user=None)
        mailroom.mark_batch_posted(batch=batch, user=None, posted_on=timezone.localdate())
    # A person reached by post only: the return leaves them unreachable.
    post_only = Notice.objects.filter(channel="post", subject__has_email=False).first()
    organisations = informed_file.controller.__class__.objects.all()

    returned = mailroom.record_returned_letter(reference=post_only.reference, user=None, organisations=organisations)

    assert returned.state == NoticeState.RETURNED
    assert campaign_unreachable(informed_file).filter(subject=post_only.subject).exists()
    with pytest.raises(campaigns.CampaignRefused, match="déjà"):
        mailroom.record_returned_letter(reference=post_only.reference, user=None, organisations=organisations)


def campaign_unreachable(breach_file):
    return Campaign.objects.get(breach_file=breach_file).unreachable.all()


def test_a_returned_letter_of_an_email_only_launch_adds_the_email(breach_file, lab_dpo):
    make_subjects(breach_file, 2, email=True, post=True)
    decide_to_inform(breach_file, lab_dpo)
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post")
    campaign = Campaign.objects.get()
    batch = mailroom.build_print_batches(campaign_id=campaign.pk)[0]
    mailroom.mark_batch_printed(batch=batch, user=None)
    mailroom.mark_batch_posted(batch=batch, user=None, posted_on=date.today())
    letter = batch.notices.first()
    organisations = breach_file.controller.__class__.objects.all()

    mailroom.record_returned_letter(reference=f" {letter.reference.lower()} ", user=None, organisations=organisations)

    email = Notice.objects.get(subject=letter.subject, channel="email")
    assert email.origin == Notice.Origin.LETTER_RETURNED
    assert email.state == NoticeState.PENDING


def test_a_mistyped_reference_is_refused_with_a_clear_message(informed_file, lab_dpo):
    with pytest.raises(campaigns.CampaignRefused, match="clé"):
        mailroom.record_returned_letter(
            reference="1-0000001-P00", user=None, organisations=informed_file.controller.__class__.objects.all()
        )


def test_the_preview_is_a_letter_to_a_fictitious_person_with_the_text_as_it_stands(informed_file, lab_dpo):
    texts = notice_texts.notice_texts(informed_file)["fr"]
    informed_file.sensitive_detail = SensitiveDetail.INNER_PAGE
    content = letters.render_preview(
        breach_file=informed_file, language="fr", exposures=["identity", "hiv"], texts=texts
    )
    text = _text(pdf_lines(content))

    assert "Camille EXEMPLE" in text
    assert "Statut VIH" in text
    assert texts["what_happened"][:40] in text.replace("\n", " ")
    assert not DataSubject.objects.filter(breach_file=informed_file, notices__isnull=False).exists()
