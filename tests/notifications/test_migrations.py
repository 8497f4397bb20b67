"""Migrations that move data keep every processor notice's and reminder's email state."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("notifications", "0004_notice_event_at_unindexed"), ("breachdesk", "0007_subject_source_line")]
AFTER = [("notifications", "0006_outbound_email_only")]


def _apps_at(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def test_processor_notices_and_reminders_keep_their_state_in_their_outbound_email():
    old = _apps_at(BEFORE)
    now = timezone.now()
    organisation = old.get_model("breachdesk", "Organisation").objects.create(code="LAB-M", name="Lab M")
    incident = old.get_model("breachdesk", "Incident").objects.create(reference="INC-M", title="M")
    breach_file = old.get_model("breachdesk", "BreachFile").objects.create(
        incident=incident, controller=organisation, became_aware_at=now
    )
    old.get_model("notifications", "ProcessorNotice").objects.create(
        incident=incident,
        breach_file=breach_file,
        prepared_at=now,
        email_state="unknown",
        attempts=2,
        last_error="SMTPServerDisconnected",
        recipients=["dpo@lab-m.example.org"],
    )
    reminders = old.get_model("notifications", "DeadlineReminder").objects
    reminders.create(
        breach_file=breach_file, kind="6h", deadline_at=now, created_at=now, state="sent", sent_at=now, attempts=1
    )
    # Given up under the old policy (3 attempts), and one failure it would still have retried.
    reminders.create(breach_file=breach_file, kind="24h", deadline_at=now, created_at=now, state="failed", attempts=3)
    reminders.create(
        breach_file=breach_file, kind="passed", deadline_at=now, created_at=now, state="failed", attempts=1
    )

    new = _apps_at(AFTER)
    notice = new.get_model("notifications", "ProcessorNotice").objects.select_related("email").get()
    reminder = new.get_model("notifications", "DeadlineReminder").objects.select_related("email").get(kind="6h")
    given_up = new.get_model("notifications", "DeadlineReminder").objects.select_related("email").get(kind="24h")
    retried = new.get_model("notifications", "DeadlineReminder").objects.select_related("email").get(kind="passed")
    assert given_up.email.next_attempt_at is None
    assert retried.email.next_attempt_at is not None
    assert (notice.email.kind, notice.email.state, notice.email.attempts, notice.email.last_error) == (
        "processor_notice",
        "unknown",
        2,
        "SMTPServerDisconnected",
    )
    assert notice.email.recipients == ["dpo@lab-m.example.org"]
    assert (reminder.email.kind, reminder.email.state, reminder.email.sent_at) == ("deadline_reminder", "sent", now)
    _apps_at(MigrationExecutor(connection).loader.graph.leaf_nodes())
