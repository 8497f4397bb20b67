"""The audit trail is append-only and holds ids, never personal data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from breachdesk import services
from breachdesk.models import AuditEvent, BreachFileEvent
from breachdesk.models.audit import AppendOnlyError
from tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db


def test_an_audit_event_cannot_be_changed_or_deleted(lab_dpo):
    event = services.record_audit(user=lab_dpo, action="view", object_type="breach_file", object_id=1)
    event.detail = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).detail == ""


def test_a_timeline_event_cannot_be_changed(breach_file):
    event = services.record_event(breach_file=breach_file, kind="changed", params={"fields": ["nature"]})
    event.params = {"fields": ["other"]}
    with pytest.raises(AppendOnlyError):
        event.save()
    assert BreachFileEvent.objects.get(pk=event.pk).params == {"fields": ["nature"]}


def test_viewing_subjects_leaves_ids_in_the_trail_and_no_personal_data(client, lab_dpo, breach_file):
    subject = DataSubjectFactory(breach_file=breach_file)
    client.force_login(lab_dpo)
    client.get(reverse("subject_list", args=[breach_file.incident.reference, breach_file.controller.code]))
    client.get(
        reverse("subject_detail", args=[breach_file.incident.reference, breach_file.controller.code, subject.pk])
    )
    trail = " ".join(str(value) for event in AuditEvent.objects.all() for value in event.__dict__.values())
    personal = subject.personal
    for value in (personal.last_name, personal.first_name, personal.nir, personal.email, personal.city):
        if value:
            assert value not in trail
    assert AuditEvent.objects.filter(object_type="data_subject", object_id=str(subject.pk), username="dpo.rennes")
