"""Art. 33(2): the processor's one action notifies each of the 27 labs once, each keeping its own clock."""

from __future__ import annotations

import io
import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from breachdesk.models import Role
from breachdesk.synthetic import PLACES, lab_code
from notifications import storage
from notifications.models import EmailState, ProcessorNotice
from notifications.services import processor_notices, sweeps
from tests.factories import BreachFileFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def twenty_seven_labs(incident):
    """The 27 labs of the demo, each aware at its own time, each with a DPO user besides its DPO address."""
    now = timezone.now()
    breach_files = []
    for index, place in enumerate(PLACES):
        code = lab_code(place)
        lab = OrganisationFactory(code=code, name=f"Laboratoire de {place.city}")
        UserFactory(
            username=f"dpo.{code.lower()}",
            role=Role.DPO,
            organisation=lab,
            email=f"dpo.user@{code.lower()}.example.org",
        )
        breach_files.append(
            BreachFileFactory(incident=incident, controller=lab, became_aware_at=now - timedelta(hours=index + 1))
        )
    return breach_files


def test_one_action_notifies_each_of_the_27_labs_once_even_when_run_twice(
    twenty_seven_labs, compliance_officer, eager_tasks, django_capture_on_commit_callbacks
):
    awareness = {breach_file.pk: breach_file.became_aware_at for breach_file in twenty_seven_labs}
    with django_capture_on_commit_callbacks(execute=True):
        first = processor_notices.notify_controllers(incident=twenty_seven_labs[0].incident, user=compliance_officer)
    assert len(first.queued) == 27
    assert len(mail.outbox) == 27
    recipients = sorted(tuple(message.to) for message in mail.outbox)
    assert len(set(recipients)) == 27
    for message in mail.outbox:
        code = message.subject.rsplit("/ ", 1)[1]
        assert message.to == [f"dpo@{code.lower()}.example.org", f"dpo.user@{code.lower()}.example.org"]
        assert message.subject.startswith("[BreachDesk] Notification d'une violation par le sous-traitant (art. 33(2))")
        (filename, content, mimetype) = message.attachments[0]
        assert filename == f"notification-INC-2021-0001-{code}.pdf" and mimetype == "application/pdf"
        letter = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
        assert "article 33(2) du RGPD" in letter

    with django_capture_on_commit_callbacks(execute=True):
        second = processor_notices.notify_controllers(incident=twenty_seven_labs[0].incident, user=compliance_officer)
    assert (len(second.queued), len(second.requeued), len(second.already_informed)) == (0, 0, 27)
    assert len(mail.outbox) == 27

    notices = ProcessorNotice.objects.select_related("breach_file")
    assert notices.count() == 27
    for notice in notices:
        breach_file = notice.breach_file
        assert notice.email.state == EmailState.SENT
        assert notice.email.attempts == 1
        assert storage.exists(notice.letter_path)
        assert breach_file.processor_informed_at == notice.informed_at
        # Each controller's clock stays its own awareness.
        assert breach_file.became_aware_at == awareness[breach_file.pk]
        assert breach_file.events.filter(kind="processor_informed").count() == 1


def test_a_task_delivered_twice_sends_the_notice_once(breach_file, compliance_officer):
    result = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer)
    notice = result.queued[0]
    processor_notices.deliver_processor_notice(notice_id=notice.pk)
    processor_notices.deliver_processor_notice(notice_id=notice.pk)
    assert len(mail.outbox) == 1


def test_a_notice_refused_by_the_mail_server_is_retried_by_the_next_run_without_duplicates(
    breach_file, compliance_officer, monkeypatch
):
    result = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer)
    notice = result.queued[0]

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPConnectError(421, "try later")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMessage.send", refuse)
        processor_notices.deliver_processor_notice(notice_id=notice.pk)
    notice.refresh_from_db()
    assert (notice.email.state, notice.email.last_error, notice.informed_at) == ("failed", "SMTPConnectError", None)
    breach_file.refresh_from_db()
    assert breach_file.processor_informed_at is None

    again = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer)
    assert [n.pk for n in again.requeued] == [notice.pk]
    processor_notices.deliver_processor_notice(notice_id=notice.pk)
    notice.refresh_from_db()
    assert (notice.email.state, notice.email.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


def test_a_notice_whose_connection_broke_mid_send_is_never_resent_automatically(
    breach_file, compliance_officer, monkeypatch
):
    notice = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer).queued[0]

    def cut(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection lost after DATA")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMessage.send", cut)
        processor_notices.deliver_processor_notice(notice_id=notice.pk)
    notice.refresh_from_db()
    assert notice.email.state == "unknown"
    assert processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer).waiting == [
        notice
    ]
    sweeps.sweep_outbound_emails(now=timezone.now() + timedelta(hours=1))
    processor_notices.deliver_processor_notice(notice_id=notice.pk)
    assert len(mail.outbox) == 0


def test_the_fan_out_reaches_only_the_labs_the_user_oversees(breach_file, outside_breach_file, compliance_officer):
    result = processor_notices.notify_controllers(incident=breach_file.incident, user=compliance_officer)
    assert [notice.breach_file for notice in result.queued] == [breach_file]


def test_an_incident_without_processor_has_no_fan_out(breach_file, compliance_officer):
    from django.core.exceptions import ValidationError

    incident = breach_file.incident
    incident.processor = None
    incident.save()
    with pytest.raises(ValidationError):
        processor_notices.notify_controllers(incident=incident, user=compliance_officer)


