"""Recording meetings: attendance from the roll, bad input refused with nothing written, who may record."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tests.branchwork.conftest import JPEG, PDF, PNG, everyone_present, facts
from tests.factories import MemberFactory
from xingji.audit.models import AuditEntry
from xingji.branchwork import services
from xingji.branchwork.models import Attendance, Meeting
from xingji.branchwork.services import AttendanceEntry
from xingji.records.models import Attachment


def record(organization, actor, attendance=(), **changes):
    return services.meeting_record(
        organization=organization, facts=facts(**changes), attendance=attendance, actor=actor
    )


def test_it_records_a_meeting_with_its_attendance_and_audit_entry(tree, secretary, roll):
    attendance = [
        AttendanceEntry(member_id=roll[0].pk, status="present"),
        AttendanceEntry(member_id=roll[1].pk, status="leave", reason="出差"),
        AttendanceEntry(member_id=roll[2].pk, status="absent", reason="ignored"),
    ]
    meeting = record(tree.finance_1, secretary, attendance)
    assert meeting.organization == tree.finance_1
    assert meeting.created_by == secretary
    assert list(meeting.attendances.order_by("member_id").values_list("member__name", "status", "reason")) == [
        ("张伟", "present", ""),
        ("王芳", "leave", "出差"),
        ("李强", "absent", ""),
    ]
    entry = AuditEntry.objects.get(action="meeting.recorded")
    assert entry.after["kind"] == "committee"
    assert entry.after["attendance"][1] == {"member_id": roll[1].pk, "status": "leave", "reason": "出差"}


def test_a_meeting_dated_in_the_future_is_refused_and_nothing_is_written(tree, secretary, roll, today):
    with pytest.raises(ValidationError) as refused:
        record(tree.finance_1, secretary, everyone_present(roll), held_on=today + timedelta(days=1))
    assert refused.value.message_dict == {"held_on": ["日期不能晚于今天"]}
    assert not Meeting.objects.exists()
    assert not Attendance.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="meeting.").exists()


def test_a_meeting_today_is_accepted(tree, secretary, today):
    assert record(tree.finance_1, secretary, held_on=today).held_on == today


def test_a_member_of_another_branch_is_refused_by_name(tree, secretary, roll):
    stranger = MemberFactory(organization=tree.finance_2, name="赵六")
    with pytest.raises(ValidationError) as refused:
        record(tree.finance_1, secretary, [*everyone_present(roll), AttendanceEntry(stranger.pk, "present")])
    assert refused.value.message_dict == {
        "attendance": ["党员“赵六”属于财政局第二支部，不是财政局第一支部的党员，不能登记参会"]
    }
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (lambda roll: [AttendanceEntry(roll[0].pk, "leave", "  ")], "党员“张伟”请假，须填写请假事由"),
        (lambda roll: [AttendanceEntry(roll[0].pk, "present")] * 2, "党员“张伟”登记了两次"),
        (lambda roll: [AttendanceEntry(roll[0].pk, "late")], "党员“张伟”的出席情况“late”无效"),
        (lambda roll: [AttendanceEntry(999_999, "present")], "第1位参会人员不存在"),
    ],
)
def test_bad_attendance_is_refused_naming_the_member(tree, secretary, roll, entries, message):
    with pytest.raises(ValidationError) as refused:
        record(tree.finance_1, secretary, entries(roll))
    assert refused.value.message_dict == {"attendance": [message]}
    assert not Meeting.objects.exists()


def test_a_reviewer_and_the_office_above_record_for_the_branch(tree, reviewer, office_user):
    assert record(tree.finance_1, reviewer).created_by == reviewer
    assert record(tree.finance_1, office_user).created_by == office_user


def test_the_inspector_reads_only(tree, inspector):
    with pytest.raises(PermissionDenied, match="只能查看"):
        record(tree.finance_1, inspector)
    assert not Meeting.objects.exists()


def test_a_secretary_cannot_record_outside_its_subtree(tree, secretary):
    with pytest.raises(Http404):
        record(tree.finance_2, secretary)
    assert not Meeting.objects.exists()


def test_a_secretary_of_one_branch_is_refused_for_a_sister_branch_it_sees_not(tree, secretary):
    with pytest.raises(Http404):
        record(tree.education_1, secretary)


def test_a_committee_holds_no_branch_meetings(tree, office_user):
    with pytest.raises(PermissionDenied, match="只有党支部"):
        record(tree.finance, office_user)


def test_an_update_replaces_the_facts_and_the_attendance(tree, secretary, roll):
    meeting = record(tree.finance_1, secretary, everyone_present(roll))
    updated = services.meeting_update(
        meeting=meeting,
        facts=facts(topic="学习党章", kind="party_lecture"),
        attendance=[AttendanceEntry(roll[0].pk, "absent")],
        actor=secretary,
    )
    assert (updated.topic, updated.kind) == ("学习党章", "party_lecture")
    assert list(updated.attendances.values_list("member_id", "status")) == [(roll[0].pk, "absent")]
    entry = AuditEntry.objects.get(action="meeting.updated")
    assert (entry.before["topic"], entry.after["topic"]) == ("研究发展党员工作", "学习党章")
    assert len(entry.before["attendance"]) == 3


def test_a_refused_update_changes_nothing(tree, secretary, inspector, roll, today):
    meeting = record(tree.finance_1, secretary, everyone_present(roll))
    with pytest.raises(ValidationError):
        services.meeting_update(
            meeting=meeting, facts=facts(held_on=today + timedelta(days=3)), attendance=[], actor=secretary
        )
    with pytest.raises(PermissionDenied):
        services.meeting_update(meeting=meeting, facts=facts(topic="改"), attendance=[], actor=inspector)
    meeting.refresh_from_db()
    assert meeting.topic == "研究发展党员工作"
    assert meeting.attendances.count() == 3
    assert not AuditEntry.objects.filter(action="meeting.updated").exists()


@pytest.mark.parametrize(
    ("name", "content", "file_type"), [("签到表.pdf", PDF, "pdf"), ("现场.png", PNG, "png"), ("现场.jpg", JPEG, "jpg")]
)
def test_photos_and_scans_are_attached(tree, secretary, name, content, file_type):
    meeting = record(tree.finance_1, secretary)
    attachment = services.meeting_attachment_add(
        meeting=meeting, upload=io.BytesIO(content), name=name, size=len(content), actor=secretary
    )
    assert attachment.file_type == file_type
    assert list(services.meeting_attachments(meeting)) == [attachment]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("现场.jpg", b"GIF89a not a jpeg at all", "文件内容与扩展名不符"),
        ("记录.docx", b"PK\x03\x04", "会议附件只能是照片"),
        ("脚本.exe", b"MZ\x90\x00", "会议附件只能是照片"),
    ],
)
def test_a_file_that_is_no_photo_or_pdf_is_refused(tree, secretary, name, content, message):
    meeting = record(tree.finance_1, secretary)
    with pytest.raises(ValidationError, match=message):
        services.meeting_attachment_add(
            meeting=meeting, upload=io.BytesIO(content), name=name, size=len(content), actor=secretary
        )
    assert not Attachment.objects.exists()


def test_a_real_docx_is_refused_as_no_photo(tree, secretary):
    from tests.records.conftest import DOCX

    meeting = record(tree.finance_1, secretary)
    with pytest.raises(ValidationError, match="会议附件只能是照片（JPG、PNG）或 PDF 扫描件"):
        services.meeting_attachment_add(
            meeting=meeting, upload=io.BytesIO(DOCX), name="记录.docx", size=len(DOCX), actor=secretary
        )
    assert not Attachment.objects.exists()


def test_the_inspector_may_not_attach_or_delete(tree, secretary, inspector):
    meeting = record(tree.finance_1, secretary)
    attachment = services.meeting_attachment_add(
        meeting=meeting, upload=io.BytesIO(PDF), name="签到表.pdf", size=len(PDF), actor=secretary
    )
    with pytest.raises(PermissionDenied):
        services.meeting_attachment_add(
            meeting=meeting, upload=io.BytesIO(PDF), name="签到表.pdf", size=len(PDF), actor=inspector
        )
    with pytest.raises(PermissionDenied):
        services.meeting_attachment_delete(meeting=meeting, attachment=attachment, actor=inspector)
    assert Attachment.objects.count() == 1
    services.meeting_attachment_delete(meeting=meeting, attachment=attachment, actor=secretary)
    assert not Attachment.objects.exists()


def test_a_secretary_reaches_no_meeting_outside_its_subtree(tree, secretary, reviewer):
    sister = record(tree.finance_2, reviewer)
    with pytest.raises(Http404):
        services.meeting_update(meeting=sister, facts=facts(topic="改"), attendance=[], actor=secretary)
    with pytest.raises(Http404):
        services.meeting_attachment_add(
            meeting=sister, upload=io.BytesIO(PDF), name="签到表.pdf", size=len(PDF), actor=secretary
        )
    sister.refresh_from_db()
    assert sister.topic == "研究发展党员工作"
    assert not Attachment.objects.exists()
