"""Columns of an organization that the database keeps from other tables (``KEPT``; ``Kept``, the way to).

* ``own_members``: the number of members registered in the organization
  itself. A subtree's members are the sum of its organizations' own counts:
  one pass over the organizations the page counts anyway, instead of joining
  every member (a province's 3 million) to them on every page that shows a
  total.
* ``election_due_on``: the last day of its election's term (``Election.due_date``),
  none without an election record. What is overdue or coming due on any day
  is then a range of one indexed column of the organizations
  (``overview.election_conditions``): the navigation's counts on every page
  read an index instead of joining every election to the subtree.

(A domain app above this one keeps a column of its own the same way:
``xingji.campaigns.kept``, the current star level.) Each is kept by
triggers, so that every way a row is written — the
services, the imports' ``COPY``, a migration, the shell — keeps them right:

* PostgreSQL: one statement-level trigger per operation with its transition
  tables (``REFERENCING NEW TABLE``), so an import of 100,000 members adds to
  each organization once per statement, not once per row;
* SQLite: a row trigger per operation (SQLite has no statement triggers).

``install`` runs after every ``migrate`` (``apps.OrgsConfig``): it creates
the triggers that are missing — SQLite drops a table's triggers when a
migration rebuilds the table — and, for each column whose triggers it had to
create, computes the column afresh, so the values are right whatever
happened without the triggers. A save of an organization never writes them
back (``Organization.save``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class Kept:
    """One kept column: its source table, its triggers on each database, and how to compute it afresh."""

    column: str
    source: str
    postgresql_function: str
    #: trigger name → its ``AFTER … REFERENCING …`` clause; each runs ``function`` once per statement.
    postgresql_triggers: dict[str, str]
    function: str
    #: trigger name → its definition after ``CREATE TRIGGER name``.
    sqlite_triggers: dict[str, str]
    #: vendor → the statement that computes the column of every organization.
    refresh: dict[str, str]

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(self.postgresql_triggers)

    def installed(self, connection: BaseDatabaseWrapper) -> set[str]:
        """Its triggers present in the database."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = ANY(%s)",
                    [self.source, list(self.triggers)],
                )
            else:
                cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [self.source])
            return {row[0] for row in cursor.fetchall()} & set(self.triggers)

    def recompute(self, connection: BaseDatabaseWrapper) -> None:
        """The column of every organization, computed afresh from its source."""
        with connection.cursor() as cursor:
            cursor.execute(self.refresh[connection.vendor])

    def install(self, connection: BaseDatabaseWrapper) -> bool:
        """Create its missing triggers; when any was missing, recompute the column. Whether anything was created."""
        missing = [name for name in self.triggers if name not in self.installed(connection)]
        if not missing:
            return False
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(self.postgresql_function)
                for name in missing:
                    cursor.execute(
                        f"CREATE TRIGGER {name} {self.postgresql_triggers[name]} "
                        f"FOR EACH STATEMENT EXECUTE FUNCTION {self.function}()"
                    )
            else:
                for name in missing:
                    cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {self.sqlite_triggers[name]}")
        self.recompute(connection)
        return True


