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


# Editing the catalogue ----------------------------------------------------------------

def _code_ok(code: str) -> bool:
    """GB/T 14885-2022: one letter and eight digits."""
    return len(code) == 9 and code[0].isalpha() and code[0].isupper() and code[1:].isdigit()


def save_category(code: str, name: str, depreciation_years: int | None, class_2010: str,
                  category_id: int | None = None) -> AssetCategory:
    """Add a category (its parent follows from the code) or edit one; the code of an
    existing category never changes, as assets carry it."""
    from flask_babel import lazy_gettext as _l

    from schoolhq.core import audit
    from schoolhq.core.errors import ServiceError, get_or_raise

    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ServiceError(_l("A category needs a name of at most 100 characters."), "name")
    if depreciation_years is not None and not 0 <= depreciation_years <= 100:
        raise ServiceError(_l("Depreciation years are between 0 and 100."), "depreciation_years")
    if class_2010 not in ("", "1", "2", "3", "4", "5", "6"):
        raise ServiceError(_l("The older class is a digit from 1 to 6."), "class_2010")
    if category_id:
        category = get_or_raise(AssetCategory, category_id, _l("That category does not exist."))
        before = {"name": category.name, "years": category.depreciation_years, "class": category.class_2010}
        category.name, category.depreciation_years, category.class_2010 = name, depreciation_years, class_2010
        db.session.flush()
        audit.record("assets", "category.updated", category, before=before,
                     after={"name": name, "years": depreciation_years, "class": class_2010}, summary=category.code)
        return category
    code = (code or "").strip().upper()
    if not _code_ok(code):
        raise ServiceError(_l("A code is one capital letter and eight digits, like A02010105."), "code")
    if db.session.scalar(select(AssetCategory.id).where(AssetCategory.code == code)) is not None:
        raise ServiceError(_l("This code is already in the catalogue."), "code")
    known = set(db.session.scalars(select(AssetCategory.code)))
    parent_code = _parent_code(code, known)
    parent = db.session.scalar(select(AssetCategory).where(AssetCategory.code == parent_code)) if parent_code else None
    category = AssetCategory(code=code, name=name, depreciation_years=depreciation_years, class_2010=class_2010,
                             parent_id=parent.id if parent else None)
    db.session.add(category)
    db.session.flush()
    category.path = (parent.path if parent else "/") + f"{category.id}/"
    audit.record("assets", "category.added", category, after={"code": code, "name": name}, summary=code)
    return category


def save_kind(key: str, name_zh: str, name_en: str, loanable: bool, fields_text: str, checklist_text: str,
              kind_id: int | None = None) -> AssetKind:
    """Add or edit an operational kind. Fields are written one a line as
    `key | 中文 | English | text/number/date`; checklist items as `中文 | English`."""
    from flask_babel import lazy_gettext as _l

    from schoolhq.core import audit
    from schoolhq.core.errors import ServiceError, get_or_raise

    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    if not name_zh or len(name_zh) > 60 or len(name_en) > 60:
        raise ServiceError(_l("A kind needs a Chinese name of at most 60 characters."), "name_zh")
    fields = []
    for number, line in enumerate((fields_text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 4 or not parts[0].replace("_", "").isalnum() or not parts[0].isascii() \
                or parts[3] not in ("text", "number", "date") or not parts[1]:
            raise ServiceError(_l("Field line %(n)s: write key | 中文 | English | text, number or date.", n=number),
                               "fields")
        fields.append({"key": parts[0], "zh": parts[1], "en": parts[2], "type": parts[3]})
    if len({f["key"] for f in fields}) != len(fields):
        raise ServiceError(_l("Two fields have the same key."), "fields")
    checklist = []
    for line in (checklist_text or "").splitlines():
        if line.strip():
            zh, _sep, en = line.partition("|")
            checklist.append({"zh": zh.strip()[:60], "en": en.strip()[:60]})
    if kind_id:
        kind = get_or_raise(AssetKind, kind_id, _l("That kind does not exist."))
    else:
        key = (key or "").strip().lower()
        if not key or not key.replace("_", "").isalnum() or not key.isascii() or len(key) > 40:
            raise ServiceError(_l("A key uses letters, digits and underscores."), "key")
        if db.session.scalar(select(AssetKind.id).where(AssetKind.key == key)) is not None:
            raise ServiceError(_l("This key is taken."), "key")
        kind = AssetKind(key=key)
        db.session.add(kind)
    kind.name_zh, kind.name_en, kind.loanable_default = name_zh, name_en, bool(loanable)
    kind.fields, kind.return_checklist = fields, checklist
    db.session.flush()
    audit.record("assets", "kind.saved", kind, after={"key": kind.key, "fields": [f["key"] for f in fields]},
                 summary=kind.key)
    return kind
