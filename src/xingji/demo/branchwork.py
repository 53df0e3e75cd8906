"""A year of organizational life for every demo branch, with gaps to catch.

For the twelve months up to yesterday, each branch holds each required kind
of meeting (``xingji.rules.frequencies``) once per period, except where it
misses one: about one period in ten, one in three for a few weak branches,
and the current periods mostly not yet (so that the to-do list has items
near a period's end). Each meeting takes the attendance of the roll (the
leadership team for a 支部委员会): mostly present, some on leave with a
reason, a few absent (for the last three months, and the whole year of the
first branch, the demo secretary's). Written with ``bulk_create`` for speed, each meeting
with its audit entry (the system as the actor); nothing is written when the
demo branches already have meetings.

Last year's appraisal of the members (民主评议党员) for every branch with a
roll: mostly 合格, about a fifth 优秀, a few 基本合格 and a handful of 不合格
across the city, a few branches with one or two members not yet graded (the
coverage shows it). The 不合格 members of the first few such branches have
their follow-up on the rectification ledger, decided by the committee office
through the service (the others wait for one). Nothing is written when the
demo branches already have appraisals of that year.

The working committee's own meetings for its units (``load_demo_convened``):
a 工作会议 four months ago and a 培训 two months ago, each with the roll of
the organizations directly under it, recorded by the committee office
through the service; one unit absent from the work meeting (its evidence
record of an unexcused absence, which the rating reads) and one on leave
from each. Nothing is written when the root already has such meetings.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from django.utils import timezone

from xingji.accounts.models import Role, User
from xingji.audit.services import append_audit_entries, snapshot
from xingji.branchwork.models import (
    Appraisal,
    AppraisalGrade,
    Attendance,
    AttendanceStatus,
    FollowUpKind,
    Grade,
    Meeting,
    MeetingKind,
)
from xingji.branchwork.services import (
    APPRAISAL_FIELDS,
    MEETING_FIELDS,
    MeetingFacts,
    UnitEntry,
    appraisal_follow_up_open,
    meeting_record,
)
from xingji.orgs.models import Member, Organization
from xingji.orgs.services import BRANCH_TYPES
from xingji.rules.frequencies import load_frequencies, span_of

PLACES = ("支部会议室", "机关三楼会议室", "党员活动室", "红色教育基地", "社区党群服务中心")
TOPICS = {
    MeetingKind.PARTY_CONGRESS: ("通报支部工作情况", "讨论发展党员", "选举支部委员会委员", "学习传达上级会议精神"),
    MeetingKind.COMMITTEE: ("研究本月支部工作安排", "研究党员教育管理", "研究发展对象培养", "研究党费收缴情况"),
    MeetingKind.GROUP_MEETING: ("学习党的创新理论", "交流工作体会", "讨论党员承诺践诺"),
    MeetingKind.PARTY_LECTURE: ("书记讲党课：践行初心使命", "学习党章党规", "党史专题党课"),
    MeetingKind.THEME_DAY: ("重温入党誓词", "志愿服务进社区", "参观廉政教育基地", "学习先进典型"),
    MeetingKind.LIFE_MEETING: ("年度组织生活会：对照检查、批评与自我批评",),
    MeetingKind.APPRAISAL: ("年度民主评议党员",),
}
LEAVE_REASONS = ("出差", "病假", "参加培训", "值班", "外出办事")


def load_demo_branchwork(*, root: Organization, today: date, seed: int) -> int:
    """Create the demo's meetings unless the demo branches already have some; how many were created.

    Last year's appraisals come with them (``load_demo_appraisals``)."""
    load_demo_appraisals(root=root, today=today, seed=seed)
    branches = list(Organization.objects.filter(path__startswith=root.path, org_type__in=BRANCH_TYPES).order_by("path"))
    if not branches or Meeting.objects.filter(organization__in=branches).exists():
        return 0
    rng = random.Random(f"{seed}-branchwork")
    members: dict[int, list[Member]] = defaultdict(list)
    for member in Member.objects.filter(organization__in=branches).order_by("id"):
        members[member.organization_id].append(member)
    weak = {branch.pk for branch in rng.sample(branches, k=max(1, len(branches) // 8))}
    first_day = today - timedelta(days=365)
    last_day = today - timedelta(days=1)
    frequencies = load_frequencies()
    meetings: list[Meeting] = []
    for branch in branches:
        gap = 0.35 if branch.pk in weak else 0.1
        for kind, period in frequencies.required(branch.category).items():
            day = span_of(first_day, period).start
            while day <= last_day:
                span = span_of(day, period)
                start, end = max(span.start, first_day), min(span.end, last_day)
                current = span.end >= today
                missed = rng.random() < (0.6 if current else gap)
                if not missed and start <= end:
                    held_on = start + timedelta(days=rng.randint(0, (end - start).days))
                    meetings.append(
                        Meeting(
                            organization=branch,
                            kind=kind,
                            held_on=held_on,
                            place=rng.choice(PLACES),
                            host=_host(members[branch.pk]),
                            topic=rng.choice(TOPICS[MeetingKind(kind)]),
                            minutes="演示数据：会议按议程进行，形成会议记录。",
                        )
                    )
                day = span.end + timedelta(days=1)
    created = Meeting.objects.bulk_create(meetings, batch_size=2000)
    # Attendance for the last three months' meetings, and the whole year of the demo secretary's (first)
    # branch: the pages show it, and the load stays quick.
    recent = today - timedelta(days=92)
    taken = [meeting for meeting in created if meeting.held_on >= recent or meeting.organization_id == branches[0].pk]
    Attendance.objects.bulk_create(_attendance(rng, taken, members), batch_size=5000)
    append_audit_entries(
        actor=None,
        entries=[("meeting.recorded", meeting, None, snapshot(meeting, MEETING_FIELDS)) for meeting in created],
    )
    load_demo_convened(root=root, today=today, seed=seed)
    return len(created)


#: The working committee's meetings for its units: kind, days ago, place, topic.
CONVENED = (
    (MeetingKind.WORK_MEETING, 120, "机关三楼会议室", "基层党组织星级创建工作推进会"),
    (MeetingKind.TRAINING, 60, "市委党校", "党支部书记履职能力培训班"),
)


def load_demo_convened(*, root: Organization, today: date, seed: int) -> int:
    """The working committee's meetings for its units (the module's text); how many were recorded."""
    units = list(Organization.objects.filter(path__startswith=root.path, depth=root.depth + 1).order_by("path"))
    office = User.objects.filter(organization=root, role=Role.COMMITTEE_OFFICE, is_active=True).order_by("pk").first()
    if len(units) < 2 or office is None or Meeting.objects.filter(organization=root).exists():
        return 0
    rng = random.Random(f"{seed}-convened")
    absent = rng.choice(units[1:])  # never the first unit: the demo secretary's line stays clean
    for number, (kind, days, place, topic) in enumerate(CONVENED):
        on_leave = rng.choice([unit for unit in units if unit != absent])
        entries = []
        for unit in units:
            if unit == on_leave:
                entries.append(UnitEntry(unit.pk, AttendanceStatus.LEAVE, rng.choice(LEAVE_REASONS)))
            elif unit == absent and number == 0:
                entries.append(UnitEntry(unit.pk, AttendanceStatus.ABSENT))
            else:
                entries.append(UnitEntry(unit.pk, AttendanceStatus.PRESENT))
        meeting_record(
            organization=root,
            facts=MeetingFacts(
                kind=kind,
                held_on=today - timedelta(days=days),
                place=place,
                host=office.get_full_name() or office.username,
                topic=topic,
                minutes="演示数据：会议传达上级精神，部署下一阶段工作，参会单位签到。",
            ),
            attendance=[],
            actor=office,
            units=entries,
        )
    return len(CONVENED)


def _host(roll: list[Member]) -> str:
    leaders = [member for member in roll if member.is_leader]
    return (leaders or roll)[0].name if roll else "支部书记"


def _attendance(rng: random.Random, meetings: list[Meeting], members: dict[int, list[Member]]) -> list[Attendance]:
    rows = []
    for meeting in meetings:
        roll = members[meeting.organization_id]
        if meeting.kind == MeetingKind.COMMITTEE:
            roll = [member for member in roll if member.is_leader] or roll[:3]
        for member in roll:
            draw = rng.random()
            if draw < 0.86:
                rows.append(Attendance(meeting_id=meeting.pk, member_id=member.pk, status=AttendanceStatus.PRESENT))
            elif draw < 0.96:
                reason = rng.choice(LEAVE_REASONS)
                rows.append(
                    Attendance(meeting_id=meeting.pk, member_id=member.pk, status=AttendanceStatus.LEAVE, reason=reason)
                )
            else:
                rows.append(Attendance(meeting_id=meeting.pk, member_id=member.pk, status=AttendanceStatus.ABSENT))
    return rows


#: How many branches' 不合格 members get their follow-up on the ledger (the others wait for one).
FOLLOWED_UP_BRANCHES = 3
CONCLUSIONS = (
    "支部按照个人自评、党员互评、民主测评、组织评定的程序开展评议，党员普遍能够对照党章党规查找差距，评议结果经支部党员大会通过。",
    "评议中党员认真开展批评与自我批评，支部对评定为基本合格、不合格的党员逐一谈心谈话，提出整改要求。",
)


def load_demo_appraisals(*, root: Organization, today: date, seed: int) -> dict[str, int]:
    """Last year's appraisal of every demo branch with a roll; the number of appraisals, grades and follow-ups."""
    year = today.year - 1
    branches = list(Organization.objects.filter(path__startswith=root.path, org_type__in=BRANCH_TYPES).order_by("path"))
    if not branches or Appraisal.objects.filter(organization__in=branches, year=year).exists():
        return {"appraisals": 0, "grades": 0, "follow_ups": 0}
    rng = random.Random(f"{seed}-appraisal")
    members: dict[int, list[Member]] = defaultdict(list)
    for member in Member.objects.filter(organization__in=branches).order_by("id"):
        members[member.organization_id].append(member)
    branches = [branch for branch in branches if members[branch.pk]]
    incomplete = {branch.pk for branch in rng.sample(branches, k=len(branches) // 10)}
    now = timezone.now()
    appraisals = Appraisal.objects.bulk_create(
        [
            Appraisal(
                organization=branch, year=year, conclusion=rng.choice(CONCLUSIONS), created_at=now, updated_at=now
            )
            for branch in branches
        ]
    )
    grades: list[AppraisalGrade] = []
    for appraisal in appraisals:
        roll = members[appraisal.organization_id]
        left_out = (
            set(rng.sample(range(len(roll)), k=min(len(roll) - 1, rng.randint(1, 2))))
            if (appraisal.organization_id in incomplete)
            else set()
        )
        for position, member in enumerate(roll):
            if position not in left_out:
                grades.append(AppraisalGrade(appraisal=appraisal, member=member, grade=_grade(rng)))
    # A few sure 不合格 members (never a leader), whose follow-ups the office decides.
    followed = {appraisal.pk for appraisal in rng.sample(appraisals, k=min(FOLLOWED_UP_BRANCHES, len(appraisals)))}
    for appraisal_pk in followed:
        candidates = [row for row in grades if row.appraisal.pk == appraisal_pk and not row.member.is_leader]
        if candidates:
            candidates[-1].grade = Grade.UNQUALIFIED
    AppraisalGrade.objects.bulk_create(grades, batch_size=5000)
    graded: dict[int, dict[str, str]] = defaultdict(dict)
    for row in grades:
        graded[row.appraisal.pk][str(row.member.pk)] = row.grade
    append_audit_entries(
        actor=None,
        entries=[
            (
                "appraisal.recorded",
                appraisal,
                None,
                {**snapshot(appraisal, APPRAISAL_FIELDS), "grades": graded[appraisal.pk]},
            )
            for appraisal in appraisals
        ],
    )
    return {
        "appraisals": len(appraisals),
        "grades": len(grades),
        "follow_ups": _follow_ups(rng, root, grades, followed, today),
    }


def _grade(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.2:
        return Grade.EXCELLENT
    if draw < 0.95:
        return Grade.QUALIFIED
    if draw < 0.99:
        return Grade.BASICALLY_QUALIFIED
    return Grade.UNQUALIFIED


def _follow_ups(
    rng: random.Random, root: Organization, grades: list[AppraisalGrade], followed: set[int], today: date
) -> int:
    """The follow-ups of the 不合格 members of the ``followed`` appraisals, decided by the office."""
    office = User.objects.filter(organization=root, role=Role.COMMITTEE_OFFICE, is_active=True).order_by("pk").first()
    if office is None:
        return 0
    unqualified = [row for row in grades if row.grade == Grade.UNQUALIFIED and row.appraisal.pk in followed]
    # The ledger refuses a deadline before the real today, whatever day the demo is drawn for.
    base = max(today, timezone.localdate())
    count = 0
    for row in unqualified:
        appraisal_follow_up_open(
            appraisal=row.appraisal,
            member=row.member,
            kind=rng.choice([FollowUpKind.CORRECT, FollowUpKind.CORRECT, FollowUpKind.PERSUADE]),
            deadline=base + timedelta(days=rng.choice((60, 90, 180))),
            actor=office,
        )
        count += 1
    return count
