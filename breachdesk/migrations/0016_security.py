"""Seal the audit trail and the timelines in a hash chain, refuse UPDATE and DELETE on them in PostgreSQL; record
the same people found at other controllers apart from the importing DPO's report."""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from breachdesk import audit_chain

# Frozen here as they were when the chain began (the models' chained_fields say the same).
CHAINS = {
    "AuditEvent": ("at", "username", "action", "object_type", "object_id", "organisation_id", "detail"),
    "BreachFileEvent": ("breach_file", "at", "kind", "params", "summary"),
}

# Refuse every UPDATE and DELETE, except the one Django makes when a user is deleted: its foreign keys here
# (the trigger's arguments) set to NULL and nothing else changed.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION breachdesk_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND (to_jsonb(NEW) - TG_ARGV) = (to_jsonb(OLD) - TG_ARGV)
        AND NOT EXISTS (
            SELECT 1 FROM jsonb_each(to_jsonb(NEW)) WHERE key = ANY (TG_ARGV) AND value <> 'null'::jsonb
        ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% on % refused: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""
TRIGGERS = {"breachdesk_auditevent": "user_id", "breachdesk_breachfileevent": "actor_id"}


def seal_existing(apps: Any, schema_editor: Any) -> None:
    """Chain the entries recorded before the chain existed, in id order."""
    using = schema_editor.connection.alias
    for name, fields in CHAINS.items():
        model = apps.get_model("breachdesk", name)
        table = model._meta.db_table
        previous = ""
        for row in model.objects.using(using).order_by("pk").values("pk", *fields).iterator(chunk_size=2000):
            pk = row.pop("pk")
            previous = audit_chain.seal(table=table, previous=previous, values=row)
            model.objects.using(using).filter(pk=pk).update(chain_hash=previous)


def create_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(APPEND_ONLY_FUNCTION, params=None)
    for table, detachable in TRIGGERS.items():
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION breachdesk_append_only('{detachable}')"
        )


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS breachdesk_append_only()")


class Migration(migrations.Migration):
    dependencies = [("breachdesk", "0015_import_findings_and_address_review")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="breachfileevent",
            name="chain_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.CreateModel(
            name="CrossControllerMatch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "basis",
                    models.CharField(
                        choices=[("nir", "Same NIR"), ("identity", "Same last name, first name and birth date")],
                        max_length=20,
                    ),
                ),
                ("found_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "breach_file",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="breachdesk.breachfile"
                    ),
                ),
                (
                    "other_breach_file",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="breachdesk.breachfile"
                    ),
                ),
                (
                    "subject",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="breachdesk.datasubject"
                    ),
                ),
            ],
            options={
                "ordering": ["subject_id", "other_breach_file_id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("subject", "other_breach_file"), name="one_match_per_subject_and_file"
                    )
                ],
            },
        ),
    ]
