"""A branch claims a commendation with its certificate; its reviewer confirms it — in a real browser."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD
from tests.records.conftest import PDF
from xingji.records.models import Commendation, RecordStatus


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("nav.nav")).to_be_visible()


def test_a_branch_claims_and_its_reviewer_confirms(new_page, secretary, reviewer, tree, attachments_root, tmp_path):
    certificate = Path(tmp_path) / "表彰决定.pdf"
    certificate.write_bytes(PDF)

    # Given the branch secretary, who sees no button to enter a criticism notice of the branch
    branch = new_page()
    log_in(branch, "secretary")
    branch.goto("/records/criticisms/")
    expect(branch.get_by_role("link", name="新增", exact=True)).to_have_count(0)

    # When the secretary claims a commendation and uploads its certificate
    branch.goto("/records/commendations/new/")
    branch.get_by_label("党组织").select_option(str(tree.finance_1.pk))
    branch.get_by_label("级别").select_option("city")
    branch.get_by_label("名称").fill("五好党支部")
    branch.get_by_label("颁发机关或刊发媒体").fill("中共安阳市委")
    branch.get_by_role("button", name="保存").click()
    expect(branch.locator("#claim-state")).to_contain_text("待上级党组织确认")
    branch.locator("input[type=file]").set_input_files(str(certificate))
    branch.get_by_role("button", name="上传附件").click()
    expect(branch.get_by_role("link", name="表彰决定.pdf")).to_be_visible()
    expect(branch.get_by_role("button", name="确认", exact=True)).to_have_count(0)

    # Then the reviewer finds it waiting, and confirms it
    superior = new_page()
    log_in(superior, "reviewer")
    superior.goto("/records/commendations/?status=claimed")
    superior.get_by_role("link", name="审核").click()
    superior.get_by_role("button", name="确认", exact=True).click()
    expect(superior.locator("ul.messages")).to_contain_text("已确认“财政局第一支部”的申报，计入评定")
    expect(superior.locator("main .toolbar .badge")).to_have_text("已确认")
    assert Commendation.objects.get().status == RecordStatus.CONFIRMED
