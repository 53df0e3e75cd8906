"""PostgreSQL: trigram indexes for the search by name or code (``selectors.organization_list``).

The search is a substring match (``icontains``: ``UPPER(name) LIKE UPPER('%…%')``),
which no B-tree serves: at a province's 100,000 organizations it read the
whole table on every search. ``pg_trgm`` (a contrib extension that ships with
PostgreSQL, trusted since PostgreSQL 13, so the database's owner may create
it) indexes the same expression. Where the role may not create the
extension, the migration says so and leaves the search as it was (correct,
only slower). SQLite: nothing to do.
"""

from django.db import migrations

INDEXES = {
    "orgs_org_name_trgm": "UPPER(name::text) gin_trgm_ops",
    "orgs_org_code_trgm": "UPPER(code::text) gin_trgm_ops",
}


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        print(f"\n  pg_trgm 扩展无法创建（{error}），组织搜索不使用三元组索引。")
        return
    with connection.cursor() as cursor:
        for name, expression in INDEXES.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON orgs_organization USING gin ({expression})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0007_election_due_on"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
