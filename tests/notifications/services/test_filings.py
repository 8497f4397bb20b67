"""The CNIL filing in phases: completeness, late filings, the dossier task, submissions, complementary filings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from breachdesk.models import LateNotificationError
from breachdesk.taxonomy import Status
from notifications import cnil, storage
from notifications.models import Filing
from notifications.services import filings

pytestmark = pytest.mark.django_db


def test_a_complete_breach_file_has_no_missing_item(complete_breach_file):
    completeness = filings.check_completeness(breach_file=complete_breach_file, kind="initial")
    assert completeness.missing == []
    assert completeness.unknown == []
    assert completeness.is_complete
    assert not completeness.is_late


def test_the_completeness_check_lists_every_missing_mandatory_item_with_a_link_to_the_field(breach_file):
    breach_file.natures = []
    breach_file.person_categories = []
    breach_file.save()
    breach_file.controller.dpo_name = ""
    breach_file.controller.dpo_email = ""
    breach_file.controller.save()
    completeness = filings.check_completeness(breach_file=breach_file, kind="initial")
    missing = {gap.key: gap for gap in completeness.missing}
    # Art. 33(3)(a) to (d), and the DPO contact of (b).
    assert {
        "nature.natures",
        "persons.categories",
        "persons.count",
        "persons.records",
        "data.categories",
        "contact.name",
        "contact.email",
        "consequences.list",
        "consequences.severity",
        "measures.immediate",
    } <= set(missing)
    assert missing["nature.natures"].required_by == "Art. 33(3)(a)"
    assert missing["contact.email"].required_by == "Art. 33(3)(b)"
    assert missing["consequences.list"].required_by == "Art. 33(3)(c)"
    assert missing["measures.immediate"].required_by == "Art. 33(3)(d)"
    assert (
        cnil.edit_url(breach_file, missing["nature.natures"].edit) == "/files/INC-2021-0001/LAB-RENNES/edit/#id_natures"
    )
    assert cnil.edit_url(breach_file, missing["measures.immediate"].edit).endswith("/edit/#id_measures_immediate")
    assert cnil.edit_url(breach_file, missing["contact.email"].edit).endswith(
        f"/admin/breachdesk/organisation/{breach_file.controller_id}/change/#id_dpo_email"
    )
    # Nothing blocks an on-time filing: the initial notification may be incomplete (Art. 33(4)).
    assert completeness.blocking == []


def test_an_incomplete_initial_filing_is_allowed_and_says_so(breach_file, lab_dpo):
    filing = filings.prepare_filing(breach_file=breach_file, kind="initial", user=lab_dpo)
    assert not filing.is_complete
    assert {gap["key"] for gap in filing.missing} >= {"persons.count", "measures.immediate"}
    assert {gap["key"] for gap in filing.unknown} >= {"dates.start", "dates.discovery"}
    event = breach_file.events.get(kind="filing_prepared")
    assert "incomplète : notification échelonnée" in event.text


def test_a_late_filing_without_reasons_for_the_delay_is_refused(complete_breach_file, lab_dpo):
    complete_breach_file.became_aware_at = timezone.now() - timedelta(hours=73)
    complete_breach_file.save()
    completeness = filings.check_completeness(breach_file=complete_breach_file, kind="initial")
    assert completeness.is_late
    assert [gap.key for gap in completeness.blocking] == ["dates.delay_reasons"]
    with pytest.raises(LateNotificationError):
        filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    assert not Filing.objects.exists()

    complete_breach_file.delay_reasons = "La liste des patients ne nous a été transmise qu'au quatrième jour."
    complete_breach_file.save()
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    assert filing.is_late
    assert filing.snapshot["dates.late"] == "Oui"
    assert filing.snapshot["dates.delay_reasons"] == complete_breach_file.delay_reasons


def test_the_dossier_task_renders_the_pdf_into_the_private_storage_once(
    complete_breach_file, lab_dpo, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    assert len(callbacks) == 1
    filing.refresh_from_db()
    assert filing.state == Filing.State.READY
    path = Path(settings.PRIVATE_STORAGE_DIR, filing.pdf_path)
    assert path.is_file(), "a name in the private storage, relative to its directory"
    assert not path.read_bytes().startswith(b"%PDF"), "stored encrypted"
    assert storage.read_decrypted(filing.pdf_path).startswith(b"%PDF")
    assert filing.pdf_pages >= 3
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    first_modified = path.stat().st_mtime_ns
    # A second run (a redelivered task) finds it done.
    filings.generate_filing_dossier(filing_id=filing.pk)
    assert path.stat().st_mtime_ns == first_modified


def test_a_dossier_that_fails_to_render_is_marked_failed_and_can_be_queued_again(
    complete_breach_file, lab_dpo, monkeypatch
):
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(filings.pdf, "render_pdf", broken)
    filing = filings.generate_filing_dossier(filing_id=filing.pk)
    assert (filing.state, filing.error) == (Filing.State.FAILED, "OSError")
    monkeypatch.undo()
    filings.regenerate_filing_dossier(filing=filing, user=lab_dpo)
    filing.refresh_from_db()
    assert filing.state == Filing.State.PENDING
    assert filings.generate_filing_dossier(filing_id=filing.pk).state == Filing.State.READY


def test_recording_the_initial_submission_notifies_the_authority_and_moves_the_status(complete_breach_file, lab_dpo):
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    submitted_at = timezone.now() - timedelta(minutes=5)
    filings.record_submission(filing=filing, user=lab_dpo, submitted_at=submitted_at, case_number=" CNIL-2021-0042 ")
    filing.refresh_from_db()
    complete_breach_file.refresh_from_db()
    assert (filing.submitted_at, filing.cnil_case_number, filing.submission_recorded_by) == (
        submitted_at,
        "CNIL-2021-0042",
        lab_dpo,
    )
    assert complete_breach_file.authority_notified_at == submitted_at
    assert complete_breach_file.status == Status.NOTIFIED
    with pytest.raises(ValidationError, match="déjà enregistré"):
        filings.record_submission(filing=filing, user=lab_dpo, submitted_at=submitted_at, case_number="X")


def test_an_initial_submission_needs_the_case_number_and_a_plausible_time(complete_breach_file, lab_dpo):
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    with pytest.raises(ValidationError) as error:
        filings.record_submission(filing=filing, user=lab_dpo, submitted_at=timezone.now(), case_number="")
    assert "case_number" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        filings.record_submission(
            filing=filing, user=lab_dpo, submitted_at=timezone.now() + timedelta(days=1), case_number="C-1"
        )
    assert "submitted_at" in error.value.message_dict


def test_a_late_submission_needs_reasons_for_the_delay_then_records_them(complete_breach_file, lab_dpo):
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    late = complete_breach_file.authority_deadline + timedelta(hours=2)
    with pytest.raises(LateNotificationError):
        filings.record_submission(filing=filing, user=lab_dpo, submitted_at=late, case_number="C-1", now=late)
    filings.record_submission(
        filing=filing,
        user=lab_dpo,
        submitted_at=late,
        case_number="C-1",
        delay_reasons="Panne du téléservice.",
        now=late,
    )
    complete_breach_file.refresh_from_db()
    assert complete_breach_file.delay_reasons == "Panne du téléservice."


def file_initial(breach_file, user, case_number="CNIL-2021-0042"):
    filing = filings.prepare_filing(breach_file=breach_file, kind="initial", user=user)
    filings.record_submission(
        filing=filing, user=user, submitted_at=timezone.now() - timedelta(minutes=1), case_number=case_number
    )
    filing.refresh_from_db()
    return filing


def test_a_complementary_filing_references_the_initial_case_number_and_shows_the_changes(complete_breach_file, lab_dpo):
    initial = file_initial(complete_breach_file, lab_dpo)
    complete_breach_file.approximate_persons = 19002
    complete_breach_file.measures_long_term = "Chiffrement des exports ; revue annuelle du sous-traitant."
    complete_breach_file.save()
    complementary = filings.prepare_filing(breach_file=complete_breach_file, kind="complementary", user=lab_dpo)
    assert complementary.initial == initial
    assert complementary.initial_case_number == "CNIL-2021-0042"
    assert complementary.snapshot["notification.initial_case_number"] == "CNIL-2021-0042"
    assert complementary.previous == initial
    assert {change["key"]: (change["before"], change["after"]) for change in complementary.changes} == {
        "persons.count": ("18216", "19002"),
        "measures.long_term": (
            "Chiffrement des exports de migration.",
            "Chiffrement des exports ; revue annuelle du sous-traitant.",
        ),
    }
    filings.record_submission(filing=complementary, user=lab_dpo, submitted_at=timezone.now(), case_number="")
    complete_breach_file.refresh_from_db()
    complementary.refresh_from_db()
    assert complete_breach_file.status == Status.COMPLEMENTED
    assert complementary.cnil_case_number == "CNIL-2021-0042"
    # A second complementary filing compares with the latest one filed.
    complete_breach_file.ended_at = None
    complete_breach_file.save()
    second = filings.prepare_filing(breach_file=complete_breach_file, kind="complementary", user=lab_dpo)
    assert second.previous == complementary
    assert [change["key"] for change in second.changes] == ["dates.end"]
    assert second.version == 3


def test_a_complementary_filing_before_the_initial_submission_is_refused(complete_breach_file, lab_dpo):
    filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    with pytest.raises(ValidationError, match="enregistrez d'abord le dépôt de la notification initiale"):
        filings.prepare_filing(breach_file=complete_breach_file, kind="complementary", user=lab_dpo)


def test_a_second_initial_filing_is_refused_once_one_is_filed(complete_breach_file, lab_dpo):
    file_initial(complete_breach_file, lab_dpo)
    with pytest.raises(ValidationError, match="déjà été déposée"):
        filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    draft = Filing.objects.create(
        breach_file=complete_breach_file,
        kind="initial",
        version=9,
        template="cnil-teleservice",
        prepared_at=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Filing.objects.filter(pk=draft.pk).update(submitted_at=timezone.now(), cnil_case_number="OTHER")


def test_the_snapshot_keeps_what_was_filed_when_the_breach_file_changes(complete_breach_file, lab_dpo):
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    complete_breach_file.measures_immediate = "Autre chose"
    complete_breach_file.save()
    filing.refresh_from_db()
    assert filing.snapshot["measures.immediate"] == "Retrait du fichier demandé à l'hébergeur ; plainte déposée."


def test_the_snapshot_holds_counts_of_data_subjects_never_their_personal_data(complete_breach_file, lab_dpo):
    from tests.factories import DataSubjectFactory

    subjects = DataSubjectFactory.create_batch(3, breach_file=complete_breach_file, exposures=["identity", "hiv"])
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    dumped = str(filing.snapshot)
    for subject in subjects:
        personal = subject.personal
        name = f"{personal.first_name} {personal.last_name}"
        for value in filter(None, (name, personal.nir, personal.email, personal.patient_ref, personal.address_1)):
            assert value not in dumped
    assert "Personnes à informer : 3 (niveaux de risque élevé, très élevé)" in filing.snapshot["information.how"][0]
