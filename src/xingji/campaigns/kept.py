"""Each organization's current star level (``Organization.star_level``), kept by the database from the ledger.

The current level is the latest line of the organization's star ledger (by
effective date, then by id: ``selectors.ledger_latest``). Lists over a whole
subtree filter on it — the focus list (重点管理: one star, none or unrated)
and its count in every page's navigation — and reading the latest line per
organization there cost a subquery for each of a province's 100,000
organizations. Kept by triggers on the ledger as ``xingji.orgs.kept`` keeps
its columns (every way a line is written: the approvals, the history
import's ``COPY``, a correction), installed after every ``migrate``
(``apps.CampaignsConfig``).
"""

from __future__ import annotations

from typing import Any

from django.db import connections

from xingji.orgs.kept import Kept, install_where_ready

_LATEST = (
    "(SELECT l.level FROM campaigns_starledgerentry l WHERE l.organization_id = {organization} "
    "ORDER BY l.effective_on DESC, l.id DESC LIMIT 1)"
)


def _latest(organization: str) -> str:
    return _LATEST.format(organization=organization)


STAR_LEVEL = Kept(
    column="star_level",
    source="campaigns_starledgerentry",
    function="campaigns_star_level_change",
    postgresql_function=f"""
CREATE OR REPLACE FUNCTION campaigns_star_level_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE orgs_organization o SET star_level = {_latest("o.id")}
        WHERE o.id IN (SELECT organization_id FROM new_rows);
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE orgs_organization o SET star_level = {_latest("o.id")}
        WHERE o.id IN (SELECT organization_id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$
""",
    postgresql_triggers={
        "campaigns_star_level_insert": "AFTER INSERT ON campaigns_starledgerentry REFERENCING NEW TABLE AS new_rows",
        "campaigns_star_level_delete": "AFTER DELETE ON campaigns_starledgerentry REFERENCING OLD TABLE AS old_rows",
        "campaigns_star_level_update": (
            "AFTER UPDATE ON campaigns_starledgerentry REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        ),
    },
    sqlite_triggers={
        "campaigns_star_level_insert": f"""
            AFTER INSERT ON campaigns_starledgerentry BEGIN
                UPDATE orgs_organization SET star_level = {_latest("NEW.organization_id")}
                WHERE id = NEW.organization_id;
            END""",
        "campaigns_star_level_delete": f"""
            AFTER DELETE ON campaigns_starledgerentry BEGIN
                UPDATE orgs_organization SET star_level = {_latest("OLD.organization_id")}
                WHERE id = OLD.organization_id;
            END""",
        "campaigns_star_level_update": f"""
            AFTER UPDATE OF organization_id, level, effective_on ON campaigns_starledgerentry BEGIN
                UPDATE orgs_organization SET star_level = {_latest("OLD.organization_id")}
                WHERE id = OLD.organization_id;
                UPDATE orgs_organization SET star_level = {_latest("NEW.organization_id")}
                WHERE id = NEW.organization_id;
            END""",
    },
    refresh=dict.fromkeys(
        ("postgresql", "sqlite"), f"UPDATE orgs_organization SET star_level = {_latest('orgs_organization.id')}"
    ),
)


def install_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver: the ledger's trigger in place once the tables and the column are."""
    install_where_ready(connections[using], (STAR_LEVEL,))
