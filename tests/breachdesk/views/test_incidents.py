"""Incidents in the product: opened with their processor, then the breach files of the controllers concerned."""

from __future__ import annotations

from html import escape

import pytest
from django.urls import reverse

from breachdesk import services
from breachdesk.models import AuditEvent, BreachFile, Incident, Organisation
from tests.factories import BreachFileFactory, IncidentFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def incident_data(**overrides: object) -> dict[str, object]:
    return {
        "reference": "INC-2026-0042",
        "title": "Fuite du fichier patients de l'éditeur",
        "processor_became_aware_at": "2026-03-26T18:00",
        "processor_account": "Un export de migration a été copié depuis un serveur de transfert.",
        "processor_measures": "Serveur fermé, exports supprimés.",
        **overrides,
    }


def breach_file_data(incident: Incident, *controllers: Organisation, **overrides: object) -> dict[str, object]:
    return {
        "incident": incident.reference,
        "controllers": [controller.pk for controller in controllers],
        "became_aware_at": "2026-03-27T10:00",
        "processor_informed_at": "2026-03-27T10:00",
        "origin": "hacking",
        "cause": "external_malicious",
        "natures": ["confidentiality"],
        "is_established": "on",
        **overrides,
    }


def test_a_compliance_officer_opens_an_incident_with_a_new_processor_and_each_creation_is_audited_by_id(
    client, compliance_officer, lab
):
    client.force_login(compliance_officer)
    response = client.post(
        reverse("incident_create"),
        incident_data(**{"processor-code": "vendor-labsoft", "processor-name": "LabSoft", "processor-dpo_email": ""}),
    )
    incident = Incident.objects.get(reference="INC-2026-0042")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('breach_file_create')}?incident=INC-2026-0042"
    processor = incident.processor
    assert processor is not None
    assert (processor.code, processor.name, processor.kind) == ("VENDOR-LABSOFT", "LabSoft", "processor")
    # The new processor joins the officer's group, so the group's next incidents can name it.
    assert processor.group_id == compliance_officer.group_id
    created = AuditEvent.objects.filter(user=compliance_officer, action="create")
    assert set(created.values_list("object_type", "object_id", "detail")) == {
        ("organisation", str(processor.pk), ""),
        ("incident", str(incident.pk), ""),
    }


def test_a_dpo_names_a_processor_of_their_group_and_not_one_of_another_group(client, lab_dpo, outside_lab):
    own = OrganisationFactory(code="VENDOR", kind="processor", group=lab_dpo.organisation.group)
    foreign = OrganisationFactory(code="VENDOR-SUD", kind="processor", group=outside_lab.group)
    client.force_login(lab_dpo)
    form = client.get(reverse("incident_create")).context["form"]
    assert list(form.fields["processor"].queryset) == [own]
    response = client.post(reverse("incident_create"), incident_data(processor=foreign.pk))
    assert response.status_code == 200
    assert "processor" in response.context["form"].errors
    assert not Incident.objects.exists()
    client.post(reverse("incident_create"), incident_data(processor=own.pk))
    assert Incident.objects.get().processor == own


