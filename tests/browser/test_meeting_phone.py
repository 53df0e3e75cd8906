"""Recording a meeting on a phone (390 px wide) in Debian's Chromium: the secretary after the meeting.

The secretary of 财政局第一支部 opens 组织生活, records a 支部委员会 with the roll's attendance (one
present, one on leave with the reason, one absent), attaches a photo, and the page never scrolls sideways.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_roles_in_browser import log_in
from tests.factories import MemberFactory
from xingji.branchwork.models import Meeting

PHONE = {"width": 390, "height": 844}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def attachments_root(attachments_root):
    """Every test here uploads into the scratch folder of ``tests/conftest.py``."""
    return attachments_root


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_secretary_records_a_meeting_with_attendance_on_a_phone(new_page, tree, secretary, tmp_path):
    members = [MemberFactory(organization=tree.finance_1, name=name) for name in ("张伟", "王芳", "李强")]
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    yesterday = timezone.localdate() - timedelta(days=1)

    page = new_page(PHONE)
    log_in(page, "secretary")
    page.goto(f"/branchwork/branches/{tree.finance_1.pk}/")
    assert fits(page)
    page.get_by_role("link", name="登记会议").click()

    page.get_by_label("会议类型").select_option(label="支部委员会")
    page.get_by_label("日期").fill(yesterday.isoformat())
    page.get_by_label("地点").fill("三楼会议室")
    page.get_by_label("主持人").fill("张伟")
    page.get_by_label("主题").fill("研究发展党员工作")
    page.locator(f"#attendance-{members[1].pk}").get_by_label("请假", exact=True).check()
    page.get_by_label("王芳的请假事由").fill("出差")
    page.locator(f"#attendance-{members[2].pk}").get_by_label("缺席", exact=True).check()
    assert fits(page)
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("支部委员会：研究发展党员工作")
    expect(page.locator("#attendance")).to_contain_text("出差")
    assert fits(page)
    page.get_by_label("照片或扫描件").set_input_files(str(photo))
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_role("link", name="现场.png")).to_be_visible()

    meeting = Meeting.objects.get()
    assert (meeting.kind, meeting.held_on, meeting.place) == ("committee", yesterday, "三楼会议室")
    assert list(meeting.attendances.order_by("member_id").values_list("status", "reason")) == [
        ("present", ""),
        ("leave", "出差"),
        ("absent", ""),
    ]
