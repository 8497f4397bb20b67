# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""The CNIL filing as the DPO files it: lateness at submission, awareness, persons informed from the ledger, content."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from breachdesk import assessment
from breachdesk.forms import BreachFileForm
from breachdesk.models import BreachFile, DataSubject, LateNotificationError
from breachdesk.taxonomy import Status
from notifications.models import Channel, Filing, Notice, NoticeState, PublicCommunication
from notifications.selectors.information import persons_informed
from notifications.services import campaigns, filings, information
from tests.notifications.campaign_fixtures import informed_file, make_subjects  # noqa: F401
from tests.notifications.conftest import fill_in
from tests.notifications.test_dossier_pdf import dossier_text

pytestmark = pytest.mark.django_db


def test_a_dossier_prepared_in_time_but_submitted_late_says_so_with_the_reasons(complete_breach_file, lab_dpo):
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    assert not filing.is_late
    assert "Notification au-delà de 72 heures Non" in dossier_text(filing)
    late = complete_breach_file.authority_deadline + timedelta(hours=3)
    with pytest.raises(LateNotificationError, match="après l'échéance"):
        filings.record_submission(filing=filing, user=lab_dpo, submitted_at=late, case_number="C-7", now=late)
    filings.record_submission(
        filing=filing,
        user=lab_dpo,
        submitted_at=late,
        case_number="C-7",
        delay_reasons="Le téléservice était indisponible le troisième jour.",
        now=late,
    )
    filing.refresh_from_db()
    assert filing.is_late
    assert filing.state == Filing.State.PENDING
    assert filing.snapshot["dates.late"] == "Oui"
    assert filing.snapshot["dates.delay_reasons"] == "Le téléservice était indisponible le troisième jour."
    text = dossier_text(filing)
    assert "Notification au-delà de 72 heures Oui" in text
    assert "Le téléservice était indisponible le troisième jour." in text
    assert "Notification au-delà du délai de 72 heures (article 33(1))" in text
    assert "numéro de dossier C-7" in text


def test_a_submission_in_time_leaves_the_dossier_as_it_was(complete_breach_file, lab_dpo):
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    filing = filings.generate_filing_dossier(filing_id=filing.pk)
    filings.record_submission(
        filing=filing, user=lab_dpo, submitted_at=timezone.now() - timedelta(minutes=1), case_number="C-1"
    )
    filing.refresh_from_db()
    assert (filing.is_late, filing.state, filing.snapshot["dates.late"]) == (False, Filing.State.READY, "Non")


def test_awareness_later_than_the_processors_notice_needs_a_justification(complete_breach_file, lab_dpo):
    complete_breach_file.processor_informed_at = complete_breach_file.became_aware_at - timedelta(hours=20)
    with pytest.raises(ValidationError) as error:
        complete_breach_file.full_clean()
    assert "late_awareness_reason" in error.value.message_dict
    form = BreachFileForm(
        data={
            **{
                name: value
                for name, value in BreachFileForm(instance=complete_breach_file, user=lab_dpo).initial.items()
                if value is not None
            },
            "became_aware_at": timezone.localtime(complete_breach_file.became_aware_at).strftime("%Y-%m-%dT%H:%M"),
            "processor_informed_at": timezone.localtime(complete_breach_file.processor_informed_at).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "late_awareness_reason": "",
        },
        instance=BreachFile.objects.get(pk=complete_breach_file.pk),
        user=lab_dpo,
    )
    assert not form.is_valid()
    assert "late_awareness_reason" in form.errors

    complete_breach_file.late_awareness_reason = "Le courriel de l'éditeur était arrivé dans une boîte non relevée."
    complete_breach_file.full_clean()
    complete_breach_file.save()
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    assert filing.snapshot["dates.late_awareness"] == complete_breach_file.late_awareness_reason
    assert "Le courriel de l'éditeur était arrivé dans une boîte non relevée." in dossier_text(filing)


def informed_and_filed(breach_file, user):
    """The 12-person file filled in, its initial filing submitted, the campaign launched by post and email."""
    fill_in(breach_file)
    assessment.record_decision(
        breach_file=breach_file, user=user, kind="notify_authority", outcome="notify", rationale="Santé."
    )
    initial = filings.prepare_filing(breach_file=breach_file, kind="initial", user=user)
    filings.record_submission(
        filing=initial, user=user, submitted_at=timezone.now() - timedelta(minutes=5), case_number="CNIL-2021-0042"
    )
    return campaigns.launch_campaign(breach_file=breach_file, user=user, channels=["post", "email"]).campaign


