"""PostgreSQL: the search by name or code has its trigram indexes (which plan a search takes is the planner's
choice by the table's size: measured in ``bench/pages.py``, not asserted here)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.factories import OrganizationFactory
from xingji.orgs.models import Organization

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")


def test_the_migration_indexes_the_searched_expressions(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'orgs_organization'")
        indexes = dict(cursor.fetchall())

    assert "gin_trgm_ops" in indexes["orgs_org_name_trgm"] and "upper((name)::text)" in indexes["orgs_org_name_trgm"]
    assert "gin_trgm_ops" in indexes["orgs_org_code_trgm"] and "upper((code)::text)" in indexes["orgs_org_code_trgm"]


def test_a_search_by_part_of_a_name_finds_it_with_the_indexes_in_place(tree):
    OrganizationFactory(parent=tree.finance, name="财政局第三党支部")

    found = Organization.objects.filter(name__icontains="第三党支").values_list("name", flat=True)

    assert list(found) == ["财政局第三党支部"]
