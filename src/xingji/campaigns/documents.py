"""Documents of a campaign: the self-evaluation form (自评表) as Word (its PDF: ``xingji.common.documents``).

``self_evaluation_docx(evaluation)`` lays the form out like the paper one:
title, organization, the criteria table (序号, 评定内容, 满分, 自评得分,
说明), totals, the claimed level, survey figures when entered, and the
signature and date lines. The text is set in 宋体 (SimSun) for East Asian
characters, so that Word and LibreOffice pick a CJK font.
"""

from __future__ import annotations

from decimal import Decimal

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm

from xingji.campaigns.models import Evaluation
from xingji.campaigns.selectors import evaluation_scores
from xingji.common.documents import add_paragraph, cell_text, set_font
from xingji.common.exports import saved_bytes


def _number(value: Decimal | None) -> str:
    if value is None:
        return ""
    normalized = value.quantize(Decimal("0.01")).normalize()
    return f"{normalized:f}"


def self_evaluation_docx(evaluation: Evaluation) -> bytes:
    """The self-evaluation form (自评表) of ``evaluation`` as a Word (.docx) document, A4 portrait."""
    campaign = evaluation.campaign
    organization = evaluation.organization
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.2))
    section.top_margin = section.bottom_margin = Cm(2)
    set_font(document.styles["Normal"], size=12)

    add_paragraph(
        document,
        f"{campaign.year}年度基层服务型党组织星级创建自评表",
        size=18,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        space_after=12,
    )
    add_paragraph(document, f"评定活动：{campaign.name}（{campaign.get_kind_display()}）")
    add_paragraph(document, f"党组织名称：{organization.name}")
    add_paragraph(document, f"组织编码：{organization.code}    类别：{organization.get_category_display()}")

    rows = evaluation_scores(evaluation)
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = [Cm(1.3), Cm(7.2), Cm(1.6), Cm(2.0), Cm(4.5)]
    for cell, title, width in zip(
        table.rows[0].cells, ["序号", "评定内容", "满分", "自评得分", "说明"], widths, strict=True
    ):
        cell_text(cell, title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        cell.width = width
    total_max = Decimal(0)
    total_self = Decimal(0)
    scored = False
    for number, row in enumerate(rows.values(), start=1):
        cells = table.add_row().cells
        values = [str(number), row["name"], _number(row["max"]), _number(row["self"]), row["self_comment"]]
        for index, (cell, value, width) in enumerate(zip(cells, values, widths, strict=True)):
            centered = index in (0, 2, 3)
            cell_text(cell, value, align=WD_ALIGN_PARAGRAPH.CENTER if centered else WD_ALIGN_PARAGRAPH.LEFT)
            cell.width = width
        total_max += row["max"]
        if row["self"] is not None:
            total_self += row["self"]
            scored = True
    cells = table.add_row().cells
    merged = cells[0].merge(cells[1])
    cell_text(merged, "合计", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    cell_text(cells[2], _number(total_max), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    cell_text(cells[3], _number(total_self) if scored else "", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    cell_text(cells[4], "")

    document.add_paragraph()
    self_total = _number(total_self) if scored else "（未填写）"
    add_paragraph(document, f"自评总分：{self_total}    满分：{_number(total_max)}")
    claimed = campaign.level_name(evaluation.claimed_level) if evaluation.claimed_level is not None else "（未填写）"
    add_paragraph(document, f"申报星级：{claimed}")
    if evaluation.survey_member_count is not None:
        parts = [f"党员总数：{evaluation.survey_member_count}人"]
        if evaluation.survey_participant_count is not None:
            parts.append(f"参加测评：{evaluation.survey_participant_count}人")
        if evaluation.survey_participation is not None:
            parts.append(f"参与率：{evaluation.survey_participation * 100:.1f}%")
        if evaluation.survey_satisfaction is not None:
            parts.append(f"满意率：{evaluation.survey_satisfaction * 100:.1f}%")
        if evaluation.survey_meeting_on is not None:
            parts.append(f"测评会日期：{evaluation.survey_meeting_on:%Y年%m月%d日}")
        add_paragraph(document, "党员群众测评：" + "；".join(parts))

    document.add_paragraph()
    add_paragraph(document, "党组织书记签字：________________        日期：______年____月____日", space_after=18)
    add_paragraph(document, "党组织盖章：", space_after=36)

    return saved_bytes(document)
