"""A superior's meetings for its subordinate organizations: the units absent are their 缺席 evidence records.

Also the deletion of a meeting (a branch's or a superior's): its attendance, its units' records and its
attachments go with it, audited, by whoever may change the meeting only.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from tests.branchwork.conftest import PDF, everyone_present, facts
from tests.factories import UserFactory
from xingji.accounts.models import Role
from xingji.audit.models import AuditEntry
from xingji.branchwork import services
from xingji.branchwork.models import Attendance, Meeting, UnitAttendance
from xingji.branchwork.services import UnitEntry
from xingji.records import services as record_services
from xingji.records.models import Absence, AbsenceKind, Attachment, RecordStatus
from xingji.records.selectors import engine_facts


def convene(organization, actor, units=(), **changes):
    """A work meeting of ``organization`` (a superior) for its subordinates."""
    return services.meeting_record(
        organization=organization,
        facts=facts(**{"kind": "work_meeting", "topic": "部署年度党建工作", **changes}),
        attendance=(),
        units=units,
        actor=actor,
    )


def update(meeting, actor, units, **changes):
    values = {
        "kind": meeting.kind,
        "held_on": meeting.held_on,
        "place": meeting.place,
        "host": meeting.host,
        "topic": meeting.topic,
        **changes,
    }
    return services.meeting_update(meeting=meeting, facts=facts(**values), attendance=(), units=units, actor=actor)


def absent_and_on_leave(tree):
    return [
        UnitEntry(organization_id=tree.finance_1.pk, status="absent"),
        UnitEntry(organization_id=tree.finance_2.pk, status="leave", reason="同日迎检"),
    ]


# --- recording ------------------------------------------------------------------------------------------


def test_a_unit_absent_without_leave_becomes_its_confirmed_absence_record(tree, reviewer):
    meeting = convene(tree.finance, reviewer, absent_and_on_leave(tree))

    absent = Absence.objects.get(organization=tree.finance_1)
    assert absent.kind == AbsenceKind.MEETING
    assert absent.date == meeting.held_on
    assert absent.description == "财政局机关党委工作会议：部署年度党建工作"
    assert absent.is_excused is False
    assert absent.status == RecordStatus.CONFIRMED
    assert absent.entered_by_organization == tree.finance
    assert absent.confirmed_by_organization == tree.finance
    assert absent.counts is True
    row = UnitAttendance.objects.get(meeting=meeting, organization=tree.finance_1)
    assert (row.status, row.absence) == ("absent", absent)


def test_a_unit_on_leave_gets_an_excused_record_that_does_not_count(tree, reviewer):
    convene(tree.finance, reviewer, absent_and_on_leave(tree))

    excused = Absence.objects.get(organization=tree.finance_2)
    assert (excused.is_excused, excused.excuse_reason, excused.status) == (True, "同日迎检", RecordStatus.CONFIRMED)
    assert excused.counts is False


def test_a_unit_present_has_no_record(tree, reviewer):
    meeting = convene(tree.finance, reviewer, [UnitEntry(organization_id=tree.finance_1.pk, status="present")])

    assert meeting.unit_attendances.get().absence is None
    assert not Absence.objects.exists()


def test_the_engine_counts_the_unexcused_absence_and_not_the_excused_one(tree, reviewer):
    meeting = convene(tree.finance, reviewer, absent_and_on_leave(tree))
    year = meeting.held_on.year

    assert engine_facts(tree.finance_1, year)["absences"] == 1
    assert engine_facts(tree.finance_2, year)["absences"] == 0
    assert engine_facts(tree.finance, year)["absences"] == 0


def test_a_training_is_recorded_as_an_absence_from_training(tree, office_user):
    convene(
        tree.root,
        office_user,
        [UnitEntry(organization_id=tree.finance.pk, status="absent")],
        kind="training",
        topic="党务干部培训班",
    )

    absence = Absence.objects.get()
    assert (absence.organization, absence.kind) == (tree.finance, AbsenceKind.TRAINING)
    assert absence.description == "市直工委培训：党务干部培训班"
    assert absence.entered_by_organization == tree.root


def test_the_meeting_and_each_record_are_audited(tree, reviewer):
    meeting = convene(tree.finance, reviewer, absent_and_on_leave(tree))

    entry = AuditEntry.objects.get(action="meeting.recorded")
    assert entry.object_id == str(meeting.pk)
    assert entry.after["units"] == [
        {"organization_id": tree.finance_1.pk, "status": "absent"},
        {"organization_id": tree.finance_2.pk, "status": "leave", "reason": "同日迎检"},
    ]
    assert AuditEntry.objects.filter(action="absence.created").count() == 2


def test_a_member_absent_from_the_branchs_own_meeting_is_no_evidence(tree, secretary, roll):
    attendance = [services.AttendanceEntry(member_id=member.pk, status="absent") for member in roll]

    services.meeting_record(organization=tree.finance_1, facts=facts(), attendance=attendance, actor=secretary)

    assert Attendance.objects.filter(status="absent").count() == 3
    assert not Absence.objects.exists()
    assert not UnitAttendance.objects.exists()


def test_the_deeper_units_of_the_subtree_may_be_invited(tree, office_user):
    convene(tree.root, office_user, [UnitEntry(organization_id=tree.education_1.pk, status="absent")])

    assert Absence.objects.get().organization == tree.education_1


def test_a_unit_outside_the_conveners_subtree_is_refused_naming_the_row(tree, reviewer):
    with pytest.raises(ValidationError) as refused:
        convene(
            tree.finance,
            reviewer,
            [
                UnitEntry(organization_id=tree.finance_1.pk, status="absent"),
                UnitEntry(organization_id=tree.education_1.pk, status="absent"),
                UnitEntry(organization_id=tree.finance.pk, status="present"),
            ],
        )

    assert refused.value.message_dict == {
        "units": [
            "第2个参会单位“教育局第一支部”不是财政局机关党委的下级组织，不能登记参会",
            "第3个参会单位“财政局机关党委”不是财政局机关党委的下级组织，不能登记参会",
        ]
    }
    assert not Meeting.objects.exists()
    assert not Absence.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_leave_without_reason_and_a_unit_named_twice_are_refused(tree, reviewer):
    with pytest.raises(ValidationError) as refused:
        convene(
            tree.finance,
            reviewer,
            [
                UnitEntry(organization_id=tree.finance_1.pk, status="leave", reason="  "),
                UnitEntry(organization_id=tree.finance_2.pk, status="absent"),
                UnitEntry(organization_id=tree.finance_2.pk, status="present"),
                UnitEntry(organization_id=tree.finance_2.pk + 1000, status="present"),
            ],
        )

    assert refused.value.message_dict == {
        "units": [
            "参会单位“财政局第一支部”请假，须填写请假事由",
            "参会单位“财政局第二支部”登记了两次",
            "第4个参会单位不存在",
        ]
    }
    assert not Absence.objects.exists()


def test_a_branch_convenes_no_meeting_of_units(tree, secretary):
    with pytest.raises(PermissionDenied, match="党支部没有下级组织"):
        services.meeting_record(
            organization=tree.finance_1, facts=facts(kind="work_meeting"), attendance=(), actor=secretary
        )
    assert not Meeting.objects.exists()


def test_a_superior_holds_no_branch_meeting_kind(tree, reviewer):
    with pytest.raises(PermissionDenied, match="只有党支部"):
        convene(tree.finance, reviewer, kind="committee")


def test_who_records_a_superiors_meeting(tree, reviewer, secretary, inspector, office_user):
    with pytest.raises(Http404):
        convene(tree.finance, secretary)
    with pytest.raises(PermissionDenied):
        convene(tree.finance, inspector)
    other_reviewer = UserFactory(username="edu", organization=tree.education, role=Role.REVIEWER)
    with pytest.raises(Http404):
        convene(tree.finance, other_reviewer)
    # The office above records the meeting of FIN too.
    assert convene(tree.finance, office_user).organization == tree.finance
    assert Meeting.objects.count() == 1


# --- changing the status later ---------------------------------------------------------------------------


def test_an_absent_unit_marked_present_loses_its_record(tree, reviewer):
    meeting = convene(tree.finance, reviewer, absent_and_on_leave(tree))

    update(meeting, reviewer, [UnitEntry(organization_id=tree.finance_1.pk, status="present")])

    assert list(Absence.objects.values_list("organization_id", flat=True)) == []
    assert list(meeting.unit_attendances.values_list("organization_id", "status", "absence")) == [
        (tree.finance_1.pk, "present", None)
    ]
    assert AuditEntry.objects.filter(action="absence.deleted").count() == 2
    entry = AuditEntry.objects.get(action="meeting.updated")
    assert entry.before["units"][0] == {"organization_id": tree.finance_1.pk, "status": "absent"}
    assert entry.after["units"] == [{"organization_id": tree.finance_1.pk, "status": "present"}]


def test_a_leave_turned_into_an_absence_counts_from_then_on(tree, reviewer):
    meeting = convene(tree.finance, reviewer, absent_and_on_leave(tree))
    record = Absence.objects.get(organization=tree.finance_2)

    update(
        meeting,
        reviewer,
        [
            UnitEntry(organization_id=tree.finance_1.pk, status="absent"),
            UnitEntry(organization_id=tree.finance_2.pk, status="absent"),
        ],
    )

    record.refresh_from_db()
    assert (record.is_excused, record.excuse_reason) == (False, "")
    assert engine_facts(tree.finance_2, meeting.held_on.year)["absences"] == 1
    assert AuditEntry.objects.filter(action="absence.updated").count() == 1


def test_a_present_unit_marked_absent_gets_its_record(tree, reviewer):
    meeting = convene(tree.finance, reviewer, [UnitEntry(organization_id=tree.finance_1.pk, status="present")])

    update(meeting, reviewer, [UnitEntry(organization_id=tree.finance_1.pk, status="absent")])

    assert meeting.unit_attendances.get().absence == Absence.objects.get(organization=tree.finance_1)


def test_a_changed_date_and_topic_follow_into_the_records(tree, reviewer, today):
    meeting = convene(tree.finance, reviewer, absent_and_on_leave(tree))
    earlier = today - timedelta(days=5)

    update(meeting, reviewer, absent_and_on_leave(tree), held_on=earlier, topic="学习贯彻会议精神", kind="training")

    assert sorted(Absence.objects.values_list("date", "kind", "description")) == [
        (earlier, "training", "财政局机关党委培训：学习贯彻会议精神"),
        (earlier, "training", "财政局机关党委培训：学习贯彻会议精神"),
    ]


def test_a_unit_no_longer_invited_loses_its_row_and_record(tree, reviewer):
    meeting = convene(tree.finance, reviewer, absent_and_on_leave(tree))

    update(meeting, reviewer, [UnitEntry(organization_id=tree.finance_2.pk, status="leave", reason="同日迎检")])

    assert list(meeting.unit_attendances.values_list("organization_id", flat=True)) == [tree.finance_2.pk]
    assert list(Absence.objects.values_list("organization_id", flat=True)) == [tree.finance_2.pk]


def test_a_record_deleted_on_the_records_pages_stays_deleted_until_the_status_changes(tree, reviewer):
    meeting = convene(tree.finance, reviewer, absent_and_on_leave(tree))
    record_services.record_delete(record=Absence.objects.get(organization=tree.finance_1), actor=reviewer)

    update(meeting, reviewer, absent_and_on_leave(tree), place="五楼会议室")
    assert not Absence.objects.filter(organization=tree.finance_1).exists()
    assert meeting.unit_attendances.get(organization=tree.finance_1).absence is None

    update(meeting, reviewer, [UnitEntry(organization_id=tree.finance_1.pk, status="leave", reason="病假")])
    assert Absence.objects.get(organization=tree.finance_1).is_excused is True


def test_an_update_without_units_keeps_them(tree, reviewer):
    meeting = convene(tree.finance, reviewer, absent_and_on_leave(tree))

    services.meeting_update(meeting=meeting, facts=facts(kind="work_meeting"), attendance=(), actor=reviewer)

    assert meeting.unit_attendances.count() == 2
    assert Absence.objects.count() == 2


def test_a_record_owned_above_is_refused_naming_the_unit_and_nothing_changes(tree, office_user, reviewer):
    meeting = convene(tree.finance, office_user, absent_and_on_leave(tree))

    with pytest.raises(ValidationError) as refused:
        update(meeting, reviewer, [UnitEntry(organization_id=tree.finance_1.pk, status="present")])

    assert refused.value.message_dict["units"][0].startswith("参会单位“财政局第一支部”的缺席记录不能修改")
    assert Absence.objects.count() == 2
    assert meeting.unit_attendances.count() == 2


# --- deleting a meeting ----------------------------------------------------------------------------------


def test_deleting_a_superiors_meeting_removes_its_units_records_and_attachments(
    tree, reviewer, attachments_root, django_capture_on_commit_callbacks
):
    meeting = convene(tree.finance, reviewer, absent_and_on_leave(tree))
    attachment = services.meeting_attachment_add(
        meeting=meeting, upload=io.BytesIO(PDF), name="签到表.pdf", size=len(PDF), actor=reviewer
    )
    stored = attachments_root / attachment.file.name
    assert stored.exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_delete(meeting=meeting, actor=reviewer)

    assert not Meeting.objects.exists()
    assert not UnitAttendance.objects.exists()
    assert not Absence.objects.exists()
    assert not Attachment.objects.exists()
    entry = AuditEntry.objects.get(action="meeting.deleted")
    assert entry.before["topic"] == "部署年度党建工作"
    assert entry.before["attachments"] == ["签到表.pdf"]
    assert len(entry.before["units"]) == 2
    assert AuditEntry.objects.filter(action="absence.deleted").count() == 2
    assert AuditEntry.objects.filter(action="attachment.deleted").count() == 1
    assert engine_facts(tree.finance_1, meeting.held_on.year)["absences"] == 0
    assert not stored.exists()


def test_deleting_a_branch_meeting_removes_its_attendance(tree, secretary, roll):
    meeting = services.meeting_record(
        organization=tree.finance_1, facts=facts(), attendance=everyone_present(roll), actor=secretary
    )

    services.meeting_delete(meeting=meeting, actor=secretary)

    assert not Meeting.objects.exists()
    assert not Attendance.objects.exists()
    assert AuditEntry.objects.get(action="meeting.deleted").before["attendance"][0]["member_id"] == roll[0].pk


def test_only_whoever_may_change_the_meeting_deletes_it(tree, reviewer, secretary, inspector, roll):
    convened = convene(tree.finance, reviewer)
    own = services.meeting_record(organization=tree.finance_1, facts=facts(), attendance=(), actor=secretary)
    sister = UserFactory(username="fin-2", organization=tree.finance_2, role=Role.BRANCH_SECRETARY)

    with pytest.raises(Http404):
        services.meeting_delete(meeting=convened, actor=secretary)
    with pytest.raises(PermissionDenied):
        services.meeting_delete(meeting=own, actor=inspector)
    with pytest.raises(Http404):
        services.meeting_delete(meeting=own, actor=sister)

    assert Meeting.objects.count() == 2
    assert not AuditEntry.objects.filter(action="meeting.deleted").exists()
    # The superior of the branch may delete its meeting.
    services.meeting_delete(meeting=own, actor=reviewer)
    assert list(Meeting.objects.all()) == [convened]


# --- the pages -------------------------------------------------------------------------------------------


def unit_post(tree, today, **changes):
    data = {
        "kind": "work_meeting",
        "held_on": (today - timedelta(days=1)).isoformat(),
        "place": "机关党委会议室",
        "host": "刘洋",
        "topic": "部署年度党建工作",
        "minutes": "",
        f"unit_status_{tree.finance_1.pk}": "absent",
        f"unit_status_{tree.finance_2.pk}": "leave",
        f"unit_reason_{tree.finance_2.pk}": "同日迎检",
    }
    data.update(changes)
    return data


def test_the_reviewer_records_its_meeting_with_radio_buttons_per_unit(client, tree, reviewer, today):
    client.force_login(reviewer)
    url = reverse("branchwork:unit_meeting_create", args=[tree.finance.pk])

    page = client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert [label for _, label in page.context["form"].fields["kind"].choices] == ["工作会议", "培训"]
    assert f'name="unit_status_{tree.finance_1.pk}" value="absent"' in content
    assert "财政局第二支部" in content
    assert "教育局第一支部" not in content

    response = client.post(url, unit_post(tree, today))
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("branchwork:meeting_detail", args=[meeting.pk])
    assert Absence.objects.filter(organization=tree.finance_1, is_excused=False).exists()

    detail = client.get(response.url).content.decode()
    assert "无故缺席" in detail
    assert "有正当理由（不扣分）" in detail
    listing = client.get(reverse("branchwork:unit_meetings", args=[tree.finance.pk]))
    assert list(listing.context["meetings"]) == [meeting]
    assert "0/1/1" in listing.content.decode()


def test_a_unit_left_not_invited_gets_no_row(client, tree, reviewer, today):
    client.force_login(reviewer)
    data = unit_post(tree, today)
    data[f"unit_status_{tree.finance_1.pk}"] = ""

    client.post(reverse("branchwork:unit_meeting_create", args=[tree.finance.pk]), data)

    assert list(UnitAttendance.objects.values_list("organization_id", flat=True)) == [tree.finance_2.pk]


def test_a_leave_without_reason_shows_on_the_form(client, tree, reviewer, today):
    client.force_login(reviewer)

    page = client.post(
        reverse("branchwork:unit_meeting_create", args=[tree.finance.pk]),
        unit_post(tree, today, **{f"unit_reason_{tree.finance_2.pk}": ""}),
    )

    assert page.status_code == 200
    assert "参会单位“财政局第二支部”请假，须填写请假事由" in page.content.decode()
    assert not Meeting.objects.exists()


def test_the_absent_units_evidence_page_lists_the_absence(client, tree, reviewer, secretary, today):
    client.force_login(reviewer)
    client.post(reverse("branchwork:unit_meeting_create", args=[tree.finance.pk]), unit_post(tree, today))
    client.force_login(secretary)

    page = client.get(reverse("records:list", args=["absences"]))

    assert "财政局机关党委工作会议：部署年度党建工作" in page.content.decode()


def test_the_convened_pages_refuse_the_secretary_and_the_inspector(client, tree, secretary, inspector):
    client.force_login(secretary)
    assert client.get(reverse("branchwork:unit_meetings", args=[tree.finance.pk])).status_code == 404
    assert client.get(reverse("branchwork:unit_meeting_create", args=[tree.finance.pk])).status_code == 404
    client.force_login(inspector)
    listing = client.get(reverse("branchwork:unit_meetings", args=[tree.finance.pk]))
    assert listing.status_code == 200
    assert listing.context["can_record"] is False
    assert client.get(reverse("branchwork:unit_meeting_create", args=[tree.finance.pk])).status_code == 403


def test_a_branch_is_sent_to_its_own_pages(client, tree, secretary):
    client.force_login(secretary)

    listing = client.get(reverse("branchwork:unit_meetings", args=[tree.finance_1.pk]))
    form = client.get(reverse("branchwork:unit_meeting_create", args=[tree.finance_1.pk]))

    assert listing.url == reverse("branchwork:branch", args=[tree.finance_1.pk])
    assert form.url == reverse("branchwork:meeting_create", args=[tree.finance_1.pk])


def test_the_overview_links_a_superior_to_its_convened_meetings(client, tree, reviewer, secretary):
    client.force_login(reviewer)
    link = reverse("branchwork:unit_meetings", args=[tree.finance.pk])
    assert link in client.get(reverse("branchwork:overview")).content.decode()
    client.force_login(secretary)
    assert "本级召集的会议" not in client.get(reverse("branchwork:overview")).content.decode()


def test_the_edit_form_keeps_the_units_and_changes_them(client, tree, reviewer, today):
    client.force_login(reviewer)
    client.post(reverse("branchwork:unit_meeting_create", args=[tree.finance.pk]), unit_post(tree, today))
    meeting = Meeting.objects.get()
    url = reverse("branchwork:meeting_edit", args=[meeting.pk])

    page = client.get(url)
    assert page.context["form"].initial[f"unit_status_{tree.finance_1.pk}"] == "absent"

    client.post(url, unit_post(tree, today, **{f"unit_status_{tree.finance_1.pk}": "present"}))
    assert list(Absence.objects.values_list("organization_id", flat=True)) == [tree.finance_2.pk]


def test_the_delete_page_confirms_then_deletes(client, tree, secretary, roll):
    meeting = services.meeting_record(
        organization=tree.finance_1, facts=facts(), attendance=everyone_present(roll), actor=secretary
    )
    client.force_login(secretary)
    url = reverse("branchwork:meeting_delete", args=[meeting.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert "3 名党员的参会情况将一并删除" in page.content.decode()
    assert Meeting.objects.exists()

    response = client.post(url)
    assert response.url == reverse("branchwork:branch", args=[tree.finance_1.pk])
    assert not Meeting.objects.exists()


def test_the_delete_page_refuses_the_inspector(client, tree, secretary, inspector):
    meeting = services.meeting_record(organization=tree.finance_1, facts=facts(), attendance=(), actor=secretary)
    client.force_login(inspector)

    assert client.get(reverse("branchwork:meeting_delete", args=[meeting.pk])).status_code == 403
    assert client.post(reverse("branchwork:meeting_delete", args=[meeting.pk])).status_code == 403
    assert Meeting.objects.exists()
