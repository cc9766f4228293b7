"""Import of an existing 资产台账 from XLSX or CSV: columns mapped to card fields (guessed
from the header, adjustable), a dry run that lists every row's errors, and nothing written
unless the whole file is valid or the person chooses to import only the valid rows. The
asset number makes it idempotent: a number already on the register is skipped."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.assets import services
from schoolhq.assets.models import Asset, AssetCategory
from schoolhq.core.errors import ServiceError
from schoolhq.extensions import db

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024

#: card field -> (label, header spellings seen in school spreadsheets)
FIELDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "number": (_l("Asset number"), ("资产编号", "编号", "资产编码", "number")),
    "name": (_l("Asset name"), ("资产名称", "名称", "name")),
    "category": (_l("Category code"), ("分类代码", "分类编码", "国标分类", "category")),
    "brand": (_l("Brand"), ("品牌", "brand")),
    "model": (_l("Model"), ("型号", "model")),
    "spec": (_l("Specification"), ("规格", "规格型号", "spec")),
    "serial": (_l("Serial number"), ("机身编号", "序列号", "出厂编号", "serial")),
    "unit": (_l("Unit"), ("计量单位", "单位", "unit")),
    "quantity": (_l("Quantity"), ("数量", "quantity")),
    "unit_price": (_l("Unit price (yuan)"), ("单价", "单价（元）", "价格", "unit price")),
    "purchased_on": (_l("Purchase date"), ("购置日期", "购买日期", "purchase date")),
    "booked_on": (_l("Booked on"), ("入账日期", "booked on")),
    "location": (_l("Kept in"), ("存放地点", "存放位置", "地点", "location")),
    "custodian": (_l("Custodian"), ("使用人", "保管人", "custodian")),
    "funding_source": (_l("Funding source"), ("经费来源", "funding source")),
    "acquisition_method": (_l("Acquired by"), ("取得方式", "acquired by")),
    "supplier": (_l("Supplier"), ("供应商", "供货单位", "supplier")),
    "invoice_no": (_l("Invoice no."), ("发票号", "invoice")),
    "voucher_no": (_l("Voucher no."), ("凭证号", "voucher")),
    "warranty_until": (_l("Warranty until"), ("保修期至", "warranty")),
    "use_direction": (_l("Use"), ("使用方向", "use")),
}
REQUIRED = ("name", "category", "location")


def _folder() -> Path:
    folder = Path(current_app.config["INSTANCE_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(file) -> str:
    """Keep the uploaded file for the dry run and the import; returns its token."""
    if file is None or not file.filename:
        raise ServiceError(_l("Choose a file to import."), "file")
    suffix = Path(file.filename).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ServiceError(_l("Import an Excel workbook (.xlsx) or a CSV file."), "file")
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ServiceError(_l("The file is larger than %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)), "file")
    token = secrets.token_hex(12) + suffix
    (_folder() / token).write_bytes(data)
    read_table(token)  # refuse a file that is not a spreadsheet now, not after mapping
    return token


def _path(token: str) -> Path:
    name = Path(token).name
    if name != token or not name[:24].isalnum() or Path(name).suffix not in (".xlsx", ".csv"):
        raise ServiceError(_l("That import has expired; upload the file again."))
    path = _folder() / name
    if not path.exists():
        raise ServiceError(_l("That import has expired; upload the file again."))
    return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(token: str) -> tuple[list[str], list[list[str]]]:
    path = _path(token)
    try:
        if path.suffix == ".xlsx":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            rows = [[_cell(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
            book.close()
        else:
            raw = path.read_bytes()
            for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
                try:
                    text = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise ServiceError(_l("This CSV file is in an unknown text encoding."), "file")
            rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    except ServiceError:
        raise
    except Exception as exc:  # openpyxl and csv raise many kinds for a file that is not theirs
        raise ServiceError(_l("This file is not a spreadsheet we can read."), "file") from exc
    rows = [row for row in rows if any(row)]
    if not rows:
        raise ServiceError(_l("The file is empty."), "file")
    if len(rows) - 1 > MAX_ROWS:
        raise ServiceError(_l("At most %(n)s rows at a time.", n=MAX_ROWS), "file")
    header, body = rows[0], rows[1:]
    width = len(header)
    return header, [(row + [""] * width)[:width] for row in body]


def guess_mapping(header: list[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for index, title in enumerate(header):
        cleaned = title.strip().lower().replace(" ", "")
        for key, (_label, spellings) in FIELDS.items():
            if key not in mapping and cleaned in {s.lower().replace(" ", "") for s in spellings}:
                mapping[key] = index
    return mapping


@dataclass
class RowResult:
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    skipped: bool = False  # already on the register

    @property
    def ok(self) -> bool:
        return not self.errors and not self.skipped


def _date(text: str, label) -> tuple[date | None, str | None]:
    if not text:
        return None, None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"):
        try:
            return datetime.strptime(text[:11].strip(), fmt).date(), None
        except ValueError:
            continue
    return None, str(_l("%(field)s: “%(value)s” is not a date.", field=label, value=text))


def check(token: str, mapping: dict[str, int]) -> list[RowResult]:
    from schoolhq.core.money import parse_yuan
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location

    missing = [FIELDS[key][0] for key in REQUIRED if key not in mapping]
    if missing:
        raise ServiceError(_l("Choose the columns for: %(fields)s", fields=", ".join(str(m) for m in missing)))
    _header, rows = read_table(token)
    categories = dict(db.session.execute(select(AssetCategory.code, AssetCategory.id)).all())
    places = db.session.execute(select(Location.id, Location.code, Location.full_name, Location.name)
                                .where(Location.archived_at.is_(None))).all()
    by_place: dict[str, list[int]] = {}
    for place in places:
        for key in {place.code, place.full_name, place.name} - {""}:
            by_place.setdefault(key, []).append(place.id)
    people: dict[str, list[int]] = {}
    for person_id, name in db.session.execute(select(Person.id, Person.name).where(Person.left_at.is_(None))):
        people.setdefault(name, []).append(person_id)
    existing = set(db.session.scalars(select(Asset.number)))
    seen: dict[str, int] = {}
    results = []
    for offset, row in enumerate(rows):
        result = RowResult(line=offset + 2)
        get = {key: row[index] if index < len(row) else "" for key, index in mapping.items()}
        number = get.get("number", "")
        if number:
            if number in seen:
                result.errors.append(str(_l("Asset number %(n)s is also on line %(line)s.", n=number, line=seen[number])))
            seen.setdefault(number, result.line)
            if number in existing:
                result.skipped = True
        if not get.get("name"):
            result.errors.append(str(_l("The asset name is empty.")))
        code = get.get("category", "")
        if code not in categories:
            result.errors.append(str(_l("Unknown category code “%(code)s”.", code=code)))
        place_ids = by_place.get(get.get("location", ""), [])
        if len(place_ids) != 1:
            result.errors.append(str(_l("Place “%(place)s” is unknown or not unique; use its code or full name.",
                                        place=get.get("location", ""))))
        custodian_id = None
        if get.get("custodian"):
            ids = people.get(get["custodian"], [])
            if len(ids) != 1:
                result.errors.append(str(_l("Person “%(name)s” is unknown or not unique.", name=get["custodian"])))
            else:
                custodian_id = ids[0]
        try:
            price = parse_yuan(get.get("unit_price", ""), "unit_price")
        except ServiceError as error:
            result.errors.append(f"{FIELDS['unit_price'][0]}: {error.message}")
            price = 0
        quantity_text = get.get("quantity", "") or "1"
        quantity = int(quantity_text) if quantity_text.isdigit() and int(quantity_text) >= 1 else None
        if quantity is None:
            result.errors.append(str(_l("The quantity “%(q)s” is not a whole number of at least 1.", q=quantity_text)))
        dates = {}
        for key in ("purchased_on", "booked_on", "warranty_until"):
            dates[key], problem = _date(get.get(key, ""), FIELDS[key][0])
            if problem:
                result.errors.append(problem)
        result.values = {
            "number": number or None, "location_id": place_ids[0] if len(place_ids) == 1 else None,
            "custodian_id": custodian_id,
            "values": {"name": get.get("name", ""), "category_id": categories.get(code), "unit_price_fen": price,
                       "quantity": quantity or 1, "brand": get.get("brand", ""), "model": get.get("model", ""),
                       "spec": get.get("spec", ""), "serial": get.get("serial", ""), "unit": get.get("unit", ""),
                       "funding_source": get.get("funding_source", ""),
                       "acquisition_method": get.get("acquisition_method", ""), "supplier": get.get("supplier", ""),
                       "invoice_no": get.get("invoice_no", ""), "voucher_no": get.get("voucher_no", ""),
                       "use_direction": get.get("use_direction", ""), **dates},
        }
        results.append(result)
    return results


def run(token: str, mapping: dict[str, int], only_valid: bool) -> tuple[int, int]:
    """Import; returns (registered, skipped). All or nothing unless `only_valid`."""
    results = check(token, mapping)
    bad = [r for r in results if r.errors]
    if bad and not only_valid:
        raise ServiceError(_l("%(n)s rows have errors; fix the file or import only the valid rows.", n=len(bad)))
    registered = 0
    for result in results:
        if not result.ok:
            continue
        try:
            services.register_asset(result.values["values"], result.values["location_id"],
                                    result.values["custodian_id"], number=result.values["number"])
        except ServiceError as error:
            if not only_valid:
                raise ServiceError(_l("Line %(line)s: %(error)s", line=result.line, error=error.message)) from None
            continue
        registered += 1
    _path(token).unlink(missing_ok=True)
    return registered, sum(1 for r in results if r.skipped)


def template_rows() -> tuple[list[str], list[list[Any]]]:
    header = [spellings[0] for _label, spellings in FIELDS.values()]
    example = ["", "教师台式计算机", "A02010105", "联想", "启天M437", "i5/16G/512G", "SN123456", "台", 1, "4500.00",
               "2024-09-01", "2024-09-05", "A101", "王芳", "财政拨款", "政府采购", "某某科技有限公司", "", "", "2027-09-01",
               "教学"]
    return header, [example]
