"""The improvement plan (晋位争星方案) as a Word document, laid out like the paper one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm

from xingji.common.documents import add_paragraph, set_font
from xingji.common.exports import saved_bytes
from xingji.ledger.models import ImprovementPlan
from xingji.ledger.selectors import emphasis_for, level_name, milestone_status


def _add_targets(document: Any, plan: ImprovementPlan, numbers: Iterator[str]) -> None:
    """晋位争星: what the rating rules said the target level needs when the plan was made (nothing if none)."""
    if not plan.targets:
        return
    add_paragraph(document, f"{next(numbers)}、争星目标（按评定规则计算）", size=14, bold=True, space_after=6)
    for index, target in enumerate(plan.targets, start=1):
        add_paragraph(document, f"{index}. {target.get('message', '')}")


def plan_docx(plan: ImprovementPlan) -> bytes:
    document = Document()
    for section in document.sections:
        section.left_margin = section.right_margin = Cm(2.5)
    set_font(document.styles["Normal"], size=12)
    organization = plan.organization
    add_paragraph(
        document,
        f"{organization.name}{plan.year}年晋位争星方案",
        size=18,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        space_after=12,
    )
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in (
        ("党组织", f"{organization.name}（{organization.code}）"),
        ("年度", str(plan.year)),
        ("现有星级", level_name(plan.current_level)),
        ("目标星级", level_name(plan.target_level)),
        ("工作重点", emphasis_for(plan.current_level)),
        ("责任人", plan.responsible),
        ("状态", plan.get_state_display()),
    ):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
        cells[0].width, cells[1].width = Cm(3.5), Cm(12.5)
        for cell in cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    set_font(run, size=12)
    add_paragraph(document, "", space_after=4)
    numbers = iter("一二三四五")
    _add_targets(document, plan, numbers)
    add_paragraph(document, f"{next(numbers)}、主要措施", size=14, bold=True, space_after=6)
    for line in plan.measures.splitlines():
        if line.strip():
            add_paragraph(document, line.strip())
    add_paragraph(document, f"{next(numbers)}、时间节点", size=14, bold=True, space_after=6)
    milestones = list(plan.milestones.all())
    steps = document.add_table(rows=1, cols=4)
    steps.style = "Table Grid"
    for cell, text in zip(steps.rows[0].cells, ("序号", "完成时限", "节点任务", "完成情况"), strict=True):
        cell.text = text
    for number, milestone in enumerate(milestones, start=1):
        cells = steps.add_row().cells
        for cell, text in zip(
            cells,
            (str(number), f"{milestone.due_on:%Y-%m-%d}", milestone.description, milestone_status(milestone)),
            strict=True,
        ):
            cell.text = text
    if plan.review_comment:
        add_paragraph(document, f"{next(numbers)}、上级意见", size=14, bold=True, space_after=6)
        add_paragraph(document, plan.review_comment)
    add_paragraph(document, "", space_after=12)
    add_paragraph(
        document, f"党组织书记（签字）：__________        {organization.name}（盖章）", align=WD_ALIGN_PARAGRAPH.RIGHT
    )
    add_paragraph(document, "年    月    日", align=WD_ALIGN_PARAGRAPH.RIGHT)
    return saved_bytes(document)
