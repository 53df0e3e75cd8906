"""The plan as Word, read back with python-docx."""

from __future__ import annotations

import io

import pytest
from docx import Document

from tests.ledger.conftest import make_plan
from xingji.ledger import services
from xingji.ledger.documents import plan_docx

pytestmark = pytest.mark.django_db


def test_it_writes_the_plan_with_its_level_emphasis_and_milestones(tree, secretary, reviewer, today):
    plan = make_plan(tree.finance_1, secretary, target_level=2)
    plan = services.plan_submit(plan=plan, actor=secretary)
    plan = services.plan_return(plan=plan, comment="请细化措施", actor=reviewer)

    document = Document(io.BytesIO(plan_docx(plan)))

    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert f"财政局第一支部{today.year}年晋位争星方案" in text
    assert "加强组织生活" in text and "请细化措施" in text
    facts = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert facts["现有星级"] == "未定级" and facts["目标星级"] == "二星级"
    assert facts["工作重点"] == "集中整顿" and facts["状态"] == "已退回"
    steps = [[cell.text for cell in row.cells] for row in document.tables[1].rows]
    assert steps == [["序号", "完成时限", "节点任务", "完成情况"], ["1", f"{today:%Y-%m-%d}", "制定整改清单", "未完成"]]
