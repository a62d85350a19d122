"""QR codes, drawn by segno (pure Python, no image library): an inline SVG for the pages.

The SVG is one <path>, black on no background, sized by its viewBox (the page's CSS sets its
width): no inline style, so the pages' Content-Security-Policy (style-src 'self') holds.
"""
from __future__ import annotations

import io

import segno
from markupsafe import Markup, escape

# M: 15 % of the code may be torn or dirty and it still reads (a poster on a wall).
ERROR_CORRECTION = "m"
# The quiet zone around the code, in modules: 4 is what the standard asks for.
BORDER = 4


def svg(address: str, label: str) -> Markup:
    """The code of `address` as inline SVG, an image named `label` for screen readers."""
    code = segno.make(address, error=ERROR_CORRECTION, micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", xmldecl=False, svgns=True, omitsize=True, border=BORDER,
              svgclass="relais-qr", lineclass=None, dark="#000")
    drawing = out.getvalue().decode("ascii")
    return Markup(drawing.replace("<svg ", Markup('<svg role="img" aria-label="{}" ').format(escape(label)), 1))

