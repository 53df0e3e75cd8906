"""A year of evidence records (加减分依据) for the demo organizations, every kind represented.

Written through ``xingji.records.services.record_create`` with the system as
the actor (the records it enters are confirmed), so each record has its
audit entry. The year holds what a 市直机关
typically sees: a dozen commendations and signed articles (mostly city
level, a few provincial, one national), a handful of innovations promoted
by a superior, criticism notices (mostly from the working committee, one
from the municipal committee), disciplinary actions against leadership-team
members (light and heavy) and ordinary members, members' violations, and a
few dozen absences and overdue tasks — some excused, and one branch with
three unexcused ones (the year-end demotion rule).

The demo secretary's branch (the first branch) always gets a commendation,
an excused absence and an unexcused one, so that its pages are not empty;
and the secretary claims (申报) one more commendation with its certificate,
which waits for the reviewer's confirmation (加分申报待确认): the rated
organization never enters a record that counts for itself.
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

from django.db.models import Q

from xingji.accounts.models import Role, User
from xingji.demo.ledger import evidence_pdf
from xingji.demo.names import person_name
from xingji.demo.root import demo_root
from xingji.orgs.models import LeadershipPosition, Member, Organization
from xingji.orgs.services import BRANCH_TYPES

WORKING_COMMITTEE = "中共安阳市直属机关工作委员会"
WORKING_COMMITTEE_NUMBER = "安市直工〔{year}〕{n}号"
#: What the demo secretary's branch claims itself, waiting for confirmation.
CLAIM_TITLE = "市直机关“五好”党支部"
CLAIM_FILE = "五好党支部表彰决定.pdf"

COMMENDATIONS = (
    # (kind, recipient, level, title, issuer, document number pattern)
    ("commendation", "organization", "city", "市直机关先进基层党组织", WORKING_COMMITTEE, WORKING_COMMITTEE_NUMBER),
    ("commendation", "organization", "city", "市直机关先进基层党组织", WORKING_COMMITTEE, WORKING_COMMITTEE_NUMBER),
    ("commendation", "organization", "city", "市直机关先进基层党组织", WORKING_COMMITTEE, WORKING_COMMITTEE_NUMBER),
    ("commendation", "secretary", "city", "市直机关优秀党务工作者", WORKING_COMMITTEE, WORKING_COMMITTEE_NUMBER),
    ("commendation", "secretary", "city", "市直机关优秀党务工作者", WORKING_COMMITTEE, WORKING_COMMITTEE_NUMBER),
    ("commendation", "organization", "city", "全市先进基层党组织", "中共安阳市委", "安发〔{year}〕{n}号"),
    ("commendation", "organization", "province", "全省先进基层党组织", "中共河南省委", "豫发〔{year}〕{n}号"),
    ("commendation", "secretary", "province", "全省优秀共产党员", "中共河南省委", "豫发〔{year}〕{n}号"),
    ("commendation", "organization", "national", "全国先进基层党组织", "中共中央", ""),
    ("signed_article", "secretary", "city", "以高质量党建引领机关作风建设", "安阳日报", ""),
    ("signed_article", "secretary", "city", "把支部建在服务一线", "安阳日报", ""),
    ("signed_article", "secretary", "province", "机关党支部标准化建设的几点做法", "河南日报", ""),
    ("signed_article", "organization", "province", "“四强”党支部创建的实践与思考", "《党的生活》", ""),
)

INNOVATIONS = (
    ("“党建+政务服务”一窗通办工作法", "city", WORKING_COMMITTEE),
    ("机关党员“双报到”积分管理", "city", WORKING_COMMITTEE),
    ("“清廉机关”建设三张清单", "city", "中共安阳市委组织部"),
    ("“支部建在项目上”工作法", "province", "中共河南省委组织部"),
    ("“红色物业”联建共建机制", "province", "中共河南省直属机关工作委员会"),
)

CRITICISMS = (
    ("working_committee", "“三会一课”记录不全，组织生活会未按时召开"),
    ("working_committee", "党费未按时足额收缴"),
    ("working_committee", "主题党日活动流于形式，台账不实"),
    ("working_committee", "整改台账未按期销号"),
    ("working_committee", "发展党员程序不规范"),
    ("municipal_committee", "意识形态工作责任制落实不到位"),
)

DISCIPLINE = (
    # (leadership team, severity, reason)
    (True, "warning", "违反中央八项规定精神，违规公款吃喝"),
    (True, "serious_warning", "违规收受礼品礼金"),
    (True, "removal_from_post", "工作严重失职，造成不良影响"),
    (False, "warning", "违反工作纪律，多次无故脱岗"),
    (False, "serious_warning", "违规经商办企业"),
    (False, "probation", "违规借用管理服务对象钱款"),
)

VIOLATIONS = (
    "饮酒后驾驶机动车，被公安机关行政处罚",
    "参与赌博，被公安机关行政处罚",
    "违规兼职取酬",
    "在微信群发表不当言论，造成不良影响",
)

ABSENCE_TOPICS = (
    ("meeting", "市直机关党建工作推进会"),
    ("meeting", "市直机关全面从严治党工作会议"),
    ("meeting", "基层党组织星级创建工作部署会"),
    ("training", "市直机关党组织书记培训班"),
    ("training", "市直机关党务干部业务培训"),
    ("training", "发展党员工作专题培训"),
    ("task", "季度党建工作情况报送"),
    ("task", "党费收缴情况统计报送"),
    ("task", "星级创建自评材料报送"),
    ("task", "“七一”主题党日活动总结报送"),
)

EXCUSES = (
    "参加市政府专项督查，已书面请假",
    "因公出差，已请假并由委员代为参加",
    "病假，已履行请假手续",
    "因上级临时安排任务，经批准延期报送",
)


def load_demo_records(*, year: int, seed: int, today: date) -> dict[str, int] | None:
    """Create the demo's records for ``year`` unless the demo organizations already have some.

    Returns the number of records of each kind (by its Chinese name), or
    None when the records app has no models to fill.
    """
    try:
        from xingji.records.models import RECORD_MODELS
    except ImportError:
        return None
    root = demo_root()
    if root is None:
        return {}
    in_demo = Q(organization__path__startswith=root.path)
    if not any(model._default_manager.filter(in_demo, date__year=year).exists() for model in RECORD_MODELS):
        RecordsLoader(random.Random(f"{seed}-records-{year}"), root, year, today).load()
    return record_counts(root, year)


def record_counts(root: Organization, year: int) -> dict[str, int]:
    """The number of the demo's records of each kind in ``year`` (by its Chinese name)."""
    from xingji.records.models import RECORD_MODELS

    in_demo = Q(organization__path__startswith=root.path)
    return {
        str(model._meta.verbose_name): model._default_manager.filter(in_demo, date__year=year).count()
        for model in RECORD_MODELS
    }


