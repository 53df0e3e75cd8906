"""API clients for the shared tree (tests/conftest.py): one per node and scope set, with their tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from xingji.accounts.models import Role
from xingji.api import scopes
from xingji.api.services import CreatedClient, api_client_create

ALL_READ = [scopes.read(area) for area in scopes.AREAS]


@pytest.fixture(autouse=True)
def fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_client(office_user) -> Callable[..., CreatedClient]:
    def make(organization, granted=None, *, role=Role.BRANCH_SECRETARY, name="省智慧党建平台", days=30):
        return api_client_create(
            name=name,
            organization=organization,
            scopes=list(granted if granted is not None else ALL_READ),
            expires_at=timezone.now() + timedelta(days=days),
            role=role,
            actor=office_user,
        )

    return make


class ApiCaller:
    """The test client with a token: ``get("/organizations")`` asks ``/api/v1/organizations``."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.http = Client()

    def headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.http.get(f"/api/v1{path}", params or {}, headers=self.headers(headers))

    def post(self, path: str, body, headers: dict | None = None):
        data = body if isinstance(body, str | bytes) else __import__("json").dumps(body)
        return self.http.post(
            f"/api/v1{path}", data=data, content_type="application/json", headers=self.headers(headers)
        )


@pytest.fixture
def caller(make_client) -> Callable[..., ApiCaller]:
    def make(organization, granted=None, **options) -> ApiCaller:
        return ApiCaller(make_client(organization, granted, **options).token)

    return make


@pytest.fixture
def world(tree, office_user):
    """Something of every kind the API reads, in FIN-1 (under FIN) and in EDU-1 (another subtree).

    Written directly (factories and the ORM): a read needs rows, not their history.
    """
    from datetime import date
    from decimal import Decimal

    from tests.factories import ElectionFactory, MemberFactory
    from tests.records.factories import CommendationFactory
    from xingji.branchwork.models import Appraisal, AppraisalGrade, Attendance, Meeting
    from xingji.campaigns import services as campaign_services
    from xingji.campaigns.models import CriterionScore, StarLedgerEntry
    from xingji.dues.models import DuesPayment
    from xingji.reports.models import ResultPublication
    from xingji.surveys.models import SurveySession

    campaign = campaign_services.campaign_open(
        campaign=campaign_services.campaign_create(root=tree.root, year=2026, kind="mid_year", actor=office_user),
        actor=office_user,
    )
    made = {"campaign": campaign, "members": {}}
    for branch in (tree.finance_1, tree.education_1):
        member = MemberFactory(organization=branch, phone="13812345678")
        made["members"][branch.code] = member
        ElectionFactory(organization=branch)
        CommendationFactory(organization=branch)
        meeting = Meeting.objects.create(
            organization=branch,
            kind="party_congress",
            held_on=date(2026, 3, 5),
            place="会议室",
            host="书记",
            topic="学习",
        )
        Attendance.objects.create(meeting=meeting, member=member, status="present")
        appraisal = Appraisal.objects.create(organization=branch, year=2025, conclusion="好")
        AppraisalGrade.objects.create(appraisal=appraisal, member=member, grade="excellent")
        DuesPayment.objects.create(
            member=member, month=date(2026, 1, 1), amount=Decimal("25.00"), paid_on=date(2026, 1, 5)
        )
        evaluation = campaign.evaluations.get(organization=branch)
        CriterionScore.objects.create(evaluation=evaluation, part="self", criterion_code="1", score=Decimal("9.50"))
        evaluation.reasons = [{"rule": "criticism_working_committee", "clause": "五(三)3", "points": "-3.00"}]
        evaluation.base_score = Decimal("86.50")
        evaluation.save(update_fields=["reasons", "base_score"])
        StarLedgerEntry.objects.create(
            organization=branch,
            level=4,
            level_name="四星级",
            effective_on=date(2026, 1, 10),
            approving_body="市直工委",
            reason="年度评定",
            approver=office_user,
        )
        SurveySession.objects.create(
            evaluation=evaluation,
            meeting_on=date(2026, 5, 1),
            expires_at=timezone.now(),
            opened_by=office_user,
            member_count=10,
            member_participant_count=9,
        )
    ResultPublication.objects.create(
        year=2025,
        root=tree.root,
        title="2025年度星级评定结果",
        published_by=office_user,
        rows=[
            {"organization": branch.name, "organization_id": branch.pk, "level": 4, "level_name": "四星级"}
            for branch in (tree.finance_1, tree.education_1)
        ],
    )
    return made
