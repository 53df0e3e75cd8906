"""The ballot on a phone-sized screen (360×740), with and without JavaScript, in Debian's Chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import TIMEOUT_MS
from tests.campaigns.steps import evaluation_of
from tests.factories import MemberFactory
from xingji.campaigns import services as campaign_services
from xingji.surveys import codes, services
from xingji.surveys.models import Ballot

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def issued_codes(tree, office_user, secretary) -> list[str]:
    campaign = campaign_services.campaign_create(root=tree.root, year=2025, kind="mid_year", actor=office_user)
    campaign = campaign_services.campaign_open(campaign=campaign, actor=office_user)
    for _ in range(3):
        MemberFactory(organization=tree.finance_1)
    today = timezone.localdate()
    session = services.session_open(
        evaluation=evaluation_of(campaign, tree.finance_1),
        meeting_on=today,
        expires_on=today + timedelta(days=1),
        actor=secretary,
    )
    issued = services.tokens_issue(session=session, member_tokens=3, public_tokens=0, actor=secretary)
    return [code for _, code in issued.codes]


def vote(page: Page) -> str:
    """Answer 满意 everywhere on the questions page, submit, and read the receipt code."""
    fieldsets = page.locator("fieldset:has(input[type=radio])")
    expect(fieldsets.first).to_be_visible()
    for index in range(fieldsets.count()):
        fieldsets.nth(index).get_by_label("满意", exact=True).check()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="提交测评票").click()
    expect(page.get_by_role("status")).to_have_text("您的测评票已提交，谢谢！")
    return page.locator("#receipt").inner_text()


def test_a_voter_opens_the_slips_link_on_a_phone_votes_and_cannot_vote_again(new_page, issued_codes):
    code = issued_codes[0]
    page = new_page(PHONE)
    page.goto(f"/ballot/#t={code}")
    # the script took the code from the fragment, cleared it and went on to the questions
    expect(page.get_by_text("财政局第一支部")).to_be_visible()
    assert page.url.endswith("/ballot/")
    receipt = vote(page)
    assert Ballot.objects.get().receipt == receipt
    # the same link again is refused, in Chinese
    again = new_page(PHONE)
    again.goto(f"/ballot/#t={code}")
    expect(again.get_by_role("alert")).to_have_text("该测评码已使用，您的测评票已计入")
    assert Ballot.objects.count() == 1


def test_a_voter_without_javascript_types_the_code(browser, live_server, issued_codes):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/ballot/")
        page.get_by_label("测评码").fill(codes.grouped(issued_codes[1]).lower())
        page.get_by_role("button", name="开始测评").click()
        receipt = vote(page)
        assert Ballot.objects.get().receipt == receipt
        page.goto("/ballot/")
        page.get_by_label("测评码").fill(issued_codes[1])
        page.get_by_role("button", name="开始测评").click()
        expect(page.get_by_role("alert")).to_have_text("该测评码已使用，您的测评票已计入")
    finally:
        context.close()
