"""The demo's re-checks, changes of level, focus guides and supervision visits (复检核星、重点管理、督导).

Written through ``xingji.supervision.services`` by the user whose act it is:
the first two 机关党委 re-check a few of their branches (some findings open
rectification items), guides are assigned to focus organizations, the office
records two visits — one 检查验收 that issues a criticism notice (a −3 for
the rules) with its item, one 调研指导 — and a change of level waits for the
committee. When the star ledger already rates a branch at two stars or more
(a campaign approved), one downgrade is approved and the ledger shows it.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

from xingji.accounts.models import Role, User
from xingji.campaigns.selectors import current_levels
from xingji.orgs.models import Organization
from xingji.orgs.services import BRANCH_TYPES
from xingji.records.models import CriticismIssuer
from xingji.supervision import services
from xingji.supervision.models import Recheck

FINDINGS = [
    ("三会一课记录不全，组织生活会会前谈心谈话无记录", "补齐会议记录，规范组织生活", "每月由组织委员检查记录"),
    ("党员活动室设施陈旧，制度未上墙", "阵地建设达标", "更新设施，制度上墙"),
    ("党费收缴不及时，台账不清", "按月足额收缴", "建立党费收缴台账，每月公示"),
    ("为民服务活动开展少，群众知晓率低", "每季度开展一次服务活动", "制定服务清单，结对帮扶"),
]


def _item(rng: random.Random, today: date, responsible: str) -> dict:
    problem, target, measures = rng.choice(FINDINGS)
    # The services refuse a deadline before the real today, whatever day the demo is drawn for.
    deadline_base = max(today, timezone.localdate())
    return {
        "problem": problem,
        "target": target,
        "measures": measures,
        "responsible": responsible,
        "deadline": deadline_base + timedelta(days=rng.choice([20, 45, 60, 90])),
    }


def load(*, root: Organization, today: date, seed: int) -> dict[str, int]:
    """Record the demo's supervision, unless some re-check exists already under ``root``; return the counts."""
    subtree = Organization.objects.filter(path__startswith=root.path)
    if Recheck.objects.filter(organization__in=subtree).exists():
        return {}
    rng = random.Random(seed + 7)
    office = (
        User.objects.filter(organization=root, role=Role.COMMITTEE_OFFICE, is_superuser=False)
        .order_by("username")
        .first()
    )
    units = list(subtree.filter(depth=root.depth + 1).order_by("path")[:2])
    counts = {"rechecks": 0, "changes": 0, "guides": 0, "visits": 0}
    branches_seen: list[Organization] = []
    for unit in units:
        reviewer = User.objects.filter(organization=unit, role=Role.REVIEWER).order_by("username").first()
        if reviewer is None:
            continue
        branches = list(
            subtree.filter(path__startswith=unit.path, org_type__in=BRANCH_TYPES, is_active=True).order_by("path")[:4]
        )
        branches_seen.extend(branches)
        for index, branch in enumerate(branches[:3]):
            items = [_item(rng, today, "支部书记") for _ in range(index % 2 + 1)] if index != 2 else []
            services.recheck_record(
                organization=branch,
                checked_on=today - timedelta(days=rng.randint(20, 150)),
                method=rng.choice(["site", "documents", "interview", "combined"]),
                findings="；".join(item["problem"] for item in items) or "组织生活规范，台账齐全，未发现问题",
                items=items,
                actor=reviewer,
            )
            counts["rechecks"] += 1
        for branch in branches[:2]:
            services.focus_guide_assign(
                organization=branch,
                name=reviewer.get_full_name(),
                user=reviewer,
                note=f"{unit.name}联系领导",
                actor=reviewer,
            )
            counts["guides"] += 1
    if office is None or not branches_seen:
        return counts
    levels = current_levels(branch.pk for branch in branches_seen)
    rated = [branch for branch in branches_seen if levels.get(branch.pk, 0) >= 2]
    if rated:
        # A rated branch re-checked by the office, downgraded one level by the committee today.
        branch = rated[0]
        recheck = services.recheck_record(
            organization=branch,
            checked_on=today,
            method="combined",
            findings="创建活动开展不积极，工作措施落实不到位",
            items=[_item(rng, today, "支部书记")],
            propose_level=levels[branch.pk] - 1,
            propose_reason="复检不达标，降低一个星级",
            actor=office,
        )
        counts["rechecks"] += 1
        change = recheck.level_changes.get()
        # The meeting is on the real day the change is proposed (the service refuses an earlier or a later one).
        meeting_on = timezone.localdate()
        services.level_change_approve(
            change=change, meeting_on=meeting_on, minutes_number=f"工委会纪要〔{meeting_on.year}〕1号", actor=office
        )
        counts["changes"] += 1
    unrated = [branch for branch in branches_seen if branch.pk not in levels]
    if unrated:
        services.level_change_propose(
            organization=unrated[-1], to_level=1, reason="新建支部，复检后提请定为一星级", actor=office
        )
        counts["changes"] += 1
    visited = branches_seen[:3]
    services.visit_record(
        organizations=visited,
        visited_on=today - timedelta(days=12),
        method="acceptance",
        group_members="市直工委专项督导组：组织部、宣传部各一人",
        findings="个别支部活动开展不积极，工作成效不明显",
        criticisms=[
            {
                "organization": visited[0],
                "issuer": CriticismIssuer.WORKING_COMMITTEE,
                "document_number": f"安市直工〔{today.year}〕督1号",
                "reason": "星级创建活动开展不积极",
                "date": today - timedelta(days=10),
                "item": {key: value for key, value in _item(rng, today, "支部书记").items() if key != "problem"},
            }
        ],
        items=[{**_item(rng, today, "支部书记"), "organization": visited[-1]}],
        actor=office,
    )
    services.visit_record(
        organizations=branches_seen[-2:],
        visited_on=today - timedelta(days=40),
        method="research",
        group_members="市直工委指导组",
        findings="了解创建进展，指导制定晋位争星方案",
        actor=office,
    )
    counts["visits"] += 2
    return counts
