"""The year's results in the browser: published on purpose, and never stale after a later decision.

The ``approved`` campaign of tests/reports/conftest.py (FIN-1 and EDU-1 five stars, FIN, FIN-2 and EDU four:
two of five at five stars against the 10 % ceiling). The live server runs in the test's process, so the
clock the campaign services read is the monkeypatched one of tests/campaigns/conftest.py.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_roles_in_browser import log_in
from tests.campaigns.conftest import campaign, clock, immediate_runner  # noqa: F401 (fixtures)
from tests.reports.conftest import approved  # noqa: F401 (fixture)
from xingji.campaigns import services as campaign_services
from xingji.campaigns.models import MunicipalResult
from xingji.reports import services
from xingji.reports.models import Plaque, ResultPublication

YEAR = 2025


def test_the_office_publishes_through_the_confirmation_page_typing_the_phrase_over_the_quota_warning(
    new_page,
    approved,  # noqa: F811
):
    office = new_page()
    log_in(office, "office")
    office.goto(f"/reports/{YEAR}/")
    office.get_by_role("link", name="公布评定结果").click()

    # the scope is the office's tree; the next step shows the list and every quota warning
    expect(office.get_by_label("公布范围")).to_have_value(str(approved.root.pk))
    office.get_by_role("button", name="下一步：核对公布内容").click()
    expect(office.locator("h1")).to_have_text(f"确认公布{YEAR}年度评定结果")
    expect(office.locator("#publish-count")).to_have_text("5")
    expect(office.locator("#quota-warnings")).to_contain_text("五星级不超过10%（五(二)）：5个组织中五星级2个，占40%")
    expect(office.locator("#publish-rows tbody tr")).to_have_count(5)

    # confirming without the phrase is refused, and nothing is published
    office.get_by_role("button", name="确认公布").click()
    expect(office.get_by_role("alert").filter(has_text="核对无误后请输入“确认发布”再发布")).to_be_visible()
    assert ResultPublication.objects.count() == 0

    # with it, the results are public
    office.get_by_label("确认输入").fill("确认发布")
    office.get_by_role("button", name="确认公布").click()
    expect(office.get_by_role("status")).to_have_text("评定结果已公布")
    expect(office.locator("h1")).to_have_text("市直工委2025年度基层服务型党组织星级评定结果")
    publication = ResultPublication.objects.get()
    assert [row["organization"] for row in publication.rows][:2] == ["财政局第一支部", "教育局第一支部"]


def test_after_a_downgrade_the_evaluation_list_shows_the_new_level_and_the_plaque_is_due_for_withdrawal(
    new_page,
    tree,
    office_user,
    clock,  # noqa: F811
    approved,  # noqa: F811
):
    # given the plaques made, then the municipal re-review does not confirm FIN-1 (four stars)
    services.plaques_issue(year=YEAR, actor=office_user)
    reviews = campaign_services.municipal_review_send(campaign=approved, sent_on=clock.today, actor=office_user)
    review = next(review for review in reviews if review.evaluation.organization_id == tree.finance_1.pk)
    campaign_services.municipal_review_return(
        review=review, returned_on=clock.today, result=MunicipalResult.NOT_CONFIRMED, result_level=4, actor=office_user
    )

    office = new_page()
    log_in(office, "office")
    # the evaluation list: proposed five, four now
    office.goto(f"/campaigns/{approved.pk}/evaluations/")
    row = office.locator("tr", has_text="财政局第一支部")
    expect(row.locator("[data-current-level]")).to_have_text("四星级")
    expect(office.locator("tr", has_text="教育局第一支部").locator("[data-current-level]")).to_have_text("五星级")

    # the year page: FIN-1's plaque is due for withdrawal, EDU-1's stands
    office.goto(f"/reports/{YEAR}/")
    fin_1 = office.locator('tr[data-organization="FIN-1"]')
    expect(fin_1.locator("[data-plaque-status]")).to_have_text("待撤销")
    expect(office.locator('tr[data-organization="EDU-1"] [data-plaque-status]')).to_have_text("有效")

    # the star ledger says so, and the office's to-do leads to the withdrawal
    office.goto(f"/campaigns/ledger/{tree.finance_1.pk}/")
    expect(office.locator("[data-withdrawal-notice]")).to_have_text("已通知撤销五星级牌匾（2025-001）")
    office.goto("/due/")
    office.get_by_role("link", name="财政局第一支部：授牌证书2025-001", exact=False).click()
    office.get_by_role("button", name="撤牌").click()
    expect(office.get_by_role("status")).to_have_text("授牌证书2025-001已撤销")
    expect(office.locator('tr[data-organization="FIN-1"] [data-plaque-status]')).to_have_text("已撤销")
    assert Plaque.objects.get(organization=tree.finance_1).withdrawn_by == office_user
