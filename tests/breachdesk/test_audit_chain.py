"""The audit trail and the timelines are append-only and hash-chained; `verify_audit` names the first broken entry."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from breachdesk import services
from breachdesk.models import AuditEvent, BreachFileEvent
from breachdesk.models.audit import AppendOnlyError
from tests.conftest import require_service
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _record(count: int, user=None) -> list[AuditEvent]:
    return [
        services.record_audit(user=user, action="view", object_type="breach_file", object_id=number)
        for number in range(count)
    ]


def _verify() -> tuple[int, str]:
    output = StringIO()
    try:
        call_command("verify_audit", stdout=output)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, output.getvalue()


def _tamper(sql: str, params: list[object]) -> None:
    """Change the trail behind the application's back, as someone with the database's password would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Triggers off: only a superuser can do this, and the application's role must not be one.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def test_the_trail_refuses_bulk_updates_and_deletes():
    _record(2)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(detail="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(object_id="0").delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(user=None, detail="")
    assert sorted(AuditEvent.objects.values_list("detail", flat=True)) == ["", ""]


def test_the_timeline_refuses_bulk_updates_deletes_and_unchained_bulk_inserts(breach_file):
    event = services.record_event(breach_file=breach_file, kind="changed", params={"fields": ["nature"]})
    with pytest.raises(AppendOnlyError):
        BreachFileEvent.objects.filter(pk=event.pk).update(kind="other")
    with pytest.raises(AppendOnlyError):
        BreachFileEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        BreachFileEvent.objects.bulk_create([BreachFileEvent(breach_file=breach_file, at=event.at, kind="x")])
    assert BreachFileEvent.objects.get(pk=event.pk).kind == "changed"


def test_an_intact_trail_verifies_with_its_count(breach_file, lab_dpo):
    _record(3, user=lab_dpo)
    services.record_event(breach_file=breach_file, kind="changed", params={"fields": ["nature"], "count": 2})
    code, output = _verify()
    assert code == 0, output
    assert "breachdesk_auditevent: 3 entries, chain intact." in output
    assert "breachdesk_breachfileevent: 1 entries, chain intact." in output


def test_deleting_a_user_keeps_the_trail_and_its_chain(breach_file):
    user = UserFactory(username="leaving.dpo")
    _record(2, user=user)
    services.record_event(breach_file=breach_file, kind="changed", actor=user)
    user.delete()
    assert list(AuditEvent.objects.values_list("user_id", "username")) == [(None, "leaving.dpo")] * 2
    assert _verify()[0] == 0


def test_a_changed_entry_is_named_by_id_and_date():
    events = _record(4)
    _tamper("UPDATE breachdesk_auditevent SET detail = %s WHERE id = %s", ["nothing to see", events[2].pk])
    code, message = _verify()
    assert code == 1
    assert f"breachdesk_auditevent: entry #{events[2].pk} of {events[2].at:%Y-%m-%d %H:%M:%S%z}" in message


def test_a_deleted_entry_breaks_the_chain_at_the_next_one():
    events = _record(4)
    _tamper("DELETE FROM breachdesk_auditevent WHERE id = %s", [events[1].pk])
    code, message = _verify()
    assert code == 1
    assert f"entry #{events[2].pk} " in message


def test_an_entry_re_sealed_with_a_bare_hash_does_not_verify():
    events = _record(2)
    _tamper("UPDATE breachdesk_auditevent SET chain_hash = %s WHERE id = %s", ["0" * 64, events[0].pk])
    code, message = _verify()
    assert code == 1
    assert f"entry #{events[0].pk} " in message


def test_postgresql_refuses_plain_sql_updates_and_deletes_of_the_trail(breach_file, is_postgresql):
    if not is_postgresql:
        require_service("PostgreSQL")
    event = _record(1)[0]
    step = services.record_event(breach_file=breach_file, kind="changed")
    statements = [
        ("UPDATE breachdesk_auditevent SET detail = 'rewritten' WHERE id = %s", event.pk),
        ("UPDATE breachdesk_auditevent SET user_id = NULL, detail = 'x' WHERE id = %s", event.pk),
        ("DELETE FROM breachdesk_auditevent WHERE id = %s", event.pk),
        ("UPDATE breachdesk_breachfileevent SET kind = 'other' WHERE id = %s", step.pk),
        ("DELETE FROM breachdesk_breachfileevent WHERE id = %s", step.pk),
    ]
    for sql, pk in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [pk])
    assert AuditEvent.objects.get(pk=event.pk).detail == ""
    assert BreachFileEvent.objects.get(pk=step.pk).kind == "changed"


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql_keep_one_chain(is_postgresql):
    if not is_postgresql:
        require_service("PostgreSQL")
    writers, each = 6, 40
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            start.wait()
            for number in range(each):
                with transaction.atomic():
                    services.record_audit(user=None, action="view", object_type="breach_file", object_id=number)
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    code, output = _verify()
    assert code == 0, output
    assert f"breachdesk_auditevent: {writers * each} entries, chain intact." in output
