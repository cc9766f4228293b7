"""The asset area's first content, read from data/*.yaml (copied from the domain
files with their references): categories, statuses, kinds and the threshold settings.
The school edits all of it afterwards; seeding never overwrites an edit."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from schoolhq.assets.models import AssetCategory, AssetKind, AssetStatus
from schoolhq.extensions import db

DATA = Path(__file__).parent / "data"


@cache
def domain() -> dict[str, Any]:
    with open(DATA / "assets.yaml", encoding="utf-8") as fh:
        facts = yaml.safe_load(fh)
    with open(DATA / "kinds.yaml", encoding="utf-8") as fh:
        facts.update(yaml.safe_load(fh))
    return facts


def _parent_code(code: str, known: set[str]) -> str | None:
    """A01010100 → A01010000 → A01000000: the nearest shorter code that exists."""
    digits = code[1:]
    for keep in (6, 4, 2):
        if digits[keep:].strip("0") == "":
            continue
        candidate = code[0] + digits[:keep] + "0" * (len(digits) - keep)
        if candidate in known and candidate != code:
            return candidate
    return None


def seed() -> None:
    facts = domain()
    years_by_key = {k: v for k, v in facts["depreciation_min_years"].items() if isinstance(v, int)}
    depreciation = facts.get("category_depreciation", {})
    classes = facts.get("class_2010", {})

    existing = {c.code: c for c in db.session.scalars(select(AssetCategory))}
    codes = [row["code"] for row in facts["gbt14885_2022"]]
    for row in facts["gbt14885_2022"]:
        if row["code"] in existing:
            continue
        key = depreciation.get(row["code"], "inherit")
        years = None if key == "inherit" else (0 if key is None else years_by_key.get(key))
        category = AssetCategory(code=row["code"], name=row["zh"], depreciation_years=years,
                                 class_2010=classes.get(row["code"][:3], ""))
        db.session.add(category)
        existing[row["code"]] = category
    db.session.flush()
    for code in codes:
        category = existing[code]
        if category.path:
            continue
        parent_code = _parent_code(code, set(codes))
        parent = existing.get(parent_code) if parent_code else None
        if parent is not None and not parent.path:
            parent.path = f"/{parent.id}/"
        category.parent_id = parent.id if parent else None
        category.path = (parent.path if parent else "/") + f"{category.id}/"

    statuses = {s.key for s in db.session.scalars(select(AssetStatus))}
    for order, row in enumerate(facts["statuses"]):
        if row["key"] not in statuses:
            db.session.add(AssetStatus(key=row["key"], name_zh=row["zh"], name_en=row["en"],
                                       can_loan=row["can_loan"], on_register=row["on_register"],
                                       sort_order=order))

    kinds = {k.key for k in db.session.scalars(select(AssetKind))}
    for row in facts["kinds"]:
        if row["key"] not in kinds:
            db.session.add(AssetKind(key=row["key"], name_zh=row["zh"], name_en=row["en"],
                                     fields=row.get("fields", []),
                                     return_checklist=row.get("return_checklist", []),
                                     loanable_default=bool(row.get("loanable"))))
    db.session.flush()
