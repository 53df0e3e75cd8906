"""The pages: the overview of the branches below, a branch's year, recording a meeting with its roll, uploads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.branchwork.conftest import PNG
from tests.factories import MemberFactory, OrganizationFactory
from xingji.branchwork.models import Attendance, Meeting
from xingji.records.models import Attachment

pytestmark = pytest.mark.django_db


def meeting_post(roll, today, **changes):
    data = {
        "kind": "committee",
        "held_on": (today - timedelta(days=1)).isoformat(),
        "place": "三楼会议室",
        "host": "张伟",
        "topic": "研究发展党员工作",
        "minutes": "",
        f"status_{roll[0].pk}": "present",
        f"status_{roll[1].pk}": "leave",
        f"reason_{roll[1].pk}": "出差",
        f"status_{roll[2].pk}": "absent",
    }
    data.update(changes)
    return data


def test_the_secretary_records_a_meeting_from_the_roll(client, tree, secretary, roll, today):
    client.force_login(secretary)
    url = reverse("branchwork:meeting_create", args=[tree.finance_1.pk])
    page = client.get(url + "?kind=party_lecture")
    assert page.status_code == 200
    assert [member.name for member in page.context["form"].members] == ["张伟", "王芳", "李强"]
    assert page.context["form"]["kind"].value() == "party_lecture"
    response = client.post(url, meeting_post(roll, today))
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("branchwork:meeting_detail", args=[meeting.pk])
    assert list(meeting.attendances.order_by("member_id").values_list("status", "reason")) == [
        ("present", ""),
        ("leave", "出差"),
        ("absent", ""),
    ]
    detail = client.get(response["Location"])
    assert "王芳" in detail.content.decode() and "出差" in detail.content.decode()


def test_a_future_date_is_shown_on_the_form_and_nothing_is_written(client, tree, secretary, roll, today):
    client.force_login(secretary)
    url = reverse("branchwork:meeting_create", args=[tree.finance_1.pk])
    response = client.post(url, meeting_post(roll, today, held_on=(today + timedelta(days=2)).isoformat()))
    assert response.status_code == 200
    assert response.context["form"].errors["held_on"] == ["日期不能晚于今天"]
    assert not Meeting.objects.exists()


def test_a_leave_without_reason_is_named_on_the_form(client, tree, secretary, roll, today):
    client.force_login(secretary)
    url = reverse("branchwork:meeting_create", args=[tree.finance_1.pk])
    response = client.post(url, meeting_post(roll, today, **{f"reason_{roll[1].pk}": ""}))
    assert response.context["form"].non_field_errors() == ["党员“王芳”请假，须填写请假事由"]
    assert not Meeting.objects.exists()


def test_a_member_of_another_branch_slipped_into_the_post_is_not_recorded(client, tree, secretary, roll, today):
    stranger = MemberFactory(organization=tree.finance_2)
    client.force_login(secretary)
    url = reverse("branchwork:meeting_create", args=[tree.finance_1.pk])
    client.post(url, meeting_post(roll, today, **{f"status_{stranger.pk}": "present"}))
    assert not Attendance.objects.filter(member=stranger).exists()
    assert Attendance.objects.count() == 3


def test_the_meeting_is_edited_with_its_attendance_prefilled(client, tree, secretary, roll, today):
    client.force_login(secretary)
    client.post(reverse("branchwork:meeting_create", args=[tree.finance_1.pk]), meeting_post(roll, today))
    meeting = Meeting.objects.get()
    url = reverse("branchwork:meeting_edit", args=[meeting.pk])
    form = client.get(url).context["form"]
    assert form[f"status_{roll[1].pk}"].value() == "leave"
    assert form[f"reason_{roll[1].pk}"].value() == "出差"
    client.post(url, meeting_post(roll, today, topic="学习党章", **{f"status_{roll[2].pk}": "present"}))
    meeting.refresh_from_db()
    assert meeting.topic == "学习党章"
    assert meeting.attendances.get(member=roll[2]).status == "present"


def test_a_photo_is_uploaded_and_a_text_file_refused(client, tree, secretary, roll, today):
    client.force_login(secretary)
    client.post(reverse("branchwork:meeting_create", args=[tree.finance_1.pk]), meeting_post(roll, today))
    meeting = Meeting.objects.get()
    url = reverse("branchwork:attachment_upload", args=[meeting.pk])
    refused = client.post(url, {"file": SimpleUploadedFile("现场.jpg", b"not a photo")}, follow=True)
    assert "文件内容与扩展名不符" in refused.content.decode()
    assert not Attachment.objects.exists()
    client.post(url, {"file": SimpleUploadedFile("现场.png", PNG)})
    attachment = Attachment.objects.get()
    download = client.get(reverse("branchwork:attachment", args=[meeting.pk, attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"


def test_the_overview_lists_the_branches_below_searchable_and_paginated(client, tree, reviewer, office_user):
    for number in range(25):
        OrganizationFactory(name=f"财政局第{number + 3}支部", code=f"FIN-{number + 3}", parent=tree.finance)
    client.force_login(reviewer)
    first = client.get(reverse("branchwork:overview"))
    assert first.context["page_obj"].paginator.count == 27
    assert len(first.context["rows"]) == 25
    second = client.get(reverse("branchwork:overview"), {"page": 2})
    assert [row["compliance"].organization.code for row in second.context["rows"]] == ["FIN-26", "FIN-27"]
    found = client.get(reverse("branchwork:overview"), {"q": "第二支部"})
    assert [row["compliance"].organization.code for row in found.context["rows"]] == ["FIN-2"]
    client.force_login(office_user)
    education = client.get(reverse("branchwork:overview"), {"q": "教育"})
    assert [row["compliance"].organization.code for row in education.context["rows"]] == ["EDU-1"]


def test_the_overview_filters_the_branches_still_lacking_a_kind(client, tree, reviewer, secretary, roll, today):
    client.force_login(secretary)
    client.post(
        reverse("branchwork:meeting_create", args=[tree.finance_1.pk]),
        meeting_post(roll, today, held_on=today.isoformat()),
    )
    client.force_login(reviewer)
    response = client.get(reverse("branchwork:overview"), {"pending": "committee"})
    assert [row["compliance"].organization.code for row in response.context["rows"]] == ["FIN-2"]


def test_the_branch_page_shows_the_year_and_hides_the_button_from_the_inspector(client, tree, inspector, secretary):
    client.force_login(inspector)
    page = client.get(reverse("branchwork:branch", args=[tree.finance_1.pk]))
    assert page.status_code == 200
    assert [kind["label"] for kind in page.context["kinds"]][:2] == ["支部党员大会", "支部委员会"]
    assert page.context["can_record"] is False
    assert reverse("branchwork:meeting_create", args=[tree.finance_1.pk]) not in page.content.decode()
    client.force_login(secretary)
    assert client.get(reverse("branchwork:branch", args=[tree.finance_1.pk])).context["can_record"] is True


def test_a_committee_has_no_branch_page(client, tree, office_user):
    client.force_login(office_user)
    assert client.get(reverse("branchwork:branch", args=[tree.finance.pk])).status_code == 404


def test_the_navigation_offers_organizational_life(client, tree, secretary):
    client.force_login(secretary)
    page = client.get(reverse("web:home"))
    assert any(item.label == "组织生活" for item in page.context["nav_items"])


def test_the_overview_costs_the_same_queries_for_two_branches_or_twenty_seven(client, tree, reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(reviewer)
    client.get(reverse("branchwork:overview"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("branchwork:overview"))
    for number in range(25):
        OrganizationFactory(name=f"财政局第{number + 3}支部", code=f"FIN-{number + 3}", parent=tree.finance)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("branchwork:overview"))
    assert len(many) == len(few)