MEMBER_COUNT = Kept(
    column="own_members",
    source="orgs_member",
    function="orgs_member_count_change",
    postgresql_function="""
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
""",
    postgresql_triggers={
        "orgs_member_count_insert": "AFTER INSERT ON orgs_member REFERENCING NEW TABLE AS new_rows",
        "orgs_member_count_delete": "AFTER DELETE ON orgs_member REFERENCING OLD TABLE AS old_rows",
        "orgs_member_count_update": (
            "AFTER UPDATE ON orgs_member REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        ),
    },
    sqlite_triggers={
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
    },
    refresh=dict.fromkeys(
        ("postgresql", "sqlite"),
        "UPDATE orgs_organization SET own_members = "
        "(SELECT count(*) FROM orgs_member WHERE orgs_member.organization_id = orgs_organization.id)",
    ),
)


def _postgresql_due(row: str) -> str:
    # A date plus whole years keeps the day, 29 February becoming 28 February (as ``models.add_years``).
    return f"({row}.last_election + make_interval(years => {row}.term_years))::date"


def _sqlite_due(row: str) -> str:
    # SQLite carries 29 February over into 1 March: back to 28 February (as ``models.add_years``).
    plus = f"date({row}.last_election, '+' || {row}.term_years || ' years')"
    return (
        f"CASE WHEN substr({row}.last_election, 6, 5) = '02-29' AND substr({plus}, 6, 5) = '03-01' "
        f"THEN date({plus}, '-1 day') ELSE {plus} END"
    )


ELECTION_DUE = Kept(
    column="election_due_on",
    source="orgs_election",
    function="orgs_election_due_change",
    postgresql_function=f"""
CREATE OR REPLACE FUNCTION orgs_election_due_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE orgs_organization o SET election_due_on = NULL FROM old_rows d
        WHERE o.id = d.organization_id AND o.election_due_on IS NOT NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE orgs_organization o SET election_due_on = {_postgresql_due("n")} FROM new_rows n
        WHERE o.id = n.organization_id;
    END IF;
    RETURN NULL;
END
$$
""",
    postgresql_triggers={
        "orgs_election_due_insert": "AFTER INSERT ON orgs_election REFERENCING NEW TABLE AS new_rows",
        "orgs_election_due_delete": "AFTER DELETE ON orgs_election REFERENCING OLD TABLE AS old_rows",
        "orgs_election_due_update": (
            "AFTER UPDATE ON orgs_election REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        ),
    },
    sqlite_triggers={
        "orgs_election_due_insert": f"""
            AFTER INSERT ON orgs_election BEGIN
                UPDATE orgs_organization SET election_due_on = {_sqlite_due("NEW")} WHERE id = NEW.organization_id;
            END""",
        "orgs_election_due_delete": """
            AFTER DELETE ON orgs_election BEGIN
                UPDATE orgs_organization SET election_due_on = NULL WHERE id = OLD.organization_id;
            END""",
        "orgs_election_due_update": f"""
            AFTER UPDATE OF organization_id, last_election, term_years ON orgs_election BEGIN
                UPDATE orgs_organization SET election_due_on = NULL
                WHERE id = OLD.organization_id AND OLD.organization_id <> NEW.organization_id;
                UPDATE orgs_organization SET election_due_on = {_sqlite_due("NEW")} WHERE id = NEW.organization_id;
            END""",
    },
    refresh={
        vendor: "UPDATE orgs_organization SET election_due_on = "
        f"(SELECT {due('e')} FROM orgs_election e WHERE e.organization_id = orgs_organization.id)"
        for vendor, due in (("postgresql", _postgresql_due), ("sqlite", _sqlite_due))
    },
)

KEPT = (MEMBER_COUNT, ELECTION_DUE)


def install(connection: BaseDatabaseWrapper) -> bool:
    """``Kept.install`` for every kept column; whether anything was created."""
    if connection.vendor not in {"postgresql", "sqlite"}:
        return False
    created = [kept.install(connection) for kept in KEPT]
    return any(created)


def install_where_ready(connection: BaseDatabaseWrapper, columns: tuple[Kept, ...]) -> None:
    """``Kept.install`` for each column whose table and source table exist (as migrations leave them)."""
    if connection.vendor not in {"postgresql", "sqlite"}:
        return
    tables = set(connection.introspection.table_names())
    if "orgs_organization" not in tables:
        return
    with connection.cursor() as cursor:
        names = {column.name for column in connection.introspection.get_table_description(cursor, "orgs_organization")}
    for kept in columns:
        if kept.source in tables and kept.column in names:
            kept.install(connection)


def install_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver: the triggers in place once the tables and columns are (see the module's text)."""
    install_where_ready(connections[using], KEPT)
