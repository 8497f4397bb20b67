"""Every page against every persona: deny by default, 404 for what a role or organisation may not see."""

from __future__ import annotations

from datetime import timedelta
from html import escape

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from breachdesk.models import AuditEvent, BreachFile
from tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db

ALL_PERSONAS = [
    "lab_dpo",
    "other_lab_dpo",
    "compliance_officer",
    "mailroom_operator",
    "admin_user",
    "user_without_role",
]
# Who may read the lab's breach file (LAB-RENNES): its DPO, the group's compliance officer, the admin.
READERS = {"lab_dpo", "compliance_officer", "admin_user"}
# Who may describe it (its case, in the edit form): its DPO, the group's compliance officer, the admin.
EDITORS = {"lab_dpo", "compliance_officer", "admin_user"}


def breach_file_urls(breach_file: BreachFile, subject_pk: int) -> dict[str, str]:
    args = [breach_file.incident.reference, breach_file.controller.code]
    return {
        "detail": reverse("breach_file_detail", args=args),
        "subjects": reverse("subject_list", args=args),
        "subject": reverse("subject_detail", args=[*args, subject_pk]),
    }


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_each_persona_reads_the_lab_breach_file_only_when_allowed(client, request, breach_file, persona):
    subject = DataSubjectFactory(breach_file=breach_file)
    client.force_login(request.getfixturevalue(persona))
    for name, url in breach_file_urls(breach_file, subject.pk).items():
        response = client.get(url)
        expected = 200 if persona in READERS else 404
        assert response.status_code == expected, (persona, name)


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_each_persona_edits_the_lab_breach_file_only_when_allowed(client, request, breach_file, persona):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("breach_file_edit", args=[breach_file.incident.reference, breach_file.controller.code])
    assert client.get(url).status_code == (200 if persona in EDITORS else 404)
    # Any DPO may open a breach file for their own lab.
    may_create = persona in EDITORS | {"other_lab_dpo"}
    assert client.get(reverse("breach_file_create")).status_code == (200 if may_create else 404)


def test_a_dpo_cannot_reach_another_lab_subject_by_guessing_its_id(client, lab_dpo, breach_file, other_breach_file):
    foreign_subject = DataSubjectFactory(breach_file=other_breach_file)
    client.force_login(lab_dpo)
    own_file_url = reverse(
        "subject_detail", args=[breach_file.incident.reference, breach_file.controller.code, foreign_subject.pk]
    )
    assert client.get(own_file_url).status_code == 404
    other_file_url = reverse(
        "subject_detail",
        args=[other_breach_file.incident.reference, other_breach_file.controller.code, foreign_subject.pk],
    )
    assert client.get(other_file_url).status_code == 404
    assert AuditEvent.objects.filter(user=lab_dpo, action=AuditEvent.Action.DENIED).exists()


def test_the_compliance_officer_cannot_see_a_lab_of_another_group(client, compliance_officer, outside_breach_file):
    client.force_login(compliance_officer)
    url = reverse(
        "breach_file_detail", args=[outside_breach_file.incident.reference, outside_breach_file.controller.code]
    )
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_the_dashboard_lists_only_the_breach_files_the_persona_may_see(
    client, request, breach_file, other_breach_file, outside_breach_file, persona
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("dashboard"))
    if persona == "mailroom_operator":
        assert response.status_code == 302
        assert response["Location"] == reverse("notifications:mailroom")
        return
    assert response.status_code == 200
    shown = {row.controller.code for row in response.context["breach_files"]}
    expected = {
        "lab_dpo": {"LAB-RENNES"},
        "other_lab_dpo": {"LAB-BREST"},
        "compliance_officer": {"LAB-RENNES", "LAB-BREST"},
        "mailroom_operator": set(),
        "admin_user": {"LAB-RENNES", "LAB-BREST", "LAB-LYON"},
        "user_without_role": set(),
    }[persona]
    assert shown == expected


