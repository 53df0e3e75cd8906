"""The what-if sandbox in the browser: a score typed changes the level shown, without a reload, and saves nothing.

``campaigns/sandbox.js`` posts the form with ``fetch`` as the user types and puts the result partial in place;
the tree of ``tests/conftest.py``.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_roles_in_browser import log_in
from tests.campaigns.steps import YEAR, evaluation_of, force_evaluated, snapshot
from tests.records.factories import CriticismNoticeFactory
from xingji.campaigns import services
from xingji.records.models import CriticismIssuer


def test_changing_a_score_changes_the_level_without_reload(new_page, tree, office_user, reviewer):
    # given FIN-1 scored 9 on every criterion by its superior (90, 五星级 before any deduction)
    campaign = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    campaign = services.campaign_open(campaign=campaign, actor=office_user)
    evaluation = force_evaluated(evaluation_of(campaign, tree.finance_1), score=9)
    before = snapshot(evaluation)
    page = new_page()
    log_in(page, "reviewer")

    # when the reviewer opens the sandbox from the evaluation page
    page.goto(f"/campaigns/evaluations/{evaluation.pk}/")
    page.get_by_role("link", name="模拟测算（不保存）").click()
    expect(page).to_have_url(re.compile(rf"/campaigns/evaluations/{evaluation.pk}/sandbox/$"))
    expect(page.locator("#what-if-level")).to_have_text("五星级")
    page.evaluate("window.sandboxMarker = 'same page'")

    # and types 7 for criterion 1 (88 points)
    page.get_by_label("1 组织健全").fill("7")

    # then the level and the summary change in place: the page was not reloaded
    expect(page.locator("#what-if-level")).to_have_text("四星级")
    expect(page.locator("#what-if-score")).to_have_text("88.00")
    expect(page.locator("#sandbox-summary")).to_contain_text("星级由五星级变为四星级")
    assert page.evaluate("window.sandboxMarker") == "same page"

    # when a municipal criticism notice is added as well
    page.get_by_label("市委通报批评").fill("1")

    # then its reason appears with its clause, and the score drops to 83 (still 四星级)
    row = page.locator('#sandbox-changes tr[data-rule="criticism_municipal_committee"]')
    expect(row).to_contain_text("新增")
    expect(row).to_contain_text("受市委通报批评1次，扣5分（五(三)3）")
    expect(page.locator("#what-if-score")).to_have_text("83.00")

    # when a score above the maximum is typed, the message names the criterion
    page.get_by_label("1 组织健全").fill("15")
    expect(page.locator("#sandbox-errors")).to_contain_text("“1 组织健全”的得分15超过该项满分10.00")
    assert page.evaluate("window.sandboxMarker") == "same page"

    # and nothing was saved
    assert snapshot(evaluation) == before


def test_the_sandbox_form_works_without_javascript(browser, live_server, tree, office_user, reviewer):
    # given FIN-1 scored 9 everywhere with a working-committee criticism on record (85)
    campaign = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    campaign = services.campaign_open(campaign=campaign, actor=office_user)
    CriticismNoticeFactory(organization=tree.finance_1, issuer=CriticismIssuer.WORKING_COMMITTEE)
    evaluation = force_evaluated(evaluation_of(campaign, tree.finance_1), score=9)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, "reviewer")
        page.goto(f"/campaigns/evaluations/{evaluation.pk}/sandbox/")
        expect(page.locator("#what-if-score")).to_have_text("87.00")

        # when a score is changed and the form submitted by its button
        page.get_by_label("1 组织健全").fill("6")
        page.get_by_role("button", name="测算").click()

        # then the page comes back with the comparison: 87 − 3 = 84, and the typed value kept
        expect(page.locator("#what-if-score")).to_have_text("84.00")
        expect(page.locator("#sandbox-summary")).to_contain_text("星级不变（四星级）")
        expect(page.get_by_label("1 组织健全")).to_have_value("6")
    finally:
        context.close()
