# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""A person whose stored data cannot be decrypted fails alone: the batch, the fallback and the exports go on."""

from __future__ import annotations

import csv
import io

import pikepdf
import pytest
from django.utils import timezone

from breachdesk import crypto
from breachdesk.models import DataSubject
from notifications.models import Campaign, Notice, NoticeEvent, NoticeState, PrintBatch
from notifications.selectors import exports
from notifications.selectors.information import informing_progress, persons_informed
from notifications.selectors.progress import campaign_progress
from notifications.services import campaigns, mailroom
from tests.notifications.campaign_fixtures import (  # noqa: F401
    corrupt_token,
    decide_to_inform,
    informed_file,
    make_subjects,
)


@pytest.fixture
def letters_launched(breach_file, lab_dpo) -> Campaign:
    make_subjects(breach_file, 5, email=False, post=True)
    decide_to_inform(breach_file, lab_dpo)
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post")
    return Campaign.objects.get(breach_file=breach_file)


def test_reading_a_damaged_token_raises_unreadable_data_naming_the_row_and_no_value(breach_file):
    subject = make_subjects(breach_file, 1, post=True)[0]
    last_name = subject.personal.last_name
    corrupt_token(subject)

    with pytest.raises(crypto.UnreadableData) as raised:
        _ = DataSubject.objects.get(pk=subject.pk).personal

    assert raised.value.table == DataSubject._meta.db_table and raised.value.pk == subject.pk
    assert str(subject.pk) in str(raised.value) and last_name not in str(raised.value)
    assert isinstance(raised.value, crypto.DecryptionError)
    assert DataSubject.objects.get(pk=subject.pk).readable_personal is None


def test_a_batch_with_one_unreadable_person_renders_the_others_and_sets_that_letter_aside(letters_launched):
    letters = list(letters_launched.notices.order_by("postcode", "pk"))
    damaged = letters[0]
    corrupt_token(damaged.subject)

    made = mailroom.build_print_batches(campaign_id=letters_launched.pk)

    assert len(made) == 1
    batch = PrintBatch.objects.get(pk=made[0].pk)
    assert batch.state == PrintBatch.State.READY
    assert batch.letters == 4 == batch.notices.count()
    assert (batch.postcode_first, batch.postcode_last) == (letters[1].postcode, letters[-1].postcode)
    damaged.refresh_from_db()
    assert damaged.state == NoticeState.UNREADABLE and damaged.batch_id is None
    assert damaged.last_error == "unreadable"
    event = NoticeEvent.objects.filter(notice=damaged).last()
    assert (event.from_state, event.to_state, event.error) == (
        NoticeState.RENDERING,
        NoticeState.UNREADABLE,
        "unreadable",
    )
    others = batch.notices.all()
    assert {notice.state for notice in others} == {NoticeState.READY}
    # The PDF WeasyPrint and pikepdf made holds the cover and the four letters, and the manifest says so.
    with pikepdf.open(io.BytesIO(mailroom.read_batch_pdf(batch))) as pdf:
        assert len(pdf.pages) == batch.pages
    cover_pages = batch.pages - sum(notice.pages for notice in others)
    assert cover_pages >= 1 and all(notice.pages >= 1 for notice in others)
    rows = list(csv.reader(io.StringIO(exports.manifest_csv(batch)), delimiter=";"))
    assert [row[1] for row in rows[1:]] == [notice.reference for notice in letters if notice.pk != damaged.pk]
    assert campaign_progress(letters_launched)["channels"]["post"]["states"][-1] == {
        "state": NoticeState.UNREADABLE,
        "label": "Données illisibles",
        "count": 1,
    }


def test_a_batch_of_unreadable_persons_only_is_not_left_rendering(letters_launched):
    for notice in letters_launched.notices.all():
        corrupt_token(notice.subject)

    made = mailroom.build_print_batches(campaign_id=letters_launched.pk)

    assert len(made) == 1 and made[0].letters == 0
    assert not PrintBatch.objects.filter(campaign=letters_launched).exists()
    assert set(letters_launched.notices.values_list("state", flat=True)) == {NoticeState.UNREADABLE}
    assert mailroom.build_print_batches(campaign_id=letters_launched.pk) == []


