"""QR label sheets for every area that prints labels (rooms, assets): A4 layouts from
data/label-layouts.yaml, calibration offsets, and the per-layout stylesheet (the
Content-Security-Policy allows no inline style, so positions come from a CSS file)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import segno
import yaml
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from schoolhq.core import audit
from schoolhq.core.errors import ServiceError
from schoolhq.core.models import LabelLayout
from schoolhq.extensions import db

DATA = Path(__file__).parent / "data" / "label-layouts.yaml"
SHEET_WIDTH, SHEET_HEIGHT = 210.0, 297.0


def qr_svg(url: str, scale: int = 3) -> Markup:
    """An inline SVG QR code; no fixed size, so the stylesheet sizes it. Medium error
    correction survives a scuffed label; a border of 4 is the standard quiet zone."""
    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(scale=scale, border=4, omitsize=True, svgclass="qr", lineclass=None, dark="#000"))


def label_url(token: str) -> str:
    """The address a printed label carries: under SCHOOLHQ_SITE_URL when the operator set
    one (behind a reverse proxy the server may not know it), else the request's own."""
    return site_url_for("core.label", token=token)


def site_url_for(endpoint: str, **values: Any) -> str:
    """An absolute link that works from outside: url_for(..., _external=True), but
    starting with SCHOOLHQ_SITE_URL when that is set."""
    site = current_app.config.get("SCHOOLHQ_SITE_URL")
    if not site:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(site)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def seed() -> None:
    with open(DATA, encoding="utf-8") as fh:
        rows = yaml.safe_load(fh)["layouts"]
    existing = set(db.session.scalars(select(LabelLayout.name)))
    for row in rows:
        if row["name"] not in existing:
            db.session.add(LabelLayout(builtin=True, **row))
    db.session.flush()


def layouts() -> list[LabelLayout]:
    return list(db.session.scalars(select(LabelLayout).order_by(LabelLayout.builtin.desc(), LabelLayout.name)))


def get_layout(layout_id: int | None) -> LabelLayout:
    layout = db.session.get(LabelLayout, layout_id) if layout_id else None
    if layout is None:
        layout = db.session.scalar(select(LabelLayout).order_by(LabelLayout.id).limit(1))
    if layout is None:
        raise ServiceError(_l("No label layout exists."))
    return layout


@dataclass
class Cell:
    """One label position: row and column from 1, and what goes on it (None = skipped)."""

    row: int
    column: int
    item: Any = None


#: sheets drawn per page: 800 labels at once took the browser 12-23 s; a batch prints
#: in seconds, and the next batch continues where the sheets stopped
SHEETS_PER_BATCH = 10


@dataclass
class Batch:
    items: list[Any]
    #: positions left empty on this batch's first sheet
    skip: int
    number: int
    count: int


def batch(layout: LabelLayout, items: list[Any], skip: int, number: int) -> Batch:
    """The labels of batch `number` (from 1): SHEETS_PER_BATCH sheets each, the first
    batch's first sheet starting after `skip` used positions."""
    skip = max(0, min(skip, layout.per_sheet - 1))
    size = layout.per_sheet * SHEETS_PER_BATCH
    count = max(1, -(-(len(items) + skip) // size))
    number = max(1, min(number, count))
    start = max(0, (number - 1) * size - skip)
    end = number * size - skip
    return Batch(items[start:end], skip if number == 1 else 0, number, count)


def sheets(layout: LabelLayout, items: list[Any], skip: int = 0) -> list[list[Cell]]:
    """Items laid out sheet by sheet; `skip` leaves the first positions of the first
    sheet empty, for a sheet already partly used."""
    skip = max(0, min(skip, layout.per_sheet - 1))
    slots = [None] * skip + list(items)
    pages = []
    for start in range(0, max(len(slots), 1), layout.per_sheet):
        chunk = slots[start:start + layout.per_sheet]
        pages.append([Cell(i // layout.columns + 1, i % layout.columns + 1, item) for i, item in enumerate(chunk)])
    return pages


def stylesheet(layout: LabelLayout) -> str:
    """Absolute positions in millimetres for every cell of this layout."""
    rules = [
        "@page labels { size: A4; margin: 0; }",
        f".labels-{layout.id} {{ position: relative; width: {SHEET_WIDTH}mm; height: {SHEET_HEIGHT}mm; }}",
        f".labels-{layout.id} .label-cell {{ position: absolute; width: {layout.label_width:.2f}mm; "
        f"height: {layout.label_height:.2f}mm; }}",
        f".labels-{layout.id} .label-cell .qr-box svg {{ width: {min(layout.label_height - 3, layout.label_width / 2):.2f}mm; "
        f"height: {min(layout.label_height - 3, layout.label_width / 2):.2f}mm; }}",
        # small stickers get small print, so an asset number still fits beside the code
        f".labels-{layout.id} .label-text {{ font-size: {min(9.0, layout.label_height * 0.28):.1f}pt; }}",
        f".labels-{layout.id} .label-text strong {{ font-size: {min(12.0, layout.label_height * 0.34):.1f}pt; }}",
    ]
    for row in range(1, layout.rows + 1):
        top = layout.margin_top + layout.offset_y + (row - 1) * (layout.label_height + layout.gap_y)
        rules.append(f".labels-{layout.id} .r{row} {{ top: {top:.2f}mm; }}")
    for column in range(1, layout.columns + 1):
        left = layout.margin_left + layout.offset_x + (column - 1) * (layout.label_width + layout.gap_x)
        rules.append(f".labels-{layout.id} .c{column} {{ left: {left:.2f}mm; }}")
    return "\n".join(rules) + "\n"


def _number(value: Any, field: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ServiceError(_l("Enter a number of millimetres."), field) from None
    if number != number or not low <= number <= high:
        raise ServiceError(_l("Enter a value between %(low)s and %(high)s mm.", low=low, high=high), field)
    return round(number, 2)


def save_calibrated(layout_id: int, name: str, offset_x: Any, offset_y: Any) -> LabelLayout:
    """Save the nudged layout: a built-in one is copied under the new name, a school's
    own layout is updated."""
    base = get_layout(layout_id)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ServiceError(_l("Give the layout a name of at most 60 characters."), "name")
    x = _number(offset_x, "offset_x", -20, 20)
    y = _number(offset_y, "offset_y", -20, 20)
    clash = db.session.scalar(select(LabelLayout).where(LabelLayout.name == name))
    if clash is not None and (clash.builtin or clash.id != base.id):
        raise ServiceError(_l("Another layout already has this name."), "name")
    if base.builtin:
        fields = {k: getattr(base, k) for k in ("columns", "rows", "label_width", "label_height", "margin_top",
                                                 "margin_left", "gap_x", "gap_y")}
        layout = LabelLayout(name=name, offset_x=x, offset_y=y, builtin=False, **fields)
        db.session.add(layout)
    else:
        layout = base
        layout.name, layout.offset_x, layout.offset_y = name, x, y
    db.session.flush()
    audit.record("core", "labels.calibrated", layout, after={"name": name, "offset_x": x, "offset_y": y},
                 summary=name)
    return layout
