"""The progress page draws its level distribution with the vendored ECharts and hides the SVG fallback."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.test_roles_in_browser import log_in
from tests.campaigns.steps import YEAR
from xingji.campaigns import services


def test_it_draws_the_level_chart_with_echarts(page: Page, tree, office_user):
    campaign = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    services.campaign_open(campaign=campaign, actor=office_user)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, office_user.username)
    page.goto(f"/campaigns/{campaign.pk}/")
    expect(page.locator("#level-chart canvas")).to_have_count(1)
    expect(page.locator("#level-chart")).to_be_visible()
    expect(page.locator("#level-chart-fallback")).to_be_hidden()
    assert errors == []
