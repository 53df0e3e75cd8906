"""The demo's improvement plans and rectification ledger, written through the ledger services.

Under the first 机关党委 (where the demo's secretary and reviewer log in):
the secretary's branch has a returned plan and items in every state (one
awaiting its confirmation, one whose closing was refused), its sister
branches a submitted and an acknowledged plan. Across the tree: a draft and
a few submitted plans, one item of every source in every state (opened by
the branch's superior, closed by it), and a paper ledger carried over
(imported by the office) with overdue items. Nothing is written when the
demo tree already has ledger items.
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from xingji.accounts.models import Role, User
from xingji.common.pdf import PdfFontMissing, cjk_font
from xingji.ledger import services
from xingji.ledger.models import ImprovementPlan, ItemSource, ItemState, RectificationItem
from xingji.orgs.models import Organization, OrganizationType

EVIDENCE_NAME = "整改佐证材料.pdf"
EVIDENCE_LINES = (
    "整改佐证材料（演示）",
    "本文件由演示数据自动生成，用于展示申请销账时上传的佐证材料。",
    "实际使用时，请上传会议记录、照片、制度文件等真实材料。",
)
#: The same note where no Chinese font is installed (``xingji.common.pdf``).
EVIDENCE_LINES_ASCII = (
    "Rectification evidence (demo)",
    "Generated with the demo data to show the evidence uploaded with a closing request.",
    "In real use, upload the minutes, photos or rules that show the rectification.",
)

PROBLEMS = {
    ItemSource.SELF: (
        "“三会一课”记录不完整，部分支部委员会会议未记录议题",
        "按月补齐会议记录，指定组织委员专人负责",
        "会议记录完整规范",
    ),
    ItemSource.RECHECK: ("复检核星发现党员发展材料缺少政审意见", "逐人核对发展党员档案，补齐政审材料", "档案材料齐全"),
    ItemSource.INSPECTION: (
        "督导检查发现主题党日活动形式单一、内容空泛",
        "每季度制定主题党日计划，结合业务开展",
        "主题党日有计划、有主题、有记录",
    ),
    ItemSource.OBJECTION: (
        "公示期间群众反映党员联系服务群众不到位",
        "建立党员联系户制度，每月走访一次",
        "联系服务群众制度落实",
    ),
    ItemSource.CRITICISM: ("被通报批评：党费收缴不及时", "按月收缴党费并公示，书记审核签字", "党费按月足额收缴"),
}


def evidence_pdf() -> bytes:
    """A one-page A4 PDF with a short note, in Chinese when the Chinese font is installed, in English otherwise."""
    try:
        font, lines = cjk_font(), EVIDENCE_LINES
    except PdfFontMissing:
        font, lines = "Helvetica", EVIDENCE_LINES_ASCII
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(lines[0])
    _, height = A4
    pdf.setFont(font, 18)
    pdf.drawString(25 * mm, height - 35 * mm, lines[0])
    pdf.setFont(font, 11)
    for index, line in enumerate(lines[1:]):
        pdf.drawString(25 * mm, height - (50 + 8 * index) * mm, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _secretary(organization: Organization) -> User | None:
    return User.objects.filter(organization=organization, role=Role.BRANCH_SECRETARY, is_active=True).first()


def _reviewer(organization: Organization) -> User | None:
    ancestors = [
        organization.path[:end] for end in range(Organization.steplen, len(organization.path), Organization.steplen)
    ]
    return (
        User.objects.filter(organization__path__in=ancestors, role=Role.REVIEWER, is_active=True)
        .order_by("-organization__depth")
        .first()
    )


def load_demo_ledger(*, root: Organization, today: date, seed: int) -> dict[str, int]:
    """Fill the demo's plans and ledger unless it has items already; the number of plans and items."""
    in_demo = RectificationItem.objects.filter(organization__path__startswith=root.path)
    if not in_demo.exists():
        _Loader(random.Random(f"{seed}-ledger"), root, today).load()
    plans = ImprovementPlan.objects.filter(organization__path__startswith=root.path, year=today.year)
    return {"plans": plans.count(), "items": in_demo.count()}