def test_choosing_a_processor_and_creating_one_together_is_refused_clearly(client, compliance_officer):
    own = OrganisationFactory(code="VENDOR", kind="processor", group=compliance_officer.group)
    client.force_login(compliance_officer)
    response = client.post(
        reverse("incident_create"),
        incident_data(processor=own.pk, **{"processor-code": "OTHER", "processor-name": "Autre éditeur"}),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["processor"] == [
        "Choisissez un sous-traitant dans la liste ou créez-en un, pas les deux."
    ]
    assert not Incident.objects.exists()
    assert not Organisation.objects.filter(code="OTHER").exists()


def test_a_new_processor_without_a_name_is_refused_and_names_the_field(client, compliance_officer):
    client.force_login(compliance_officer)
    response = client.post(reverse("incident_create"), incident_data(**{"processor-code": "VENDOR-X"}))
    assert response.status_code == 200
    assert "name" in response.context["processor_form"].errors
    assert 'href="#id_processor-name"' in response.content.decode()
    assert not Incident.objects.exists()


def test_a_compliance_officer_opens_the_breach_files_of_three_labs_at_once_and_lands_on_the_incident(
    client, compliance_officer, incident, lab, other_lab
):
    third = OrganisationFactory(code="LAB-CAEN", name="Laboratoire de Caen")
    client.force_login(compliance_officer)
    form = client.get(reverse("breach_file_create"), {"incident": incident.reference}).context["form"]
    assert form["incident"].value() == incident.reference
    response = client.post(reverse("breach_file_create"), breach_file_data(incident, lab, other_lab, third))
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == reverse("incident_detail", args=[incident.reference])
    breach_files = BreachFile.objects.filter(incident=incident).order_by("controller__code")
    assert [breach_file.controller.code for breach_file in breach_files] == ["LAB-BREST", "LAB-CAEN", "LAB-RENNES"]
    for breach_file in breach_files:
        assert breach_file.origin == "hacking"
        assert breach_file.became_aware_at.isoformat() == "2026-03-27T09:00:00+00:00"
        assert [(event.kind, event.params) for event in breach_file.events.order_by("at", "pk")] == [
            ("aware", {}),
            ("processor_informed", {}),
            ("opened", {"others": 2}),
        ]
        assert AuditEvent.objects.filter(
            user=compliance_officer,
            action="create",
            object_type="breach_file",
            object_id=str(breach_file.pk),
            organisation_id=breach_file.controller_id,
        ).exists()
    html = client.get(response["Location"]).content.decode()
    assert "3 dossiers de violation ouverts." in html


def test_a_dpo_is_offered_only_their_lab_and_a_forged_post_for_another_lab_opens_nothing(
    client, lab_dpo, incident, lab, other_lab
):
    client.force_login(lab_dpo)
    form = client.get(reverse("breach_file_create")).context["form"]
    assert list(form.fields["controllers"].queryset) == [lab]
    response = client.post(reverse("breach_file_create"), breach_file_data(incident, lab, other_lab))
    assert response.status_code == 200
    assert "controllers" in response.context["form"].errors
    assert not BreachFile.objects.exists()


def test_a_duplicate_breach_file_says_which_one_exists_with_a_link_to_it(
    client, compliance_officer, breach_file, other_lab
):
    client.force_login(compliance_officer)
    incident = breach_file.incident
    response = client.post(reverse("breach_file_create"), breach_file_data(incident, breach_file.controller, other_lab))
    assert response.status_code == 200
    assert response.context["form"].errors["controllers"] == [
        "L'incident INC-2021-0001 a déjà un dossier de violation pour Laboratoire de Rennes — LAB-RENNES."
    ]
    html = response.content.decode()
    link = reverse("breach_file_detail", args=[incident.reference, "LAB-RENNES"])
    assert f'<a href="{link}">Laboratoire de Rennes — LAB-RENNES</a>' in html
    # Nothing half-done: the Brest file is not opened without the Rennes one either.
    assert BreachFile.objects.filter(incident=incident).count() == 1


def test_a_duplicate_opened_by_someone_else_meanwhile_is_named_too(
    client, compliance_officer, incident, lab, other_lab, monkeypatch
):
    real_create = services.create_breach_files

    def create_after_a_colleague(**kwargs):
        BreachFileFactory(incident=incident, controller=lab)
        return real_create(**kwargs)

    monkeypatch.setattr(services, "create_breach_files", create_after_a_colleague)
    client.force_login(compliance_officer)
    response = client.post(reverse("breach_file_create"), breach_file_data(incident, lab, other_lab))
    assert response.status_code == 200
    assert [existing.controller for existing in response.context["form"].duplicates] == [lab]
    assert not BreachFile.objects.filter(controller=other_lab).exists()


def test_the_incident_page_lists_the_files_the_user_may_see_each_named_after_its_lab(
    client, lab_dpo, compliance_officer, breach_file, other_breach_file, outside_breach_file
):
    url = reverse("incident_detail", args=[breach_file.incident.reference])
    client.force_login(compliance_officer)
    response = client.get(url)
    html = response.content.decode()
    assert [row.controller.code for row in response.context["breach_files"]] == ["LAB-BREST", "LAB-RENNES"]
    rennes = reverse("breach_file_detail", args=[breach_file.incident.reference, "LAB-RENNES"])
    assert f'<a href="{rennes}">Laboratoire de Rennes — LAB-RENNES</a>' in html
    assert "LAB-LYON" not in html
    notices = reverse("notifications:processor_notices", args=[breach_file.incident.reference])
    assert f'href="{notices}"' in html
    assert AuditEvent.objects.filter(
        user=compliance_officer, action="view", object_type="incident", object_id=str(breach_file.incident.pk)
    ).exists()

    client.force_login(lab_dpo)
    response = client.get(url)
    assert [row.controller.code for row in response.context["breach_files"]] == ["LAB-RENNES"]
    # The processor-notice page is the processor's side: a lab's DPO is not sent to a 404.
    assert f'href="{notices}"' not in response.content.decode()


def test_an_incident_of_another_group_is_an_audited_404(client, compliance_officer, outside_lab):
    foreign = IncidentFactory(
        reference="INC-2026-0099",
        processor=OrganisationFactory(code="VENDOR-SUD", kind="processor", group=outside_lab.group),
    )
    BreachFileFactory(incident=foreign, controller=outside_lab)
    client.force_login(compliance_officer)
    assert client.get(reverse("incident_detail", args=[foreign.reference])).status_code == 404
    assert AuditEvent.objects.filter(
        user=compliance_officer, action="denied", object_type="incident", detail="INC-2026-0099"
    ).exists()
    listed = client.get(reverse("incident_list")).context["incidents"]
    assert foreign not in listed


def test_the_incident_list_counts_only_the_visible_files(client, lab_dpo, breach_file, other_breach_file):
    client.force_login(lab_dpo)
    response = client.get(reverse("incident_list"))
    (incident,) = response.context["incidents"]
    assert incident.file_count == 1
    assert f'href="{reverse("incident_detail", args=[incident.reference])}"' in response.content.decode()


def test_the_breach_file_page_links_the_processor_notices_for_the_compliance_officer_only(
    client, lab_dpo, compliance_officer, breach_file
):
    url = reverse("breach_file_detail", args=[breach_file.incident.reference, breach_file.controller.code])
    notices = reverse("notifications:processor_notices", args=[breach_file.incident.reference])
    client.force_login(compliance_officer)
    html = client.get(url).content.decode()
    assert f'href="{notices}" data-testid="incident-link-processor_notices"' in html
    assert f'href="{reverse("incident_detail", args=[breach_file.incident.reference])}"' in html
    client.force_login(lab_dpo)
    assert f'href="{notices}"' not in client.get(url).content.decode()


def test_a_compliance_officer_describes_a_lab_file_but_cannot_import_its_patients(
    client, compliance_officer, breach_file
):
    client.force_login(compliance_officer)
    args = [breach_file.incident.reference, breach_file.controller.code]
    assert client.get(reverse("breach_file_edit", args=args)).status_code == 200
    assert client.post(reverse("subject_import", args=args)).status_code == 404


def test_the_incident_page_escapes_what_a_person_typed(client, compliance_officer, lab):
    incident = IncidentFactory(reference="INC-2026-0007", title="<script>alert(1)</script>")
    BreachFileFactory(incident=incident, controller=lab)
    client.force_login(compliance_officer)
    html = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert escape("<script>alert(1)</script>") in html


def test_a_dpo_with_one_lab_finds_it_already_chosen(client, lab_dpo, incident, lab):
    client.force_login(lab_dpo)
    response = client.get(reverse("breach_file_create"), {"incident": incident.reference})
    assert response.context["form"]["controllers"].value() == [lab.pk]
    assert "<h1>Nouveau dossier de violation</h1>" in response.content.decode()
