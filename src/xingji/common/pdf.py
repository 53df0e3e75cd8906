"""The Chinese font of the PDFs the platform prints (plaques, survey slips).

ReportLab embeds TrueType outlines only, so the font is WenQuanYi Zen Hei
from the distribution's ``fonts-wqy-zenhei`` package (Debian/Ubuntu), or
any TrueType font named by ``XINGJI_PDF_FONT``. A machine without it gets
``PdfFontMissing`` with what to install, never a PDF of empty boxes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "XingjiCJK"
DEFAULT_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
)


class PdfFontMissing(RuntimeError):
    """No Chinese TrueType font on this machine."""


def font_path() -> Path | None:
    configured = getattr(settings, "XINGJI_PDF_FONT", "")
    candidates = [configured] if configured else list(DEFAULT_FONT_PATHS)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@cache
def _register(path: str) -> str:
    pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=0))
    return FONT_NAME


def cjk_font() -> str:
    """The registered font's name for ``canvas.setFont``; ``PdfFontMissing`` when there is none."""
    path = font_path()
    if path is None:
        raise PdfFontMissing(
            "未找到中文字体：请安装 fonts-wqy-zenhei（apt-get install fonts-wqy-zenhei），"
            "或以 XINGJI_PDF_FONT 指定一个 TrueType 中文字体文件"
        )
    return _register(str(path))
