"""The state of the database that the operating commands check before they act."""

from __future__ import annotations

from django.db import connections
from django.db.migrations.executor import MigrationExecutor


def unapplied_migrations(alias: str = "default") -> list[str]:
    """The migrations not yet applied to the database, as ``app_label.name``, in order."""
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
