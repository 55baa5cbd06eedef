"""Name search on PostgreSQL uses a trigram index.

Every word of a name search is a ``search_name LIKE '%word%'``, which a B-tree cannot
serve: PostgreSQL read every patient of the table (3.8 ms at 18,000 patients, growing
with the table). A GIN index with ``gin_trgm_ops`` serves infix LIKE directly.

``pg_trgm`` ships with PostgreSQL and is a trusted extension (PostgreSQL 13+), so a
database owner without superuser rights may create it. Where it cannot be created
(older servers, a role without CREATE on the database), the migration prints the two
statements a superuser can run later and leaves the index out: search still works, by
reading the table as before. SQLite has no such
index; its search is unchanged.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INDEX = "patients_patient_search_name_trgm"


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        print(  # noqa: T201 - shown by `palpa migrate`
            f"\n  pg_trgm could not be created ({exc}); patient name search works without"
            " its index. To add it later, as a superuser: CREATE EXTENSION pg_trgm;"
            f" CREATE INDEX {INDEX} ON patients_patient USING gin (search_name gin_trgm_ops);\n"
        )
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON patients_patient"
        " USING gin (search_name gin_trgm_ops)"
    )


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_patient_phone_accepts_parenthesized_area_code")]
    operations = [migrations.RunPython(forwards, backwards)]
