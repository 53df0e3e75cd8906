"""One campaign walked through the browser (Debian's Chromium), from opening to the committee's approval.

The tree of ``tests/conftest.py``; FIN-1 is walked through every page, the other four organizations
are given as evaluated (their superior scores set directly) so that the campaign-wide rating can run::

    市直工委 [ROOT]                 committee office "office"
    ├── 财政局机关党委 [FIN]        reviewer "reviewer" (the superior of FIN-1 and FIN-2)
    │   ├── 财政局第一支部 [FIN-1]   branch secretary "secretary": walked to five stars
    │   └── 财政局第二支部 [FIN-2]   objected to on the notice, re-evaluated by the reviewer
    └── 教育局机关党总支 [EDU]
        └── 教育局第一支部 [EDU-1]

The live server runs in the test's process, so the clock the services read (``services.base._today``)
is moved by monkeypatching, as ``tests/campaigns/conftest.py`` does.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_roles_in_browser import log_in
from tests.campaigns.steps import CODES, YEAR, Clock, evaluation_of, force_evaluated
from tests.factories import MemberFactory
from tests.surveys.conftest import answers
from xingji.campaigns import services
from xingji.campaigns.models import CampaignState, EvaluationState, ObjectionState
from xingji.campaigns.services import base as services_base
from xingji.surveys import services as survey_services

E = EvaluationState
RECEIPT = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$")


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock(date(2026, 6, 1))
    monkeypatch.setattr(services_base, "_today", lambda: clock.today)
    return clock


def badge(page: Page):
    return page.locator(".toolbar .badge").first


def fill_scores(page: Page, score: str) -> None:
    """Every criterion's score field of a self or superior evaluation form (labelled "<code> <name>")."""
    for code in CODES:
        page.locator(f"#id_score_{code}").fill(score)