def test_a_stalled_batch_rendered_again_by_the_sweep_completes_despite_an_unreadable_person(letters_launched):
    batch = mailroom.claim_print_batch(campaign_id=letters_launched.pk)
    corrupt_token(batch.notices.first().subject)
    PrintBatch.objects.filter(pk=batch.pk).update(claimed_at=timezone.now() - timezone.timedelta(hours=1))

    token = mailroom.claim_stale_batch(batch_id=batch.pk)
    mailroom.render_print_batch(batch_id=batch.pk, token=token)

    batch.refresh_from_db()
    assert batch.state == PrintBatch.State.READY and batch.letters == 4
    assert letters_launched.notices.filter(state=NoticeState.UNREADABLE).count() == 1


def test_a_returned_letter_of_an_unreadable_person_gets_an_unreadable_email_not_an_error(breach_file, lab_dpo):
    subject = make_subjects(breach_file, 1, email=True, post=True)[0]
    decide_to_inform(breach_file, lab_dpo)
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post")
    letter = Notice.objects.get(subject=subject, channel="post")
    Notice.objects.filter(pk=letter.pk).update(state=NoticeState.POSTED)
    corrupt_token(subject)

    mailroom.record_returned_letter(
        reference=letter.reference, user=None, organisations=type(breach_file.controller).objects.all()
    )

    email = Notice.objects.get(subject=subject, channel="email")
    assert email.state == NoticeState.UNREADABLE and email.last_error == "unreadable"
    assert NoticeEvent.objects.get(notice=email).to_state == NoticeState.UNREADABLE
    letter.refresh_from_db()
    assert letter.state == NoticeState.RETURNED


def test_the_ledger_export_marks_the_unreadable_row_and_lists_every_notice(informed_file, lab_dpo):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    notices = list(Notice.objects.filter(breach_file=informed_file).order_by("pk"))
    damaged = notices[3]
    corrupt_token(damaged.subject)

    rows = list(exports.ledger_rows(informed_file, language="fr"))

    assert [row[0] for row in rows] == [notice.pk for notice in notices]
    marked = [row for row in rows if row[2] == damaged.subject_id]
    assert marked and all(row[3] == "(données illisibles)" for row in marked)
    readable = [row for row in rows if row[2] != damaged.subject_id]
    assert all(row[3] and row[3] != "(données illisibles)" for row in readable)


def test_the_campaign_counts_unreadable_notices_apart_and_never_as_told(letters_launched):
    corrupt_token(letters_launched.notices.first().subject)
    mailroom.build_print_batches(campaign_id=letters_launched.pk)

    progress = campaign_progress(letters_launched)
    informed = persons_informed(letters_launched.breach_file)
    dashboard = informing_progress([letters_launched.breach_file_id])[letters_launched.breach_file_id]

    assert progress["unreadable"] == 1 and progress["channels"]["post"]["done"] == 1
    assert informed.unreadable == 1 and informed.told == 0 and informed.in_progress == 4
    assert (dashboard.unreadable, dashboard.told, dashboard.persons) == (1, 0, 5)


def test_a_launch_with_one_unreadable_person_fills_the_others_and_sets_that_person_aside(breach_file, lab_dpo):
    subjects = make_subjects(breach_file, 6, email=True, post=True)
    decide_to_inform(breach_file, lab_dpo)
    damaged = subjects[2]
    corrupt_token(damaged)

    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post,email")

    campaign = Campaign.objects.get(breach_file=breach_file)
    theirs = Notice.objects.filter(subject_id=damaged.pk)
    assert {(notice.channel, notice.state, notice.last_error) for notice in theirs} == {
        ("post", NoticeState.UNREADABLE, "unreadable"),
        ("email", NoticeState.UNREADABLE, "unreadable"),
    }
    others = Notice.objects.exclude(subject_id=damaged.pk)
    assert others.count() == 10 and set(others.values_list("state", flat=True)) == {NoticeState.PENDING}
    assert campaign.populated_at is not None
    # Launching again creates nothing new, and the person stays set aside.
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post,email")
    assert Notice.objects.count() == 12