def test_anonymous_visitors_are_sent_to_the_login_page(client, breach_file):
    for url in [reverse("dashboard"), reverse("breach_file_detail", args=["INC-2021-0001", "LAB-RENNES"])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_dashboard_sorts_by_time_left_and_marks_overdue_files(client, compliance_officer, incident, lab, other_lab):
    now = timezone.now()
    from tests.factories import BreachFileFactory, OrganisationFactory

    late = BreachFileFactory(incident=incident, controller=lab, became_aware_at=now - timedelta(hours=80))
    soon = BreachFileFactory(incident=incident, controller=other_lab, became_aware_at=now - timedelta(hours=70))
    fresh = BreachFileFactory(
        incident=incident, controller=OrganisationFactory(code="LAB-CAEN"), became_aware_at=now - timedelta(hours=1)
    )
    client.force_login(compliance_officer)
    response = client.get(reverse("dashboard"))
    assert list(response.context["breach_files"]) == [late, soon, fresh]
    html = response.content.decode()
    assert html.count('class="overdue"') == 1
    assert f'data-deadline="{late.authority_deadline.strftime("%Y-%m-%dT%H:%M:%S")}' in html


def test_the_dashboard_filters_by_organisation_and_status(client, compliance_officer, breach_file, other_breach_file):
    client.force_login(compliance_officer)
    response = client.get(reverse("dashboard"), {"organisation": "LAB-BREST"})
    assert list(response.context["breach_files"]) == [other_breach_file]
    response = client.get(reverse("dashboard"), {"status": "closed"})
    assert list(response.context["breach_files"]) == []


def test_creating_a_breach_file_with_bad_dates_shows_clear_errors(client, lab_dpo, incident):
    client.force_login(lab_dpo)
    response = client.post(
        reverse("breach_file_create"),
        {
            "incident": incident.reference,
            "controllers": [lab_dpo.organisation_id],
            "became_aware_at": "2026-03-27T10:00",
            "started_at": "2026-03-27T09:00",
            "ended_at": "2026-03-20T09:00",
            "origin": "hacking",
            "cause": "unknown",
        },
    )
    assert response.status_code == 200
    assert "ended_at" in response.context["form"].errors
    assert BreachFile.objects.count() == 0
    assert 'href="#id_ended_at"' in response.content.decode()


def test_a_dpo_creates_a_breach_file_for_their_lab_and_the_timeline_starts(client, lab_dpo, incident):
    client.force_login(lab_dpo)
    response = client.post(
        reverse("breach_file_create"),
        {
            "incident": incident.reference,
            "controllers": [lab_dpo.organisation_id],
            "became_aware_at": "2026-03-27T10:00",
            "origin": "hacking",
            "cause": "external_malicious",
            "natures": ["confidentiality"],
            "is_established": "on",
        },
    )
    assert response.status_code == 302
    breach_file = BreachFile.objects.get()
    # Entered in Paris time (UTC+1 that day).
    assert breach_file.became_aware_at.isoformat() == "2026-03-27T09:00:00+00:00"
    assert list(breach_file.events.values_list("kind", flat=True)) == ["aware", "opened"]
    assert AuditEvent.objects.filter(action="create", object_type="breach_file", object_id=str(breach_file.pk)).exists()


def test_a_dpo_cannot_create_a_breach_file_for_another_lab(client, lab_dpo, incident, other_lab):
    client.force_login(lab_dpo)
    response = client.post(
        reverse("breach_file_create"),
        {
            "incident": incident.reference,
            "controllers": [other_lab.pk],
            "became_aware_at": "2026-03-27T10:00",
            "origin": "hacking",
            "cause": "unknown",
        },
    )
    assert response.status_code == 200
    assert "controllers" in response.context["form"].errors
    assert BreachFile.objects.count() == 0


def test_editing_records_the_changed_fields_and_a_forged_status_or_notification_date_is_ignored(
    client, lab_dpo, breach_file
):
    breach_file.status = "assessed"
    breach_file.save()
    client.force_login(lab_dpo)
    url = reverse("breach_file_edit", args=[breach_file.incident.reference, breach_file.controller.code])
    form = client.get(url).context["form"]
    # The guided filing records the status and the authority's notification: they are not fields here.
    assert "status" not in form.fields
    assert "authority_notified_at" not in form.fields
    data = {name: value for name, value in form.initial.items() if value not in (None, "")}
    data.update(
        {
            "became_aware_at": breach_file.became_aware_at.astimezone(timezone.get_default_timezone()).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "measures_immediate": "Mots de passe réinitialisés",
            "natures": ["confidentiality"],
            "person_categories": ["patients"],
            "status": "closed",
            "authority_notified_at": "2026-03-28T10:00",
        }
    )
    data.pop("incident")
    data = {key: value for key, value in data.items() if not isinstance(value, bool) or value}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    breach_file.refresh_from_db()
    assert breach_file.measures_immediate == "Mots de passe réinitialisés"
    assert breach_file.status == "assessed"
    assert breach_file.authority_notified_at is None
    (changed,) = [event.params["fields"] for event in breach_file.events.filter(kind="changed")]
    assert "measures_immediate" in changed
    assert not {"status", "authority_notified_at"} & set(changed)


def test_the_subject_pages_show_a_masked_nir_and_are_audited(client, lab_dpo, breach_file):
    subject = DataSubjectFactory(breach_file=breach_file)
    client.force_login(lab_dpo)
    url = reverse("subject_detail", args=[breach_file.incident.reference, breach_file.controller.code, subject.pk])
    html = client.get(url).content.decode()
    assert subject.personal.nir not in html
    assert subject.personal.nir[-2:] in html
    assert escape(subject.personal.last_name) in html
    assert AuditEvent.objects.filter(
        user=lab_dpo, action="view", object_type="data_subject", object_id=str(subject.pk)
    ).exists()


def test_a_dpo_cannot_attach_a_breach_file_to_another_group_incident(client, lab_dpo, outside_lab):
    from tests.factories import IncidentFactory, OrganisationFactory

    foreign_processor = OrganisationFactory(code="VENDOR-SUD", kind="processor", group=outside_lab.group)
    foreign = IncidentFactory(reference="INC-2026-0099", processor=foreign_processor)
    client.force_login(lab_dpo)
    form = client.get(reverse("breach_file_create")).context["form"]
    assert foreign not in form.fields["incident"].queryset
    response = client.post(
        reverse("breach_file_create"),
        {
            "incident": foreign.reference,
            "controllers": [lab_dpo.organisation_id],
            "became_aware_at": "2026-03-27T10:00",
            "origin": "hacking",
            "cause": "unknown",
        },
    )
    assert "incident" in response.context["form"].errors
    assert not BreachFile.objects.exists()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_language_menu_names_each_language_in_its_own_language(client, request, lab_dpo, language):
    # The locale middleware leaves the reader's language active in the thread: give the next test the default.
    request.addfinalizer(translation.deactivate)
    client.force_login(lab_dpo)
    client.post(reverse("set_language"), {"language": language, "next": "/"})

    page = client.get("/").content.decode()

    assert '<option value="fr" lang="fr"' in page and ">Français</option>" in page
    assert '<option value="en" lang="en"' in page and ">English</option>" in page
    assert "Anglais" not in page
