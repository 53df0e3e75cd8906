"""factory_boy factories for evidence records.

Like ``tests.factories``, they write rows directly (no services, no audit
entries), so that a test sets up its world without touching the audit chain.
All dates fall in 2025, a past year, so that "not in the future" holds.
"""

from __future__ import annotations

from datetime import date

import factory
from factory.django import DjangoModelFactory

from tests.factories import OrganizationFactory
from xingji.records.models import (
    Absence,
    AbsenceKind,
    Commendation,
    CommendationKind,
    CriticismIssuer,
    CriticismNotice,
    DisciplinaryAction,
    HonourLevel,
    Innovation,
    MemberViolation,
    Recipient,
    Severity,
)

YEAR = 2025


class RecordFactory(DjangoModelFactory):
    organization = factory.SubFactory(OrganizationFactory)
    date = date(YEAR, 5, 20)


class CommendationFactory(RecordFactory):
    class Meta:
        model = Commendation

    kind = CommendationKind.COMMENDATION
    recipient = Recipient.ORGANIZATION
    level = HonourLevel.CITY
    title = factory.Sequence(lambda n: f"先进基层党组织{n}")
    issuer = "中共安阳市委"
    document_number = factory.Sequence(lambda n: f"安发〔{YEAR}〕{n}号")


class InnovationFactory(RecordFactory):
    class Meta:
        model = Innovation

    title = factory.Sequence(lambda n: f"党建+服务创新项目{n}")
    level = HonourLevel.CITY
    recognized_by = "市直工委"


class CriticismNoticeFactory(RecordFactory):
    class Meta:
        model = CriticismNotice

    issuer = CriticismIssuer.WORKING_COMMITTEE
    document_number = factory.Sequence(lambda n: f"安直工〔{YEAR}〕{n}号")
    reason = "主题党日活动未按要求开展"


class DisciplinaryActionFactory(RecordFactory):
    class Meta:
        model = DisciplinaryAction

    member_name = factory.Sequence(lambda n: f"受处分人{n}")
    is_leadership = False
    severity = Severity.WARNING
    document_number = ""
    reason = "违反工作纪律"


class MemberViolationFactory(RecordFactory):
    class Meta:
        model = MemberViolation

    member_name = factory.Sequence(lambda n: f"违纪党员{n}")
    description = factory.Sequence(lambda n: f"酒后驾驶机动车（第{n}起）")


class AbsenceFactory(RecordFactory):
    class Meta:
        model = Absence

    kind = AbsenceKind.MEETING
    description = factory.Sequence(lambda n: f"市直工委季度工作会议{n}")
    is_excused = False
    excuse_reason = ""


FACTORIES = {
    Commendation: CommendationFactory,
    Innovation: InnovationFactory,
    CriticismNotice: CriticismNoticeFactory,
    DisciplinaryAction: DisciplinaryActionFactory,
    MemberViolation: MemberViolationFactory,
    Absence: AbsenceFactory,
}
