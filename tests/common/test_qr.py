"""The QR image of the pages: every dark module of the encoder drawn, nothing else, label escaped."""

import re

from reportlab.graphics.barcode import qrencoder

from xingji.common.qr import QUIET, qr_svg

LINK = "otpauth://totp/xingji:office?secret=ABCDEFGHIJKLMNOPABCDEFGHIJKLMNOP&issuer=xingji"


def drawn_modules(svg: str) -> set[tuple[int, int]]:
    """(row, column) of each module the path paints, read back from its runs ``Mx yhNv1h-Nz``."""
    path = re.search(r' d="([^"]+)"', svg).group(1)
    cells = set()
    for x, y, width, back in re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", path):
        assert width == back
        cells |= {(int(y) - QUIET, int(x) - QUIET + offset) for offset in range(int(width))}
    return cells


def test_it_paints_exactly_the_dark_modules_of_the_code():
    svg = qr_svg(LINK, label="验证器配置二维码")
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(LINK)
    code.make()
    count = code.getModuleCount()
    dark = {(row, column) for row in range(count) for column in range(count) if code.isDark(row, column)}
    assert dark and drawn_modules(svg) == dark
    side = count + 2 * QUIET
    assert f'viewBox="0 0 {side} {side}"' in svg


def test_it_escapes_the_label_and_stays_small():
    svg = qr_svg(LINK, label='<b>"x"</b>')
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert len(svg) < 10_000
