"""The self-evaluation form as Word, read back with python-docx, and its PDF through LibreOffice."""

from __future__ import annotations

import io
import shutil

import pytest
from docx import Document
from docx.oxml.ns import qn

from tests.campaigns.steps import YEAR, evaluation_of, record_survey, self_evaluate
from xingji.campaigns.documents import self_evaluation_docx
from xingji.campaigns.selectors import evaluation_scores
from xingji.common.documents import docx_to_pdf, soffice_path


def all_text(document) -> str:
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


@pytest.fixture
def evaluation(campaign, tree, secretary, clock):
    evaluation = evaluation_of(campaign, tree.finance_1)
    self_evaluate(evaluation, secretary, score="9.5", claimed_level=4)
    record_survey(evaluation, secretary)
    return evaluation_of(campaign, tree.finance_1)


def test_it_writes_the_self_evaluation_form_as_docx(evaluation):
    # given a submitted self-evaluation with 9.5 on each criterion and survey figures
    # when it is exported
    data = self_evaluation_docx(evaluation)

    # then the document read back holds the title, the organization, every criterion and the totals
    document = Document(io.BytesIO(data))
    text = all_text(document)
    assert f"{YEAR}年度基层服务型党组织星级创建自评表" in text
    assert evaluation.organization.name in text
    assert evaluation.organization.code in text
    rows = evaluation_scores(evaluation)
    table = document.tables[0]
    assert [cell.text for cell in table.rows[0].cells] == ["序号", "评定内容", "满分", "自评得分", "说明"]
    names = [row.cells[1].text for row in table.rows[1:-1]]
    assert names == [row["name"] for row in rows.values()]
    total_self = sum(row["self"] for row in rows.values())
    total_max = sum(row["max"] for row in rows.values())
    last = [cell.text for cell in table.rows[-1].cells]
    assert last[0] == "合计"
    assert last[2] == f"{total_max.normalize():f}"
    assert last[3] == f"{total_self.normalize():f}"
    assert f"自评总分：{total_self.normalize():f}" in text
    assert f"申报星级：{evaluation.campaign.level_name(4)}" in text
    assert "满意率" in text
    for line in ("党组织书记签字", "日期", "党组织盖章"):
        assert line in text


def test_it_lays_out_a4_with_an_east_asian_font(evaluation):
    document = Document(io.BytesIO(self_evaluation_docx(evaluation)))

    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0
    assert round(section.page_height.cm, 1) == 29.7
    fonts = {element.get(qn("w:eastAsia")) for element in document.element.body.iter(qn("w:rFonts"))}
    assert fonts == {"宋体"}


def test_it_exports_a_draft_without_scores(campaign, tree, clock):
    # given an evaluation nobody has started
    evaluation = evaluation_of(campaign, tree.finance_2)

    # when it is exported, then the form is there, empty where nothing was entered
    text = all_text(Document(io.BytesIO(self_evaluation_docx(evaluation))))
    assert "申报星级：（未填写）" in text
    assert "党员群众测评" not in text


def test_it_answers_none_for_pdf_without_libreoffice(evaluation, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)

    assert docx_to_pdf(self_evaluation_docx(evaluation)) is None


def test_it_converts_to_pdf_with_libreoffice(evaluation):
    if soffice_path() is None:
        pytest.skip("LibreOffice (soffice) is not installed")

    data = docx_to_pdf(self_evaluation_docx(evaluation))

    assert data is not None and data.startswith(b"%PDF")
