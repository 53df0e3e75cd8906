"""A superior's meeting for its units in Debian's Chromium: the committee office records a 工作会议.

The office of 市直工委 opens the meetings it convenes, records a work meeting
with its two units — one on leave, one absent — is told by name which unit
still lacks the reason for its leave (nothing saved), then saves; the unit
absent has its evidence record of an unexcused absence, the unit on leave an
excused one, and the meeting's page lists both.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_roles_in_browser import log_in
from xingji.branchwork.models import Meeting
from xingji.records.models import Absence

DESKTOP = {"width": 1280, "height": 900}


def test_the_office_records_a_work_meeting_and_the_absent_unit_gets_its_record(new_page, tree, office_user):
    day = timezone.localdate() - timedelta(days=2)
    page = new_page(DESKTOP)
    log_in(page, "office")
    page.goto(f"/branchwork/organizations/{tree.root.pk}/meetings/")
    page.get_by_role("link", name="登记会议").click()

    page.get_by_label("会议类型").select_option(label="工作会议")
    page.get_by_label("日期").fill(day.isoformat())
    page.get_by_label("地点").fill("机关三楼会议室")
    page.get_by_label("主持人").fill("刘明")
    page.get_by_label("主题").fill("星级创建工作推进会")
    page.locator(f"#unit-{tree.finance.pk}").get_by_label("请假", exact=True).check()
    page.locator(f"#unit-{tree.education.pk}").get_by_label("缺席", exact=True).check()
    page.get_by_role("button", name="保存").click()

    # a leave without its reason: refused naming the unit, nothing saved
    expect(page.get_by_role("alert").first).to_contain_text("财政局机关党委")
    assert not Meeting.objects.exists() and not Absence.objects.exists()

    page.locator(f"#unit-{tree.finance.pk}").get_by_placeholder("请假事由（请假时必填）").fill("参加市委培训")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("星级创建工作推进会")
    expect(page.locator("main")).to_contain_text("参加市委培训")
    meeting = Meeting.objects.get()
    assert (meeting.organization_id, meeting.kind, meeting.held_on) == (tree.root.pk, "work_meeting", day)
    absent = Absence.objects.get(organization=tree.education)
    excused = Absence.objects.get(organization=tree.finance)
    assert (absent.is_excused, absent.date, absent.kind) == (False, day, "meeting")
    assert (excused.is_excused, excused.excuse_reason) == (True, "参加市委培训")
    assert "星级创建工作推进会" in absent.description