class RecordsLoader:
    def __init__(self, rng: random.Random, root: Organization, year: int, today: date):
        self.rng = rng
        self.year = year
        self.first_day = date(year, 1, 1)
        self.last_day = min(date(year, 12, 31), today)
        subtree = Organization.objects.filter(path__startswith=root.path).order_by("path")
        self.organizations = list(subtree)
        self.branches = [organization for organization in self.organizations if organization.org_type in BRANCH_TYPES]
        self.inner = [organization for organization in self.organizations if organization.org_type not in BRANCH_TYPES]
        self.document_number = 10

    def day(self) -> date:
        return self.first_day + timedelta(days=self.rng.randint(0, (self.last_day - self.first_day).days))

    def number(self, pattern: str) -> str:
        if not pattern:
            return ""
        self.document_number += self.rng.randint(1, 9)
        return pattern.format(year=self.year, n=self.document_number)

    def create(self, model_name: str, **data) -> None:
        from xingji.records import models
        from xingji.records.services import record_create

        record_create(model=getattr(models, model_name), data=data, actor=None)

    def load(self) -> None:
        rng = self.rng
        secretary_branch = self.branches[0]
        others = self.branches[1:] or self.branches

        honoured = [secretary_branch, *rng.sample(others, min(len(COMMENDATIONS) - 1, len(others)))]
        # One commendation of a 机关党委 itself, when there is one.
        if len(self.inner) > 1:
            honoured[-1] = self.inner[rng.randrange(1, len(self.inner))]
        for organization, (kind, recipient, level, title, issuer, pattern) in zip(
            honoured, COMMENDATIONS, strict=False
        ):
            self.create(
                "Commendation",
                organization=organization,
                date=self.day(),
                kind=kind,
                recipient=recipient,
                level=level,
                title=title,
                issuer=issuer,
                document_number=self.number(pattern),
            )

        for organization, (title, level, recognized_by) in zip(
            rng.sample(self.organizations[1:], min(len(INNOVATIONS), len(self.organizations) - 1)),
            INNOVATIONS,
            strict=False,
        ):
            self.create(
                "Innovation",
                organization=organization,
                date=self.day(),
                title=title,
                level=level,
                recognized_by=recognized_by,
            )

        for organization, (issuer, reason) in zip(
            rng.sample(others, min(len(CRITICISMS), len(others))), CRITICISMS, strict=False
        ):
            pattern = WORKING_COMMITTEE_NUMBER if issuer == "working_committee" else "安办〔{year}〕{n}号"
            self.create(
                "CriticismNotice",
                organization=organization,
                date=self.day(),
                issuer=issuer,
                document_number=self.number(pattern),
                reason=reason,
            )

        for organization, (is_leadership, severity, reason) in zip(
            rng.sample(others, min(len(DISCIPLINE), len(others))), DISCIPLINE, strict=False
        ):
            member = self.member_of(organization, leadership=is_leadership)
            self.create(
                "DisciplinaryAction",
                organization=organization,
                date=self.day(),
                member=member,
                member_name=self.name_unless(member),
                is_leadership=is_leadership,
                severity=severity,
                document_number=self.number("安纪〔{year}〕{n}号"),
                reason=reason,
            )

        for organization, description in zip(
            rng.sample(others, min(len(VIOLATIONS), len(others))), VIOLATIONS, strict=False
        ):
            member = self.member_of(organization, leadership=False)
            self.create(
                "MemberViolation",
                organization=organization,
                date=self.day(),
                member=member,
                member_name=self.name_unless(member),
                description=description,
            )

        self.load_absences(secretary_branch, others)
        self.load_claim(secretary_branch)

    def load_claim(self, branch: Organization) -> None:
        """The branch's own claim of a commendation, with its certificate, entered by its secretary."""
        from xingji.records.models import Commendation
        from xingji.records.services import attachment_add, record_create

        secretary = User.objects.filter(organization=branch, role=Role.BRANCH_SECRETARY, is_active=True).first()
        if secretary is None:
            return
        record = record_create(
            model=Commendation,
            data={
                "organization": branch,
                "date": self.last_day,
                "kind": "commendation",
                "recipient": "organization",
                "level": "city",
                "title": CLAIM_TITLE,
                "issuer": WORKING_COMMITTEE,
                "document_number": self.number(WORKING_COMMITTEE_NUMBER),
            },
            actor=secretary,
        )
        content = evidence_pdf()
        attachment_add(record=record, upload=io.BytesIO(content), name=CLAIM_FILE, size=len(content), actor=secretary)

    def load_absences(self, secretary_branch: Organization, others: list[Organization]) -> None:
        rng = self.rng
        plan: list[tuple[Organization, bool]] = [(secretary_branch, True), (secretary_branch, False)]
        # A branch with three unexcused absences (demoted one level at year end), one with two.
        repeated = rng.sample(others, min(2, len(others)))
        plan += [(repeated[0], False)] * 3
        if len(repeated) > 1:
            plan += [(repeated[1], False)] * 2
        for organization in rng.sample(others, min(22, len(others))):
            plan.append((organization, rng.random() < 0.35))
        used: set[tuple[int, str, date]] = set()
        for organization, is_excused in plan:
            kind, description = rng.choice(ABSENCE_TOPICS)
            day = self.day()
            while (organization.pk, description, day) in used:
                day = self.day()
            used.add((organization.pk, description, day))
            self.create(
                "Absence",
                organization=organization,
                date=day,
                kind=kind,
                description=description,
                is_excused=is_excused,
                excuse_reason=rng.choice(EXCUSES) if is_excused else "",
            )

    def name_unless(self, member: Member | None) -> str:
        """The record's own name field: empty when a member is chosen (the service fills it in)."""
        return "" if member is not None else person_name(self.rng, female=False)

    def member_of(self, organization: Organization, *, leadership: bool) -> Member | None:
        members = Member.objects.filter(organization=organization).order_by("id")
        if leadership:
            members = members.exclude(leadership_position=LeadershipPosition.NONE).exclude(
                leadership_position=LeadershipPosition.SECRETARY
            )
            # A branch of fewer than seven has its secretary alone on the team.
            if not members.exists():
                members = Member.objects.filter(organization=organization, leadership_position="secretary")
        else:
            members = members.filter(leadership_position=LeadershipPosition.NONE)
        candidates = list(members)
        return self.rng.choice(candidates) if candidates else None
