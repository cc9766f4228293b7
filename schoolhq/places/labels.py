"""QR labels for rooms: SVG codes from segno, laid out on an A4 sheet by CSS."""

from __future__ import annotations

import segno
from flask import url_for
from markupsafe import Markup


def qr_svg(url: str, scale: int = 3) -> Markup:
    """An inline SVG QR code; medium error correction survives a scuffed label."""
    code = segno.make(url, error="m", micro=False)
    # No fixed size: the viewBox lets the stylesheet size the code for screen and sticker.
    return Markup(code.svg_inline(scale=scale, border=4, omitsize=True, svgclass="qr",
                                  lineclass=None, dark="#000"))


def label_url(token: str) -> str:
    return url_for("core.label", token=token, _external=True)