def deliver(campaign, *, posted_on, sent_at, returned=0, bounced=0):
    """Play the mailroom and the SMTP server: letters posted (some returned), emails sent (some bounced)."""
    letters = list(Notice.objects.filter(campaign=campaign, channel=Channel.POST).order_by("pk"))
    emails = list(Notice.objects.filter(campaign=campaign, channel=Channel.EMAIL).order_by("pk"))
    Notice.objects.filter(pk__in=[n.pk for n in letters]).update(state=NoticeState.POSTED, posted_on=posted_on)
    Notice.objects.filter(pk__in=[n.pk for n in letters[:returned]]).update(state=NoticeState.RETURNED)
    Notice.objects.filter(pk__in=[n.pk for n in emails]).update(state=NoticeState.SENT, sent_at=sent_at)
    Notice.objects.filter(pk__in=[n.pk for n in emails[:bounced]]).update(state=NoticeState.BOUNCED)
    return letters, emails


def test_a_complementary_filing_after_a_campaign_carries_the_counts_and_dates_from_the_ledger(informed_file, lab_dpo):
    campaign = informed_and_filed(informed_file, lab_dpo)
    now = timezone.now()
    letters, emails = deliver(
        campaign, posted_on=timezone.localdate(now) - timedelta(days=2), sent_at=now - timedelta(days=1), returned=1
    )
    complementary = filings.prepare_filing(breach_file=informed_file, kind="complementary", user=lab_dpo)
    text = dossier_text(complementary)
    assert f"Courriers postés : {len(letters)} ; courriers revenus (NPAI) : 1" in text
    assert f"E-mails envoyés : {len(emails)} ; e-mails revenus en erreur ou refusés : 0" in text
    assert "Personnes injoignables (ni adresse ni e-mail utilisable) : 1" in text
    first = (timezone.localdate(now) - timedelta(days=2)).strftime("%d/%m/%Y")
    last = timezone.localtime(now - timedelta(days=1)).strftime("%d/%m/%Y")
    assert f"Premier envoi le {first} ; dernier envoi le {last}" in text
    assert "Modèle de courrier en français : joint en annexe" in text
    assert "Modèle d'e-mail en anglais : joint en annexe" in text
    assert "— E-mail en anglais —" in text
    # The model letters follow the dossier's own pages, one per language the campaign uses.
    complementary.refresh_from_db()
    assert (
        complementary.pdf_pages
        > filings.pdf.render_pdf(
            "notifications/pdf/dossier.html", filings.dossier_context(complementary), author="Laboratoire"
        ).pages
    )


def test_the_breach_file_is_informed_once_every_covered_person_is_told_or_reached_by_a_public_notice(
    informed_file, lab_dpo
):
    campaign = informed_and_filed(informed_file, lab_dpo)
    deliver(campaign, posted_on=timezone.localdate(), sent_at=timezone.now())
    informed = persons_informed(informed_file)
    # The one person with neither address nor email is not told yet.
    assert (informed.covered, informed.told, informed.unreachable) == (12, 11, 1)
    assert not information.record_subjects_informed(breach_file=informed_file, user=lab_dpo)

    with pytest.raises(ValidationError) as error:
        information.record_public_communication(
            breach_file=informed_file,
            user=lab_dpo,
            text="Avis",
            medium="website",
            published_on=timezone.localdate() + timedelta(days=2),
        )
    assert "published_on" in error.value.message_dict
    communication = information.record_public_communication(
        breach_file=informed_file,
        user=lab_dpo,
        text="Avis aux patients : un fichier a été publié en ligne ; appelez le 02 99 00 00 00.",
        medium="website",
        medium_detail="https://labo.example.org/avis",
        published_on=timezone.localdate(),
    )
    assert communication.unreachable_count == 1
    informed_file.refresh_from_db()
    assert informed_file.status == Status.SUBJECTS_INFORMED
    steps = [event.kind for event in informed_file.events.order_by("at", "pk")]
    assert steps[-2:] == ["public_communication", "subjects_informed"]
    assert "11 sur 12" in informed_file.events.get(kind="subjects_informed").text
    complementary = filings.prepare_filing(breach_file=informed_file, kind="complementary", user=lab_dpo)
    assert complementary.snapshot["information.status"] == "Oui, les personnes ont été informées"
    assert (
        "site internet de l'organisme (https://labo.example.org/avis)"
        in complementary.snapshot["information.public"][0]
    )


