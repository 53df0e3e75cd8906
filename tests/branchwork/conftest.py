"""Fixtures of the organizational-life tests: a private attachment folder, a roll, and meeting facts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import MemberFactory
from xingji.branchwork.services import AttendanceEntry, MeetingFacts

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture(autouse=True)
def attachments_root(attachments_root):
    """Every test here uploads into the scratch folder of ``tests/conftest.py``."""
    return attachments_root


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def roll(tree):
    """Three members of 财政局第一支部 (FIN-1)."""
    return [MemberFactory(organization=tree.finance_1, name=name) for name in ("张伟", "王芳", "李强")]


def facts(**changes) -> MeetingFacts:
    values = {
        "kind": "committee",
        "held_on": timezone.localdate() - timedelta(days=1),
        "place": "三楼会议室",
        "host": "张伟",
        "topic": "研究发展党员工作",
        "minutes": "会议研究了……",
    }
    values.update(changes)
    return MeetingFacts(**values)


def everyone_present(members) -> list[AttendanceEntry]:
    return [AttendanceEntry(member_id=member.pk, status="present") for member in members]
