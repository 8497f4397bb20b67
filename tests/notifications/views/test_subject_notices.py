# ruff: noqa: F811  (pytest fixtures imported from campaign_fixtures)
"""A person's notices on the subject page, the list's ledger filters, and a returned letter sent again once."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from breachdesk.models import AuditEvent, DataSubject
from notifications.models import Campaign, Notice, NoticeState, UnreachableSubject
from notifications.services import campaigns, ledger, mailroom
from notifications.services.references import is_letter_reference, make_reference, normalise_reference
from tests.notifications.campaign_fixtures import decide_to_inform, informed_file, make_subjects  # noqa: F401

pytestmark = pytest.mark.django_db


def subject_url(subject: DataSubject, name: str = "subject_detail") -> str:
    breach_file = subject.breach_file
    return reverse(name, args=[breach_file.incident.reference, breach_file.controller.code, subject.pk])


def send_again_url(notice: Notice) -> str:
    breach_file = notice.breach_file
    return reverse(
        "notifications:notice_send_again",
        args=[breach_file.incident.reference, breach_file.controller.code, notice.pk],
    )


def post_everything(lab_dpo, mailroom_operator) -> None:
    campaign = Campaign.objects.get()
    for batch in mailroom.build_print_batches(campaign_id=campaign.pk):
        mailroom.mark_batch_printed(batch=batch, user=mailroom_operator)
        mailroom.mark_batch_posted(batch=batch, user=mailroom_operator, posted_on=timezone.localdate())


@pytest.fixture
def returned_letter(informed_file, lab_dpo, mailroom_operator) -> Notice:
    """A letter to a person with no email, posted and brought back by La Poste: every channel failed."""
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    post_everything(lab_dpo, mailroom_operator)
    letter = Notice.objects.filter(channel="post", subject__has_email=False).order_by("pk").first()
    assert letter is not None
    mailroom.record_returned_letter(
        reference=letter.reference, user=mailroom_operator, organisations=mailroom_operator.mailroom_organisations()
    )
    letter.refresh_from_db()
    assert letter.state == NoticeState.RETURNED
    return letter


def correct_address(client, subject: DataSubject) -> None:
    response = client.post(
        subject_url(subject, "subject_contact"),
        {"address_1": "8 quai Duguay-Trouin", "postcode": "35000", "city": "Rennes", "email": ""},
    )
    assert response.status_code == 302


def test_the_subject_page_shows_the_letter_printed_posted_and_returned_with_its_reference(
    client, lab_dpo, returned_letter
):
    client.force_login(lab_dpo)
    html = client.get(subject_url(returned_letter.subject)).content.decode()
    history = html.split('data-testid="notice-history"')[1]
    assert returned_letter.reference in history
    for step in ("Courrier imprimé", "Courrier posté", "Courrier retourné"):
        assert step in history, step
    assert "Corrigez d" in history  # the way forward is named: correct the address first
    assert "Renvoyer le courrier" not in history


def test_a_returned_letter_goes_again_once_after_the_address_is_corrected(
    client, lab_dpo, returned_letter, mailroom_operator
):
    subject = returned_letter.subject
    client.force_login(lab_dpo)
    assert UnreachableSubject.objects.filter(subject=subject, reason="all_failed").exists()
    # Before any correction the same address would only come back again.
    client.post(send_again_url(returned_letter))
    assert Notice.objects.filter(subject=subject, channel="post").count() == 1

    correct_address(client, subject)
    html = client.get(subject_url(subject)).content.decode()
    assert "Renvoyer le courrier" in html
    response = client.post(send_again_url(returned_letter))
    assert response.status_code == 302 and response["Location"] == subject_url(subject)
    resent = Notice.objects.get(resend_of=returned_letter)
    assert resent.state == NoticeState.PENDING and resent.channel == "post" and resent.origin == "resent"
    assert resent.reference == make_reference(subject.breach_file_id, subject.pk, "post", sequence=2)
    assert resent.reference.endswith("-2") and resent.postcode == "35000"
    assert not UnreachableSubject.objects.filter(subject=subject).exists()
    assert AuditEvent.objects.filter(
        action="create",
        object_type="notice",
        object_id=str(resent.pk),
        detail=f"sent again after notice {returned_letter.pk}",
    ).exists()

    # Never a second letter for one return.
    client.post(send_again_url(returned_letter))
    assert Notice.objects.filter(subject=subject, channel="post").count() == 2
    with pytest.raises(ledger.ResendRefused):
        ledger.send_again(breach_file=subject.breach_file, notice_id=returned_letter.pk, user=lab_dpo)

    # The new letter goes through the print batches, and its own return is recorded by its reference.
    post_everything(lab_dpo, mailroom_operator)
    resent.refresh_from_db()
    assert resent.state == NoticeState.POSTED
    mailroom.record_returned_letter(
        reference=resent.reference.lower(),
        user=mailroom_operator,
        organisations=mailroom_operator.mailroom_organisations(),
    )
    resent.refresh_from_db()
    assert resent.state == NoticeState.RETURNED
    html = client.get(subject_url(subject)).content.decode()
    assert f"Renvoyé sous la référence {resent.reference}" in html


def test_only_the_lab_dpo_may_send_again(client, returned_letter, lab_dpo, mailroom_operator, other_lab_dpo):
    client.force_login(lab_dpo)
    correct_address(client, returned_letter.subject)
    for user in (mailroom_operator, other_lab_dpo):
        client.force_login(user)
        assert client.post(send_again_url(returned_letter)).status_code == 404
    assert not Notice.objects.filter(resend_of=returned_letter).exists()


def test_a_bounced_email_goes_again_after_the_email_is_corrected(client, informed_file, lab_dpo):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="email")
    email = Notice.objects.filter(channel="email").order_by("pk").first()
    Notice.objects.filter(pk=email.pk).update(state=NoticeState.SENT, sent_at=timezone.now())
    ledger.record_bounce_of_notice(notice_id=email.pk)
    client.force_login(lab_dpo)
    subject = email.subject
    client.post(
        subject_url(subject, "subject_contact"),
        {
            **{name: getattr(subject.personal, name) for name in ("address_1", "postcode", "city")},
            "email": "new@example.org",
        },
    )
    html = client.get(subject_url(subject)).content.decode()
    assert "Renvoyer l\u2019e-mail" in html
    client.post(send_again_url(email))
    resent = Notice.objects.get(resend_of=email)
    assert resent.channel == "email" and resent.reference.endswith("-2")


def test_a_resent_reference_keeps_its_check_key():
    reference = make_reference(12, 345, "post", sequence=3)
    assert reference.startswith("12-0000345-P") and reference.endswith("-3")
    assert normalise_reference(f" {reference.lower()} ") == reference
    assert is_letter_reference(reference)
    assert normalise_reference(reference[:-1] + "4") is None
    assert make_reference(12, 345, "post") == normalise_reference(make_reference(12, 345, "post"))
    assert normalise_reference(make_reference(12, 345, "post") + "-1") is None


def test_the_subject_list_filters_by_notice_state_and_unreachable_reason(client, lab_dpo, returned_letter):
    breach_file = returned_letter.breach_file
    client.force_login(lab_dpo)
    url = reverse("subject_list", args=[breach_file.incident.reference, breach_file.controller.code])

    def listed(**filters: str) -> set[int]:
        return {row.subject.pk for row in client.get(url, filters).context["rows"]}

    assert listed(notice="returned") == {returned_letter.subject_id}
    assert listed(unreachable_reason="all_failed") == {returned_letter.subject_id}
    unreached = set(UnreachableSubject.objects.filter(reason="no_channel").values_list("subject_id", flat=True))
    assert listed(notice="none") == unreached and unreached
    assert listed(notice="posted") == set(Notice.objects.filter(state="posted").values_list("subject_id", flat=True))
    html = client.get(url, {"notice": "returned"}).content.decode()
    assert "Courrier retourné" in html  # the notices column names the state


def test_the_unreachable_list_names_the_patient_reference_and_name_not_a_database_id(client, lab_dpo, informed_file):
    campaigns.launch_campaign(breach_file=informed_file, user=lab_dpo, channels="post,email")
    entry = UnreachableSubject.objects.select_related("subject").get()
    client.force_login(lab_dpo)
    url = reverse("notifications:campaign", args=[informed_file.incident.reference, informed_file.controller.code])
    html = client.get(url).content.decode()
    section = html.split('id="unreachable"')[1].split("</section>")[0]
    personal = entry.subject.personal
    assert f"#{entry.subject_id}" not in section
    assert personal.patient_ref in section
    assert personal.last_name in section or personal.last_name.replace("'", "&#x27;") in section
    assert subject_url(entry.subject) in section