def test_a_campaign_walks_from_opening_to_the_star_ledger_in_the_browser(
    new_page,
    settings,
    clock,
    tree,
    office_user,
    reviewer,
    secretary,
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # given a drafted campaign over the whole tree, its deadline ahead (a past one is refused on opening)
    campaign = services.campaign_create(
        root=tree.root, year=YEAR, kind="mid_year", deadline=date(2026, 6, 30), actor=office_user
    )

    # when the office opens it
    office = new_page()
    log_in(office, "office")
    office.goto(f"/campaigns/{campaign.pk}/")
    expect(badge(office)).to_have_text("草稿")
    office.get_by_role("button", name="开展评定").click()
    expect(office.get_by_role("status")).to_contain_text("评定活动已开展")
    expect(badge(office)).to_have_text("进行中")

    # and the other four organizations are evaluated (given: FIN-2 at 85 points)
    fin_1 = evaluation_of(campaign, tree.finance_1)
    fin_2 = evaluation_of(campaign, tree.finance_2)
    for organization, score in (
        (tree.finance, "8.5"),
        (tree.finance_2, "8.5"),
        (tree.education, "7.5"),
        (tree.education_1, "6.5"),
    ):
        force_evaluated(evaluation_of(campaign, organization), score=score)

    # when the branch secretary fills in and submits FIN-1's self-evaluation
    branch = new_page()
    log_in(branch, "secretary")
    branch.goto(f"/campaigns/evaluations/{fin_1.pk}/self/")
    expect(badge(branch)).to_have_text("自评填写中")
    fill_scores(branch, "10")
    branch.get_by_label("申报星级").select_option(label="五星级")
    branch.get_by_role("button", name="提交自评").click()
    expect(branch.get_by_role("status")).to_have_text("自评已提交")
    expect(badge(branch)).to_have_text("自评已提交")
    expect(branch.locator("#id_score_1")).to_be_disabled()

    # and holds the survey meeting on its pages: opens a session, issues the codes as a list of links,
    # the members vote (their phone ballot is tests/browser/test_ballot_phone.py), and closes it
    for _ in range(5):
        MemberFactory(organization=tree.finance_1)
    branch.goto(f"/campaigns/evaluations/{fin_1.pk}/")
    branch.get_by_role("link", name="党员群众测评").click()
    branch.get_by_role("link", name="组织测评").click()
    branch.get_by_label("测评会日期").fill(f"{YEAR}-05-20")
    branch.get_by_label("测评码失效日期").fill("2099-12-31")
    branch.get_by_role("button", name="开启测评").click()
    expect(branch.get_by_role("status")).to_have_text("测评已开启，请发放测评码")
    branch.get_by_label("党员测评码数量").fill("5")
    branch.get_by_label("输出").select_option("csv")
    with branch.expect_download() as download:
        branch.get_by_role("button", name="发放并下载").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))[1:]
    assert len(rows) == 5
    session = fin_1.survey_sessions.get()
    for row in rows:
        survey_services.ballot_cast(code=row[2], data=answers(session=session))
    branch.goto(f"/surveys/sessions/{session.pk}/")
    expect(branch.locator("#participation")).to_have_text("5 / 5")
    branch.get_by_role("link", name="结束测评…").click()
    branch.get_by_label("已确认本次测评会投票结束").check()
    branch.get_by_role("button", name="结束测评").click()
    expect(branch.get_by_role("status")).to_have_text("测评已结束，结果已计入本组织的评定")
    branch.goto(f"/campaigns/evaluations/{fin_1.pk}/")
    expect(branch.get_by_text("满意率 100.00%")).to_be_visible()

    # when the reviewer previews and submits a superior evaluation worth five stars
    superior = new_page()
    log_in(superior, "reviewer")
    superior.goto(f"/campaigns/evaluations/{fin_1.pk}/superior/")
    expect(superior.get_by_text("自评合计 100")).to_be_visible()
    fill_scores(superior, "9.5")
    superior.get_by_label("考评意见").fill("同意")
    superior.get_by_role("button", name="预览").click()
    expect(superior.locator("#preview h2")).to_have_text("预览（未保存）：95.00分，五星级")
    superior.get_by_role("button", name="提交考评").click()
    expect(superior.get_by_role("status")).to_have_text("考评已提交")
    expect(badge(superior)).to_have_text("五星级待审核")

    # and the office approves the five-star proposal
    office.goto(f"/campaigns/evaluations/{fin_1.pk}/review/")
    expect(office.get_by_text("建议星级：五星级；最终得分：95.00")).to_be_visible()
    office.get_by_label("审核通过").check()
    office.get_by_label("审核意见或退回理由").fill("材料属实")
    office.get_by_role("button", name="保存").click()
    expect(office.get_by_role("status")).to_have_text("已审核通过")
    expect(badge(office)).to_have_text("已考评")

    # when the office runs the campaign-wide rating
    office.goto(f"/campaigns/{campaign.pk}/rating/")
    office.get_by_role("button", name="运行全面评定").click()
    expect(office.locator("#run-state")).to_have_text("已完成")
    expect(office.locator("#run-percent")).to_have_text("100%")
    office.goto(f"/campaigns/evaluations/{fin_1.pk}/")
    expect(badge(office)).to_have_text("已评定待公示")

    # and publishes the notice: the confirmation page shows the five-star quota broken, the phrase is typed
    office.goto(f"/campaigns/{campaign.pk}/notice/")
    office.get_by_label("公示标题").fill("2025年度星级评定结果公示")
    office.get_by_role("button", name="下一步：核对公示名单").click()
    expect(office.locator("#notice-count")).to_have_text("5")
    expect(office.locator("#quota-warnings")).to_contain_text("五星级不超过10%")
    office.get_by_label("确认输入").fill("确认发布")
    office.get_by_role("button", name="确认发布").click()
    expect(office.get_by_role("status")).to_have_text("公示已发布")
    notice = campaign.notices.get()

    # then anyone may object on the public notice page, and gets a receipt
    visitor = new_page()
    visitor.goto(f"/notices/{notice.pk}/")
    rows = visitor.locator("table.list tbody tr")
    expect(rows.filter(has_text="财政局第一支部")).to_contain_text("五星级")
    expect(rows.filter(has_text="财政局第二支部")).to_contain_text("四星级")
    rows.filter(has_text="财政局第二支部").get_by_role("link", name="提出异议").click()
    expect(visitor.get_by_label("异议对象（党组织）").locator("option:checked")).to_have_text(
        "财政局第二支部（四星级）"
    )
    visitor.get_by_label("异议内容").fill("该支部主题党日活动未按要求开展")
    visitor.get_by_role("button", name="提交异议").click()
    expect(visitor.get_by_role("heading", name="异议已提交")).to_be_visible()
    receipt = visitor.locator("[data-receipt]").inner_text().strip()
    assert RECEIPT.match(receipt), receipt

    # when the office answers it: upheld
    office.goto(f"/campaigns/{campaign.pk}/objections/")
    objection = office.locator(".objection").filter(has_text="该支部主题党日活动未按要求开展")
    expect(objection).to_contain_text("待答复")
    objection.get_by_label("处理结果").select_option(label="异议成立，退回重新考评")
    objection.get_by_role("textbox", name="答复", exact=True).fill("经核实情况属实")
    objection.get_by_role("button", name="答复").click()
    expect(office.get_by_role("status")).to_have_text("已答复异议")
    expect(objection).to_contain_text("异议成立")

    # then FIN-2 is back with the reviewer, who re-evaluates it with three stars
    superior.goto(f"/campaigns/evaluations/{fin_2.pk}/superior/")
    expect(badge(superior)).to_have_text("退回上级重新考评")
    fill_scores(superior, "7.5")
    superior.get_by_label("考评意见").fill("根据异议调查结果调整")
    superior.get_by_role("button", name="预览").click()
    expect(superior.locator("#preview h2")).to_have_text("预览（未保存）：75.00分，三星级")
    superior.get_by_role("button", name="提交考评").click()
    expect(superior.get_by_role("status")).to_have_text("考评已提交")
    expect(badge(superior)).to_have_text("已评定待公示")

    # when the notice has run its course and the office closes it
    clock.advance(7)
    office.goto(f"/campaigns/{campaign.pk}/objections/")
    office.get_by_role("button", name="结束公示").click()
    expect(office.get_by_role("status")).to_have_text("公示已结束")
    expect(office.get_by_text("2025年度星级评定结果公示（2026-06-01 至 2026-06-07，已结束）")).to_be_visible()

    # and records the committee's approval
    office.goto(f"/campaigns/{campaign.pk}/approve/")
    office.get_by_label("工委会批准日期").fill("2026-06-08")
    office.get_by_label("会议纪要编号").fill("工委会纪要〔2026〕5号")
    office.get_by_role("button", name="保存").click()
    expect(office.get_by_role("status")).to_have_text("已录入工委会批准，星级已记入台账")
    expect(office.get_by_text("2026-06-08，会议纪要 工委会纪要〔2026〕5号")).to_be_visible()

    # then FIN-1's star ledger shows its approved five stars
    office.goto(f"/campaigns/ledger/{tree.finance_1.pk}/")
    expect(office.get_by_text("当前星级：五星级（2026-06-08起）")).to_be_visible()
    expect(office.locator("table.list tbody tr")).to_have_count(1)
    expect(office.locator("table.list tbody tr")).to_contain_text("工委会纪要〔2026〕5号")

    # and the database agrees: FIN-1 approved at five stars, FIN-2 awaiting its supplementary notice
    fin_1.refresh_from_db()
    fin_2.refresh_from_db()
    campaign.refresh_from_db()
    assert (fin_1.state, fin_1.level) == (E.APPROVED, 5)
    assert (fin_2.state, fin_2.level, fin_2.noticed_level) == (E.RATED, 3, 4)
    assert campaign.state == CampaignState.OPEN
    assert list(notice.objections.values_list("state", flat=True)) == [ObjectionState.UPHELD]
    states = dict(campaign.evaluations.values_list("organization__code", "state"))
    assert states == {"FIN": E.APPROVED, "FIN-1": E.APPROVED, "FIN-2": E.RATED, "EDU": E.APPROVED, "EDU-1": E.APPROVED}