def test_a_lab_without_any_dpo_address_is_reported_not_silently_skipped(incident, compliance_officer):
    lab = OrganisationFactory(code="LAB-VANNES", dpo_email="")
    breach_file = BreachFileFactory(incident=incident, controller=lab)
    notice = processor_notices.notify_controllers(incident=incident, user=compliance_officer).queued[0]
    processor_notices.deliver_processor_notice(notice_id=notice.pk)
    notice.refresh_from_db()
    assert (notice.email.state, notice.email.last_error) == ("failed", "no DPO address")
    assert storage.exists(notice.letter_path)  # the letter can still be posted
    breach_file.refresh_from_db()
    assert breach_file.processor_informed_at is None


def test_a_notice_is_refused_while_the_processor_side_of_the_incident_is_empty(breach_file, compliance_officer):
    from django.core.exceptions import ValidationError

    incident = breach_file.incident
    incident.processor_became_aware_at = None
    incident.processor_measures = "  "
    incident.save()
    with pytest.raises(ValidationError) as error:
        processor_notices.notify_controllers(incident=incident, user=compliance_officer)
    message = " ".join(error.value.messages)
    assert "sous-traitant" in message
    assert "pris connaissance" in message and "mesures" in message
    assert not ProcessorNotice.objects.exists()


def test_the_notice_tells_the_processors_own_awareness_in_paris_time_and_its_account(breach_file, compliance_officer):
    incident = breach_file.incident
    # 23 February 2021, 09:30 UTC is 10:30 in Paris (winter time).
    incident.processor_became_aware_at = datetime(2021, 2, 23, 9, 30, tzinfo=UTC)
    incident.processor_account = "Un export de migration a été publié sur un forum par un tiers."
    incident.processor_measures = "Serveur de migration arrêté le jour même."
    incident.save()
    breach_file.measures_immediate = "Mesure propre au laboratoire, à ne pas recopier."
    breach_file.save()
    notice = processor_notices.notify_controllers(incident=incident, user=compliance_officer).queued[0]
    processor_notices.deliver_processor_notice(notice_id=notice.pk)
    (message,) = mail.outbox
    body = message.body
    letter = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(message.attachments[0][1])).pages).replace(
        "\n", " "
    )
    for text in (body.replace("\n", " "), letter):
        assert "23/02/2021 10:30 (heure de Paris)" in text
        assert "publié sur un forum par un tiers" in text
        assert "Serveur de migration arrêté" in text
        assert "dès que son sous-traitant l'en a informé" in text
        assert "à partir du moment où vous avez pris connaissance" not in text
        assert "Mesure propre au laboratoire" not in text


def test_the_notices_page_says_what_is_missing_before_the_controllers_can_be_notified(
    client, breach_file, compliance_officer
):
    incident = breach_file.incident
    incident.processor_account = ""
    incident.save()
    client.force_login(compliance_officer)
    page = client.get(f"/incidents/{incident.reference}/processor-notices/").content.decode()
    assert 'data-testid="processor-side-missing"' in page
    confirm_page = client.get(f"/incidents/{incident.reference}/processor-notices/confirm/").content.decode()
    assert 'data-testid="processor-side-missing"' in confirm_page and "disabled" in confirm_page
    response = client.post(
        f"/incidents/{incident.reference}/processor-notices/", {"confirming": "1", "confirm": "on"}, follow=True
    )
    assert "renseignez le côté sous-traitant" in response.content.decode().replace("&#x27;", "'")
    assert not ProcessorNotice.objects.exists()


def test_notifying_the_controllers_names_them_first_and_sends_nothing_without_the_tick(
    client, breach_file, other_breach_file, compliance_officer
):
    url = f"/incidents/{breach_file.incident.reference}/processor-notices/"
    client.force_login(compliance_officer)

    page = client.get(url + "confirm/").content.decode()
    not_confirmed = client.post(url)
    unticked = client.post(url, {"confirming": "1"})

    assert "Un courrier et un e-mail partent vers le DPO de chacun des 2 responsables du traitement" in page
    assert breach_file.controller.name in page and other_breach_file.controller.name in page
    assert "Notifier 2 responsables du traitement" in page
    assert not_confirmed.status_code == 302 and not_confirmed["Location"] == url + "confirm/"
    assert unticked.status_code == 200 and "Ce champ est obligatoire" in unticked.content.decode()
    assert not ProcessorNotice.objects.exists()

    confirmed = client.post(url, {"confirming": "1", "confirm": "on"}, follow=True)

    assert "Avis mis en file d&#x27;envoi : 2" in confirmed.content.decode()
    assert ProcessorNotice.objects.count() == 2


def test_the_confirmation_tells_which_controllers_are_notified_retried_left_or_already_informed(
    breach_file, other_breach_file, compliance_officer, monkeypatch
):
    from notifications.selectors.processor_notices import fan_out_preview

    incident = breach_file.incident
    notice = processor_notices.notify_controllers(incident=incident, user=compliance_officer).queued[0]
    processor_notices.deliver_processor_notice(notice_id=notice.pk)
    other = ProcessorNotice.objects.exclude(pk=notice.pk).get()

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPConnectError(421, "try later")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMessage.send", refuse)
        processor_notices.deliver_processor_notice(notice_id=other.pk)
    third = BreachFileFactory(incident=incident, controller=OrganisationFactory(code="LAB-VANNES"))

    preview = fan_out_preview(incident=incident, user=compliance_officer)

    assert preview.already_informed == [notice.breach_file]
    assert preview.to_retry == [other.breach_file]
    assert preview.to_notify == [third]
    assert preview.acting_on == 2
