"""The timeline keeps codes and parameters and tells each step in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from breachdesk import services
from breachdesk.models import BreachFileEvent
from breachdesk.timeline import TimelineKind

pytestmark = pytest.mark.django_db


def test_a_step_is_stored_as_a_code_and_told_in_the_readers_language(breach_file):
    event = services.record_event(breach_file=breach_file, kind=TimelineKind.AUTHORITY_NOTIFIED, params={"late": True})
    stored = BreachFileEvent.objects.get(pk=event.pk)
    assert (stored.kind, stored.params, stored.summary) == ("authority_notified", {"late": True}, "")
    with translation.override("en"):
        assert stored.text == "Supervisory authority notified (late, reasons recorded)."
    with translation.override("fr"):
        assert "notifiée" in stored.text and "Supervisory" not in stored.text


def test_changed_fields_are_named_by_their_labels_in_the_readers_language(breach_file):
    event = services.record_event(breach_file=breach_file, kind=TimelineKind.CHANGED, params={"fields": ["ended_at"]})
    with translation.override("en"):
        english = event.text
    with translation.override("fr"):
        french = event.text
    assert "ended_at" not in english and "ended_at" not in french
    assert english != french


def test_a_step_recorded_as_a_sentence_before_codes_keeps_its_sentence(breach_file):
    event = BreachFileEvent.objects.create(
        breach_file=breach_file, at=breach_file.became_aware_at, kind="aware", summary="Prise de connaissance"
    )
    assert event.text == "Prise de connaissance"


def test_the_steps_of_notifications_are_told_too(breach_file):
    event = services.record_event(
        breach_file=breach_file,
        kind="campaign_launched",
        params={"post": 3, "email": 2, "unreachable": 1},
    )
    with translation.override("en"):
        assert event.text == "Data subjects' information launched: 3 letters, 2 emails, 1 unreachable."
