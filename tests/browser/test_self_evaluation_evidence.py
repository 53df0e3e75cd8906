"""The self-evaluation's evidence buttons in the browser: uploading or deleting a file keeps what was typed.

The evidence table lies in the self-evaluation's one form, so that its upload and delete buttons send the
scores and comments typed so far with the file (no JavaScript involved); the tree of ``tests/conftest.py``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_roles_in_browser import log_in
from tests.campaigns.steps import YEAR, evaluation_of
from xingji.campaigns import services
from xingji.campaigns.models import CriterionScore, ScorePart

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def attachments_root(attachments_root):
    """Every test here uploads into the scratch folder of ``tests/conftest.py``."""
    return attachments_root


def test_uploading_and_deleting_evidence_keep_the_scores_typed(new_page, tree, office_user, secretary, tmp_path):
    # given an opened campaign, and FIN-1's secretary on its self-evaluation page
    campaign = services.campaign_create(root=tree.root, year=YEAR, kind="mid_year", actor=office_user)
    campaign = services.campaign_open(campaign=campaign, actor=office_user)
    fin_1 = evaluation_of(campaign, tree.finance_1)
    evidence = tmp_path / "会议记录.pdf"
    evidence.write_bytes(PDF)
    page = new_page()
    log_in(page, "secretary")
    page.goto(f"/campaigns/evaluations/{fin_1.pk}/self/")

    # when a score and a comment are typed, never saved, and a file is uploaded on criterion 3
    page.locator("#id_score_1").fill("8")
    page.locator("#id_comment_1").fill("有会议记录")
    row = page.locator("#evidence-3")
    row.locator("input[type=file]").set_input_files(str(evidence))
    row.get_by_role("button", name="上传").click()

    # then the page comes back at criterion 3 with the file, and the typed values saved and shown
    expect(page.get_by_role("status")).to_have_text("已上传证明材料“会议记录.pdf”；自评草稿已保存")
    expect(page).to_have_url(re.compile(r"/self/#evidence-3$"))
    expect(row.get_by_role("link", name="会议记录.pdf")).to_be_visible()
    expect(page.locator("#id_score_1")).to_have_value("8.00")
    expect(page.locator("#id_comment_1")).to_have_value("有会议记录")

    # when another score is typed and the file deleted
    page.locator("#id_score_2").fill("7.5")
    row.get_by_role("button", name="删除").click()

    # then the file is gone and both scores are kept
    expect(page.get_by_role("status")).to_have_text("已删除证明材料“会议记录.pdf”；自评草稿已保存")
    expect(row.get_by_role("link", name="会议记录.pdf")).to_have_count(0)
    expect(page.locator("#id_score_2")).to_have_value("7.50")
    scores = dict(
        CriterionScore.objects.filter(evaluation=fin_1, part=ScorePart.SELF, score__isnull=False).values_list(
            "criterion_code", "score"
        )
    )
    assert {code: str(score) for code, score in scores.items()} == {"1": "8.00", "2": "7.50"}

    # when a score above the maximum is saved from there (the address still ends in #evidence-3)
    expect(page).to_have_url(re.compile(r"/self/#evidence-3$"))
    page.locator("#id_score_4").fill("15")
    page.get_by_role("button", name="保存草稿").click()

    # then the page opens at its top, not at the evidence row, so the error is in view
    expect(page).to_have_url(re.compile(r"/self/$"))
    error = page.locator("#id_score_4").locator("xpath=..").get_by_role("alert")
    expect(error).to_have_text("确保该值小于或等于10.00。")
    expect(error).to_be_in_viewport()
