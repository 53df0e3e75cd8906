"""Word documents the offices print, and their PDF through LibreOffice.

The text is set in 宋体 (SimSun) for East Asian characters, so that Word and
LibreOffice pick a CJK font: ``set_font``, ``add_paragraph`` and ``cell_text``
lay a document out in it. ``docx_to_pdf(data)`` converts with
``soffice --headless --convert-to pdf`` when LibreOffice is installed, and
answers None otherwise; ``pdf_available()`` says beforehand whether it is
installed, so that a page offers the PDF only then.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
CJK_FONT = "宋体"
LATIN_FONT = "SimSun"
#: Seconds LibreOffice may take to convert one document.
PDF_TIMEOUT = 120


def set_font(run_or_style, *, size: float | None = None, bold: bool | None = None) -> None:
    font = run_or_style.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = run_or_style.element
    r_pr = element.get_or_add_rPr()
    r_fonts = r_pr.find(qn("w:rFonts"))
    if r_fonts is None:
        r_fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(r_fonts)
    r_fonts.set(qn("w:eastAsia"), CJK_FONT)


def add_paragraph(
    document, text: str, *, size: float = 12, bold: bool = False, align=WD_ALIGN_PARAGRAPH.LEFT, space_after: float = 4
):
    paragraph = document.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(space_after)
    run = paragraph.add_run(text)
    set_font(run, size=size, bold=bold)
    return paragraph


def cell_text(cell, text: str, *, bold: bool = False, align=WD_ALIGN_PARAGRAPH.LEFT, size: float = 10.5) -> None:
    cell.text = ""
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    run = paragraph.add_run(text)
    set_font(run, size=size, bold=bold)


@functools.cache
def soffice_path() -> str | None:
    """LibreOffice's executable, looked up once per process (a page asks on every view)."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_available() -> bool:
    """Whether ``docx_to_pdf`` has a converter: LibreOffice is installed (Debian: ``libreoffice-writer``)."""
    return soffice_path() is not None


def docx_to_pdf(data: bytes) -> bytes | None:
    """``data`` (a .docx) converted to PDF by LibreOffice, or None when it is not installed or fails."""
    soffice = soffice_path()
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory(prefix="xingji-pdf-") as directory:
        folder = Path(directory)
        source = folder / "document.docx"
        source.write_bytes(data)
        # A profile of its own: a running LibreOffice of the same user would otherwise take the job.
        profile = (folder / "profile").as_uri()
        try:
            subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation={profile}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(folder),
                    str(source),
                ],
                check=True,
                capture_output=True,
                timeout=PDF_TIMEOUT,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        target = folder / "document.pdf"
        return target.read_bytes() if target.exists() else None
