"""No double booking, enforced by PostgreSQL: exclusion constraints over the time range
``[start, busy_until)`` of active appointments (booked, arrived, fulfilled), one per
practitioner and one per room. SQLite skips this migration's SQL (it has no exclusion
constraints); there the booking service checks overlaps inside the IMMEDIATE write
transaction. The constraints live outside Django's model state on purpose, so that SQLite
never tries to create them when it rebuilds a table.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

ACTIVE = "('booked', 'arrived', 'fulfilled')"
CONSTRAINTS = {
    "appointment_practitioner_no_overlap": ("practitioner_id", ""),
    "appointment_room_no_overlap": ("room_id", " AND room_id IS NOT NULL"),
}


def add_constraints(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (column, extra) in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(start, busy_until, '[)') WITH &&) "
            f"WHERE (status IN {ACTIVE}{extra})"
        )


def drop_constraints(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT {name}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraints, drop_constraints),
    ]
