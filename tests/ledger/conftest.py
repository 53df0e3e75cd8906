"""Fixtures of the ledger tests: a private attachment folder, items and plans made through the services."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from xingji.audit.models import AuditEntry
from xingji.ledger import services
from xingji.ledger.models import ItemSource

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def attachments_root(attachments_root):
    """Every test here uploads into the scratch folder of ``tests/conftest.py``."""
    return attachments_root


@pytest.fixture
def today():
    return timezone.localdate()


def pdf_upload(name: str = "整改证明.pdf") -> tuple[io.BytesIO, str, int]:
    return io.BytesIO(PDF), name, len(PDF)


def open_item(organization, actor, *, source=ItemSource.SELF, days: int = 30, problem: str = "会议记录不全", **extra):
    return services.item_open(
        organization=organization,
        problem=problem,
        source=source,
        target="记录完整规范",
        measures="逐月补记并指定专人负责",
        responsible="张三",
        deadline=timezone.localdate() + timedelta(days=days),
        actor=actor,
        **extra,
    )


def closing_item(organization, secretary, superior, **extra):
    """An item opened by the superior and sent for closing by the secretary."""
    item = open_item(organization, superior, **extra)
    return services.item_request_close(item=item, evidence="已补齐全部记录", uploads=[pdf_upload()], actor=secretary)


def audit_count() -> int:
    return AuditEntry.objects.count()


def make_plan(organization, actor, *, target_level: int = 3, milestones=None):
    today = timezone.localdate()
    return services.plan_create(
        organization=organization,
        year=today.year,
        target_level=target_level,
        measures="加强组织生活",
        responsible="张三",
        milestones=milestones if milestones is not None else [(today, "制定整改清单")],
        actor=actor,
    )
