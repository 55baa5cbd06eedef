"""Each audit entry carries a keyed MAC and the id of its key (ADR 0008); SQLite refuses
DELETE of entries by a trigger, as PostgreSQL already does (migration 0002).

Existing entries keep an empty MAC: they cannot be signed afterwards (ADR 0008, "Entries
written before this change"). On SQLite, adding the columns rebuilds the table, which
drops its triggers: both are created here after the rebuild (as 0003 does for UPDATE).
Django's flush empties tables on SQLite without firing them (``palpa.core.sqlite``).
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_TRIGGERS = (
    """
CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only');
END;
""",
    """
CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only');
END;
""",
)


def sqlite_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql)


def sqlite_update_trigger(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Backwards: removing the columns rebuilds the table again; the UPDATE trigger of
    migration 0002 comes back (this operation runs last when migrating back)."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGERS[0])


def drop_sqlite_delete_trigger(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_audit_lighter_append")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, sqlite_update_trigger),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(sqlite_triggers, drop_sqlite_delete_trigger),
    ]
