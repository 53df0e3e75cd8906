"""On PostgreSQL, a trigger refuses UPDATE and DELETE of audit entries.

The application never changes an entry; the trigger makes the database say
no as well, to anyone connecting as the application's role. (A superuser can
still disable it — what then gets through is found by ``xingji audit
verify``.) TRUNCATE is not refused: test databases are emptied with it.

SQLite has no equivalent worth having: whoever can write the file can
rewrite it, so there the hash chain is the whole defence.
"""

from django.db import migrations

FUNCTION = "audit_entry_refuse_change"
TRIGGER = "audit_entry_append_only"


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("audit", "AuditEntry")._meta.db_table)
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit entries are append-only: % refused on %', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """,
        params=None,  # the body's "%" are RAISE placeholders, not query parameters
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("audit", "AuditEntry")._meta.db_table)
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_create_audit_entry"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
