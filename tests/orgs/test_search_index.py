"""PostgreSQL: the search by name or code has its trigram indexes, and the planner can use them."""

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


def test_a_search_by_part_of_a_name_reads_the_index(tree):
    OrganizationFactory(parent=tree.finance, name="财政局第三党支部")
    query = Organization.objects.filter(name__icontains="第三党支").order_by().values("pk")
    with connection.cursor() as cursor:
        # A test tree is too small for the planner to bother: neither the table nor a whole other index read.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = query.explain()

    assert "orgs_org_name_trgm" in plan
    assert list(query) == list(Organization.objects.filter(name="财政局第三党支部").values("pk"))
