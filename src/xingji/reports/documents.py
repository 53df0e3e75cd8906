"""The printed results: plaque certificates (PDF), the recommendation list (.docx), the spreadsheets.

The plaques are drawn with ReportLab in the platform's Chinese font
(``xingji.common.pdf.cjk_font``, which raises ``PdfFontMissing`` when the
machine has none). Every spreadsheet writes text cells as text (no formula
ever runs from a name) and carries the audit chain's head hash and the
export time on top.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from xingji.common.exports import saved_bytes, write_table, xlsx_cell
from xingji.common.pdf import cjk_font
from xingji.reports.models import CommendationRecommendation, Plaque

PAGE = landscape(A4)
RED = Color(0.72, 0.07, 0.07)
GOLD = Color(0.72, 0.55, 0.16)


def _centred(canvas: Canvas, text: str, y: float, size: float, font: str) -> None:
    # A long organization name is set smaller rather than running over the border.
    room = PAGE[0] - 160
    while size > 10 and stringWidth(text, font, size) > room:
        size -= 1
    canvas.setFont(font, size)
    canvas.drawCentredString(PAGE[0] / 2, y, text)


def _draw_plaque(canvas: Canvas, plaque: Plaque, font: str) -> None:
    width, height = PAGE
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(6)
    canvas.rect(24, 24, width - 48, height - 48)
    canvas.setLineWidth(1.5)
    canvas.rect(38, 38, width - 76, height - 76)
    canvas.setFillColor(RED)
    _centred(canvas, "授  牌", height - 120, 40, font)
    _centred(canvas, plaque.title, height - 210, 46, font)
    canvas.setFillColor(Color(0, 0, 0))
    _centred(canvas, plaque.organization_name, height - 295, 30, font)
    _centred(canvas, f"{plaque.year}年度", height - 345, 22, font)
    canvas.setFont(font, 18)
    canvas.drawRightString(width - 100, 130, plaque.issuing_body)
    issued_on = plaque.issued_on
    canvas.drawRightString(width - 100, 100, f"{issued_on.year}年{issued_on.month}月{issued_on.day}日")
    canvas.setFont(font, 12)
    canvas.drawString(90, 70, f"编号：{plaque.serial}")


def plaques_pdf(plaques: Iterable[Plaque]) -> bytes:
    """One A4 landscape page per plaque; ``PdfFontMissing`` without a Chinese font."""
    font = cjk_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE)
    canvas.setTitle("授牌证书")
    for plaque in plaques:
        _draw_plaque(canvas, plaque, font)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def workbook_bytes(
    sheet_title: str, title: str, head: Sequence[str], headers: Sequence[str], rows: Iterable[Sequence[object]]
) -> bytes:
    """An ``.xlsx``: the title, the ``head`` lines (hash, time), a blank row, the header row and the rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    write_table(sheet, headers, rows, above=[[xlsx_cell(sheet, title, bold=True)], *([line] for line in head), []])
    return saved_bytes(workbook)


def export_head(head_hash: str, exported_at: datetime) -> list[str]:
    return [f"审计链校验值：{head_hash}", f"导出时间：{exported_at:%Y-%m-%d %H:%M:%S}"]


def _font(run, size: float, bold: bool = False) -> None:
    run.font.name = "SimSun"
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")


def recommendations_docx(
    year: int, issuing_body: str, recommendations: Sequence[CommendationRecommendation], head: Sequence[str]
) -> bytes:
    """The recommendation list (先进基层党组织推荐名单) as a Word document."""
    document = Document()
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(f"{year}年度先进基层党组织推荐名单"), 18, bold=True)
    if issuing_body:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(paragraph.add_run(f"（{issuing_body}）"), 12)
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["序号", "党组织", "状态", "主要事迹"], strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), 11, bold=True)
    for number, recommendation in enumerate(recommendations, start=1):
        cells = table.add_row().cells
        values = [
            str(number),
            recommendation.organization.name,
            recommendation.get_state_display(),
            recommendation.deeds,
        ]
        for cell, text in zip(cells, values, strict=True):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(text), 10.5)
    for line in head:
        _font(document.add_paragraph().add_run(line), 9)
    return saved_bytes(document)