def test_a_public_communication_for_the_whole_file_is_the_exemption_not_a_complement(breach_file, lab_dpo):
    with pytest.raises(ValidationError, match="lancez d'abord l'information des personnes"):
        information.record_public_communication(
            breach_file=breach_file, user=lab_dpo, text="Avis", medium="press", published_on=date.today()
        )
    assert not PublicCommunication.objects.exists()


def test_a_complementary_filing_with_nothing_new_is_refused(complete_breach_file, lab_dpo):
    initial = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    filings.record_submission(
        filing=initial, user=lab_dpo, submitted_at=timezone.now() - timedelta(minutes=1), case_number="C-1"
    )
    with pytest.raises(ValidationError, match="Rien n'a changé depuis la notification déposée") as error:
        filings.prepare_filing(breach_file=complete_breach_file, kind="complementary", user=lab_dpo)
    assert error.value.code == "nothing_new"
    assert Filing.objects.count() == 1


def test_the_filing_declares_the_minors_and_the_persons_in_other_member_states(complete_breach_file, lab_dpo):
    make_subjects(complete_breach_file, 5)
    pks = list(DataSubject.objects.filter(breach_file=complete_breach_file).values_list("pk", flat=True))
    DataSubject.objects.filter(pk=pks[0]).update(age_group="child")
    DataSubject.objects.filter(pk=pks[1]).update(age_group="adolescent", country="BE")
    DataSubject.objects.filter(pk=pks[2]).update(country="BE")
    DataSubject.objects.filter(pk=pks[3]).update(country="CH")
    complete_breach_file.person_categories = ["patients", "vulnerable"]
    complete_breach_file.save()
    values = filings.check_completeness(breach_file=complete_breach_file, kind="initial").values
    assert values["persons.categories"] == ["Patients", "Personnes vulnérables", "Mineurs (2)"]
    assert values["persons.minors"] == "2"
    assert values["cross_border.member_states"] == ["Belgique : 2", "Hors de l'Union européenne : 1"]


def test_the_new_content_reaches_the_dossier_and_people_are_named_by_name_and_role(complete_breach_file, lab_dpo):
    lab_dpo.first_name, lab_dpo.last_name = "Claire", "Delegue"
    lab_dpo.save()
    complete_breach_file.data_categories = ["health", "sex_life", "biometric", "racial_ethnic", "connection"]
    complete_breach_file.complaint_filed_on = date(2021, 2, 25)
    complete_breach_file.complaint_filed_with = "Commissariat de Rennes"
    complete_breach_file.other_bodies_informed = ["ars_cert_sante", "insurer"]
    complete_breach_file.other_bodies_detail = "Déclaration sur le portail de signalement le 24/02/2021."
    complete_breach_file.save()
    filing = filings.prepare_filing(breach_file=complete_breach_file, kind="initial", user=lab_dpo)
    text = dossier_text(filing)
    for expected in [
        "Un fichier de patients extrait de l'outil de migration de l'éditeur a été publié en ligne.",
        "Accès nominatifs à l'outil de migration ; journalisation des exports.",
        "Ligne d'écoute pour les patients ; vigilance face à l'hameçonnage ciblé.",
        "Nombre approximatif d'enregistrements concernés 18216",
        "Vie sexuelle ou orientation sexuelle (catégorie particulière)",
        "Données biométriques (catégorie particulière)",
        "Origine raciale ou ethnique (catégorie particulière)",
        "Données de connexion (adresses IP, journaux)",
        "Oui, le 25/02/2021 auprès de : Commissariat de Rennes",
        "ARS et CERT Santé (article L.1111-8-2 du code de la santé publique)",
        "Assureur",
        "Précisions : Déclaration sur le portail de signalement le 24/02/2021.",
        "par Claire Delegue, délégué à la protection des données",
    ]:
        assert expected in text, expected
    assert "dpo.rennes" not in text
