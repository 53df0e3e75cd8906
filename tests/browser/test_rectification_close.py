"""Closing a rectification item (销账) in the browser: the secretary asks with evidence, the reviewer confirms.

The tree of ``tests/conftest.py``: the reviewer of 财政局机关党委 opens an item for 财政局第一支部, whose
secretary requests closing with a text and a PDF; the reviewer confirms, and the counts at the top of the
ledger page move (整改中 −1, 已销账 +1).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_roles_in_browser import log_in
from xingji.ledger import services
from xingji.ledger.models import ItemSource, ItemState, RectificationItem

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def attachments_root(attachments_root):
    """Every test here uploads into the scratch folder of ``tests/conftest.py``."""
    return attachments_root


def count(page: Page, name: str):
    return page.locator(f'#ledger-counts [data-count="{name}"]')


def test_the_secretary_closes_an_item_with_evidence_and_the_counts_change(
    new_page, tree, secretary, reviewer, tmp_path
):
    item = services.item_open(
        organization=tree.finance_1,
        problem="组织生活会记录不全",
        source=ItemSource.RECHECK,
        target="记录完整",
        measures="补齐记录",
        responsible="张三",
        deadline=timezone.localdate() + timedelta(days=20),
        actor=reviewer,
    )
    evidence = tmp_path / "整改证明.pdf"
    evidence.write_bytes(PDF)

    branch = new_page()
    log_in(branch, "secretary")
    branch.goto("/ledger/")
    expect(count(branch, "open")).to_have_text("1")
    expect(count(branch, "closed")).to_have_text("0")
    branch.get_by_role("link", name="组织生活会记录不全").click()
    branch.get_by_role("link", name="申请销账").click()
    branch.get_by_label("整改完成情况").fill("已补齐全年组织生活会记录。")
    branch.get_by_label("佐证材料").set_input_files(str(evidence))
    branch.get_by_role("button", name="申请销账").click()
    expect(branch.locator("#item-state")).to_have_text("待确认销账")
    expect(branch.get_by_role("link", name="整改证明.pdf")).to_be_visible()

    superior = new_page()
    log_in(superior, "reviewer")
    superior.goto("/ledger/")
    expect(count(superior, "open")).to_have_text("0")
    expect(count(superior, "closing")).to_have_text("1")
    superior.get_by_role("link", name="组织生活会记录不全").click()
    superior.get_by_label("意见").fill("材料齐全，同意销账。")
    superior.get_by_role("button", name="确认销账").click()
    expect(superior.locator("#item-state")).to_have_text("已销账")

    branch.goto("/ledger/")
    expect(count(branch, "open")).to_have_text("0")
    expect(count(branch, "closed")).to_have_text("1")
    item.refresh_from_db()
    assert (item.state, item.closed_on) == (ItemState.CLOSED, timezone.localdate())
    assert RectificationItem.objects.get().review_comment == "材料齐全，同意销账。"
