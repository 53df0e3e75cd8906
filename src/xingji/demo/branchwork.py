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
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from xingji.audit.services import append_audit_entries, snapshot
from xingji.branchwork.models import Attendance, AttendanceStatus, Meeting, MeetingKind
from xingji.branchwork.services import MEETING_FIELDS
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
    """Create the demo's meetings unless the demo branches already have some; how many were created."""
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
    return len(created)


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
