"""Each organization's own number of members (``Organization.own_members``), kept by the database.

A subtree's members are the sum of its organizations' own counts: one pass
over the organizations the page counts anyway, instead of joining every
member (a province's 3 million) to them on every page that shows a total.

The counts are kept by triggers on ``orgs_member``, so that every way a
member row is written — the services, the imports' ``COPY``, a migration,
the shell — keeps them right:

* PostgreSQL: one statement-level trigger per operation with its transition
  table (``REFERENCING NEW TABLE``), so an import of 100,000 members adds to
  each organization once per statement, not once per row;
* SQLite: a row trigger per operation (SQLite has no statement triggers).

``install`` runs after every ``migrate`` (``apps.OrgsConfig``): it creates
the triggers that are missing — SQLite drops a table's triggers when a
migration rebuilds the table — and, when it had to create any, counts every
organization's members afresh, so the counts are right whatever happened
without the triggers. A save of an organization never writes the count back
(``Organization.save``).
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

TRIGGERS = ("orgs_member_count_insert", "orgs_member_count_delete", "orgs_member_count_update")

_POSTGRESQL_FUNCTION = """
CREATE OR REPLACE FUNCTION orgs_member_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE orgs_organization o SET own_members = o.own_members + d.n
        FROM (SELECT organization_id, count(*) AS n FROM new_rows GROUP BY organization_id) d
        WHERE o.id = d.organization_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE orgs_organization o SET own_members = o.own_members - d.n
        FROM (SELECT organization_id, count(*) AS n FROM old_rows GROUP BY organization_id) d
        WHERE o.id = d.organization_id;
    ELSE
        UPDATE orgs_organization o SET own_members = o.own_members + d.n
        FROM (
            SELECT organization_id, sum(n) AS n FROM (
                SELECT organization_id, count(*) AS n FROM new_rows GROUP BY organization_id
                UNION ALL
                SELECT organization_id, -count(*) AS n FROM old_rows GROUP BY organization_id
            ) changes GROUP BY organization_id HAVING sum(n) <> 0
        ) d
        WHERE o.id = d.organization_id;
    END IF;
    RETURN NULL;
END
$$
"""

_POSTGRESQL_TRIGGERS = {
    "orgs_member_count_insert": "AFTER INSERT ON orgs_member REFERENCING NEW TABLE AS new_rows",
    "orgs_member_count_delete": "AFTER DELETE ON orgs_member REFERENCING OLD TABLE AS old_rows",
    "orgs_member_count_update": "AFTER UPDATE ON orgs_member REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}

_SQLITE_TRIGGERS = {
    "orgs_member_count_insert": """
        AFTER INSERT ON orgs_member BEGIN
            UPDATE orgs_organization SET own_members = own_members + 1 WHERE id = NEW.organization_id;
        END""",
    "orgs_member_count_delete": """
        AFTER DELETE ON orgs_member BEGIN
            UPDATE orgs_organization SET own_members = own_members - 1 WHERE id = OLD.organization_id;
        END""",
    "orgs_member_count_update": """
        AFTER UPDATE OF organization_id ON orgs_member WHEN OLD.organization_id <> NEW.organization_id BEGIN
            UPDATE orgs_organization SET own_members = own_members - 1 WHERE id = OLD.organization_id;
            UPDATE orgs_organization SET own_members = own_members + 1 WHERE id = NEW.organization_id;
        END""",
}

RECOUNT = """
UPDATE orgs_organization SET own_members = (
    SELECT count(*) FROM orgs_member WHERE orgs_member.organization_id = orgs_organization.id
)
"""


def installed(connection: BaseDatabaseWrapper) -> set[str]:
    """The count triggers present in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'orgs_member'::regclass AND tgname = ANY(%s)",
                [list(TRIGGERS)],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'orgs_member'",
            )
        return {row[0] for row in cursor.fetchall()} & set(TRIGGERS)


def recount(connection: BaseDatabaseWrapper) -> None:
    """Count every organization's own members afresh."""
    with connection.cursor() as cursor:
        cursor.execute(RECOUNT)


def install(connection: BaseDatabaseWrapper) -> bool:
    """Create the missing count triggers; when any was missing, recount. Whether anything was created."""
    if connection.vendor not in {"postgresql", "sqlite"}:
        return False
    missing = [name for name in TRIGGERS if name not in installed(connection)]
    if not missing:
        return False
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_POSTGRESQL_FUNCTION)
            for name in missing:
                cursor.execute(
                    f"CREATE TRIGGER {name} {_POSTGRESQL_TRIGGERS[name]} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION orgs_member_count_change()"
                )
        else:
            for name in missing:
                cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {_SQLITE_TRIGGERS[name]}")
    recount(connection)
    return True


def install_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver: the triggers in place once the tables are (see the module's text)."""
    connection = connections[using]
    if "orgs_member" in connection.introspection.table_names() and _has_count_column(connection):
        install(connection)


def _has_count_column(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, "orgs_organization")
    return any(column.name == "own_members" for column in columns)
