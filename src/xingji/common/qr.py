"""QR codes for pages: ReportLab's encoder (already used for the survey slips), drawn as one compact SVG path.

ReportLab's own SVG renderer writes one rectangle per module (about 60 kB for
an authenticator link); a path of horizontal runs is a tenth of that and
scales crisply. Nothing is fetched: the page carries the image inline.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from reportlab.graphics.barcode import qrencoder

#: The quiet zone around the symbol, in modules, as the QR standard asks.
QUIET = 4


def qr_svg(text: str, *, label: str, size_px: int = 200) -> SafeString:
    """An inline ``<svg>`` of ``text`` as a QR code (error correction M), titled ``label`` for screen readers."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    count = code.getModuleCount()
    runs = []
    for row in range(count):
        column = 0
        while column < count:
            if not code.isDark(row, column):
                column += 1
                continue
            start = column
            while column < count and code.isDark(row, column):
                column += 1
            runs.append(f"M{start + QUIET} {row + QUIET}h{column - start}v1h-{column - start}z")
    side = count + 2 * QUIET
    return format_html(
        '<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" width="{px}" height="{px}" '
        'role="img" aria-label="{label}" shape-rendering="crispEdges"><title>{label}</title>'
        '<rect width="{side}" height="{side}" fill="#fff"/><path d="{path}" fill="#000"/></svg>',
        side=side,
        px=size_px,
        label=label,
        path="".join(runs),
    )