class _Loader:
    def __init__(self, rng: random.Random, root: Organization, today: date):
        self.rng = rng
        self.root = root
        self.today = today
        # The services refuse a deadline before the real today, whatever day the demo is drawn for.
        self.deadline_base = max(today, timezone.localdate())
        self.office = User.objects.get(username="office")
        # Drawn once: every closing request of the demo attaches a copy of the same file.
        self.evidence_content = evidence_pdf()

    def evidence_files(self):
        return [(io.BytesIO(self.evidence_content), EVIDENCE_NAME, len(self.evidence_content))]

    def load(self) -> None:
        subtree = Organization.objects.filter(path__startswith=self.root.path, is_active=True).order_by("path")
        units = list(subtree.filter(depth=self.root.depth + 1).exclude(org_type=OrganizationType.BRANCH))
        if not units:
            return
        first_unit = units[0]
        branches = [
            organization
            for organization in subtree.filter(path__startswith=first_unit.path, depth__gt=first_unit.depth)
            if organization.numchild == 0
        ]
        reviewer = User.objects.filter(organization=first_unit, role=Role.REVIEWER).first() or self.office
        self.first_unit_branches(branches, reviewer)
        others = [
            organization
            for organization in subtree.filter(numchild=0)
            if not organization.path.startswith(first_unit.path)
        ]
        self.elsewhere(self.rng.sample(others, min(len(others), 12)))

    def open(self, organization, source, actor, *, days: int, note: str = ""):
        problem, measures, target = PROBLEMS[source]
        return services.item_open(
            organization=organization,
            problem=problem,
            source=source,
            target=target,
            measures=measures,
            responsible="支部书记",
            deadline=self.deadline_base + timedelta(days=days),
            source_note=note,
            actor=actor,
        )

    def plan(self, organization, secretary, *, target: int | None = None):
        from xingji.campaigns.selectors import current_level

        level = current_level(organization) or 0
        return services.plan_create(
            organization=organization,
            year=self.today.year,
            target_level=target or min(level + 1, 5),
            measures="一、对照星级标准逐项自查，列出问题清单；\n二、落实“三会一课”，规范组织生活；\n"
            "三、开展党员联系服务群众活动，每季度总结一次。",
            responsible=secretary.name or "支部书记",
            milestones=[
                (self.today + timedelta(days=30), "完成自查，形成问题清单"),
                (self.today + timedelta(days=90), "完成整改，准备年底复核"),
            ],
            actor=secretary,
        )

    def first_unit_branches(self, branches, reviewer) -> None:
        for index, branch in enumerate(branches[:3]):
            secretary = _secretary(branch)
            if secretary is None:
                continue
            plan = self.plan(branch, secretary)
            if index == 0:  # the demo secretary: a plan returned with comments
                plan = services.plan_submit(plan=plan, actor=secretary)
                services.plan_return(
                    plan=plan, comment="措施要对照问题清单逐条细化，请修改后重新报送。", actor=reviewer
                )
            elif index == 1:
                services.plan_submit(plan=plan, actor=secretary)
            elif index == 2:
                services.plan_acknowledge(plan=services.plan_submit(plan=plan, actor=secretary), actor=reviewer)
        if not branches:
            return
        branch = branches[0]
        secretary = _secretary(branch)
        if secretary is None:
            return
        self.open(branch, ItemSource.SELF, secretary, days=10)
        self.open(branch, ItemSource.INSPECTION, reviewer, days=45, note=f"{self.today.year}年督导检查")
        closing = self.open(branch, ItemSource.RECHECK, reviewer, days=20, note=f"{self.today.year}年复检")
        services.item_request_close(
            item=closing, evidence="已逐人核对并补齐政审材料。", uploads=self.evidence_files(), actor=secretary
        )
        refused = self.open(branch, ItemSource.CRITICISM, self.office, days=30, note="市直工委通报〔2026〕2号")
        refused = services.item_request_close(
            item=refused, evidence="已收缴。", uploads=self.evidence_files(), actor=secretary
        )
        services.item_refuse_close(item=refused, comment="请补充党费收缴明细和公示照片。", actor=self.office)
        closed = self.open(branch, ItemSource.OBJECTION, self.office, days=15, note="公示异议")
        closed = services.item_request_close(
            item=closed, evidence="已建立联系户制度并开展走访。", uploads=self.evidence_files(), actor=secretary
        )
        services.item_confirm_close(item=closed, actor=reviewer)
        for sister in branches[1:3]:
            sister_secretary = _secretary(sister)
            if sister_secretary is not None:
                item = self.open(sister, ItemSource.INSPECTION, reviewer, days=25)
                services.item_request_close(
                    item=item,
                    evidence="已制定季度主题党日计划。",
                    uploads=self.evidence_files(),
                    actor=sister_secretary,
                )

    def elsewhere(self, branches) -> None:
        """One item of every source in every state, a few submitted plans, and overdue items carried over."""
        staffed = [(branch, secretary) for branch in branches if (secretary := _secretary(branch)) is not None]
        if not staffed:
            return
        for index, (branch, secretary) in enumerate(staffed[:4]):
            plan = self.plan(branch, secretary)
            if index:  # the first stays a draft
                services.plan_submit(plan=plan, actor=secretary)
        combinations = [
            (source, state)
            for source in ItemSource.values
            for state in (ItemState.OPEN, ItemState.CLOSING, ItemState.CLOSED)
        ]
        for index, (source, state) in enumerate(combinations):
            branch, secretary = staffed[index % len(staffed)]
            superior = _reviewer(branch) or self.office
            item = self.open(branch, source, superior, days=self.rng.randint(5, 60))
            if state == ItemState.OPEN:
                continue
            item = services.item_request_close(
                item=item, evidence="已按要求整改。", uploads=self.evidence_files(), actor=secretary
            )
            if state == ItemState.CLOSED:
                services.item_confirm_close(item=item, actor=superior)
        carried = []
        for index, (branch, _) in enumerate(staffed[-3:]):
            source = list(ItemSource)[index]
            problem, measures, target = PROBLEMS[source]
            carried.append(
                {
                    "organization": branch,
                    "problem": problem,
                    "source": source,
                    "source_note": "上年度台账结转",
                    "target": target,
                    "measures": measures,
                    "responsible": "支部书记",
                    "deadline": self.today - timedelta(days=self.rng.randint(3, 40)),
                    "state": ItemState.OPEN,
                    "closed_on": None,
                }
            )
        services.items_import(rows=carried, actor=self.office)
