"""The printed survey slips (测评票): ten per A4 page with cut lines, each with a QR code and the typed code.

The QR code holds ``<site>/ballot/#t=<code>``: the code travels in the URL's
fragment, which the browser never sends, so no server or proxy log sees it.
Slips are made only in the request that issues the codes (the codes are
kept nowhere else); the list of links is the same codes as CSV.
"""

from __future__ import annotations

import csv
import io

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from xingji.common.pdf import cjk_font
from xingji.surveys import codes
from xingji.surveys.models import SurveySession, TokenKind

COLUMNS, ROWS = 2, 5
KIND_LABELS = dict(TokenKind.choices)


def ballot_link(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/ballot/#t={code}"


def slips_pdf(session: SurveySession, issued: list[tuple[str, str]], base_url: str) -> bytes:
    font = cjk_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    organization = session.evaluation.organization.name
    pdf.setTitle(f"{organization} 党员群众测评票")
    width, height = A4
    slip_width, slip_height = width / COLUMNS, height / ROWS
    per_page = COLUMNS * ROWS
    for start in range(0, len(issued), per_page):
        page = issued[start : start + per_page]
        _cut_lines(pdf, width, height, slip_width, slip_height)
        for index, (kind, code) in enumerate(page):
            column, row = index % COLUMNS, index // COLUMNS
            x, y = column * slip_width, height - (row + 1) * slip_height
            _slip(pdf, font, x, y, slip_width, slip_height, organization, session, kind, code, base_url)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _cut_lines(pdf, width, height, slip_width, slip_height) -> None:
    pdf.saveState()
    pdf.setDash(3, 3)
    pdf.setStrokeGray(0.6)
    for column in range(1, COLUMNS):
        pdf.line(column * slip_width, 0, column * slip_width, height)
    for row in range(1, ROWS):
        pdf.line(0, row * slip_height, width, row * slip_height)
    pdf.restoreState()


def _slip(pdf, font, x, y, slip_width, slip_height, organization, session, kind, code, base_url) -> None:
    link = ballot_link(base_url, code)
    qr_size = slip_height - 16 * mm
    widget = QrCodeWidget(link, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(qr_size, qr_size, transform=[qr_size / (right - left), 0, 0, qr_size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, x + 5 * mm, y + 8 * mm)
    text_x = x + qr_size + 8 * mm
    pdf.setFont(font, 11)
    pdf.drawString(text_x, y + slip_height - 12 * mm, "党员群众测评票")
    pdf.setFont(font, 8)
    pdf.drawString(text_x, y + slip_height - 18 * mm, organization[:16])
    pdf.drawString(text_x, y + slip_height - 23 * mm, f"{KIND_LABELS[kind]}测评码（仅限一次）")
    pdf.setFont(font, 12)
    pdf.drawString(text_x, y + slip_height - 31 * mm, codes.grouped(code))
    pdf.setFont(font, 7)
    pdf.drawString(text_x, y + slip_height - 37 * mm, "手机扫码测评，或打开")
    pdf.drawString(text_x, y + slip_height - 41 * mm, f"{base_url.rstrip('/')}/ballot/")
    pdf.drawString(text_x, y + slip_height - 45 * mm, "输入测评码。测评不记名。")
    pdf.drawString(text_x, y + 9 * mm, f"失效：{session.expires_on:%Y-%m-%d}（含当日）")


def links_csv(issued: list[tuple[str, str]], base_url: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["序号", "类别", "测评码", "测评链接"])
    for number, (kind, code) in enumerate(issued, start=1):
        writer.writerow([number, KIND_LABELS[kind], codes.grouped(code), ballot_link(base_url, code)])
    return "\ufeff" + buffer.getvalue()
